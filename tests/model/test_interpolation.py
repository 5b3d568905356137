"""calculator/model/interpolation.py: monotone cubic interpolation of many curves at once, as scipy's PCHIP,
never beyond a curve's knots and never mixing curves."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import PchipInterpolator

from calculator.model.interpolation import monotone_interpolate


def test_monotone_interpolate_matches_linear_for_two_knots() -> None:
    y = monotone_interpolate(np.array([0.0, 1.0]), np.array([0.0, 10.0]), np.zeros(2), np.array([0.5]), np.zeros(1))
    assert y[0] == pytest.approx(5.0)


def test_monotone_interpolate_keeps_groups_apart() -> None:
    x = np.array([0.0, 1.0, 0.0, 1.0])
    y = np.array([0.0, 10.0, 100.0, 200.0])
    g = np.array([0, 0, 1, 1])
    out = monotone_interpolate(x, y, g, np.array([0.5, 0.5, 2.0]), np.array([0, 1, 1]))
    assert out[0] == pytest.approx(5.0)
    assert out[1] == pytest.approx(150.0)
    assert np.isnan(out[2])


def test_monotone_interpolate_is_scipys_pchip_within_each_curve():
    rng = np.random.default_rng(3)
    x = np.log2([1, 2, 4, 8, 16, 32, 64, 128], dtype="float64")
    curves = [np.cumsum(rng.uniform(1, 50, len(x))) for _ in range(3)]  # monotone, like throughput
    xq = np.linspace(0, 7, 29)
    out = monotone_interpolate(
        np.tile(x, 3), np.concatenate(curves), np.repeat(np.arange(3), len(x)), np.tile(xq, 3),
        np.repeat(np.arange(3), len(xq)),
    )  # fmt: skip
    expected = np.concatenate([PchipInterpolator(x, y)(xq) for y in curves])
    assert out == pytest.approx(expected, rel=1e-12)
    assert (np.diff(out.reshape(3, -1), axis=1) >= 0).all()  # no overshoot
