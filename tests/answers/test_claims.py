"""calculator.answers.claims on the bundled data: the vendor's 5.9x TPF and ~4x GB200 claims beside the independent
NLD-14B B200 sweep and the HBM roofline (figures recomputed by hand from gpus.yaml, models.yaml and Fig. 9)."""

from __future__ import annotations

import pytest

from calculator.answers import claims
from calculator.data.catalog import load_catalog


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_tpf_claim_beside_the_independent_sweep(catalog):
    t = claims.tpf_claim(catalog)
    assert t.vendor_tpf == pytest.approx(5.99)
    assert "2607.05722" in t.vendor_source
    lo, hi = t.sweep_range()
    assert lo == pytest.approx(3.29, abs=0.01) and hi == pytest.approx(6.37, abs=0.01)
    by_block = t.sweep.groupby("block_size")["tokens_per_forward"].mean()
    assert by_block[8] < by_block[16] < by_block[32]  # smaller blocks (what high concurrency affords) give less
    assert set(t.sweep.loc[t.sweep["block_size"] == 8, "concurrency"]) == {64, 128}
    assert (t.sweep["benchmarks"] == 9).all() and "linyewei526" in t.sweep_source


def test_gb200_claim_and_the_vendor_ar_baseline_against_the_roofline(catalog):
    c = claims.throughput_claim(catalog)
    # 8.0 TB/s / (8.49e9 params x 1 byte fp8) = 942.3 tok/s batch-1 AR bound
    assert c.roofline_tok_s == pytest.approx(8.0e12 / 8.49e9, rel=1e-6)
    assert (c.nld_tok_s, c.nld_standard_tok_s, c.ar_tok_s) == (1015.0, 851.0, 256.0)
    assert c.claimed_ratio == pytest.approx(3.96, abs=0.01)
    assert c.vendor_ar_efficiency == pytest.approx(256 / 942.285, rel=1e-4)  # ~27 % of the roofline
    assert c.ratio_at(c.vendor_ar_efficiency) == pytest.approx(c.claimed_ratio)
    assert c.ratio_at(0.8) == pytest.approx(1015 / (0.8 * 942.285), rel=1e-4)  # ~1.35x against a tuned AR stack
    with pytest.raises(ValueError):
        c.ratio_at(0.0)
