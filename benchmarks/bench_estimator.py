"""Benchmark: the estimator's solver, the production one (calculator.estimator.fitting.solve) against the
other candidate kept here (scipy.optimize.least_squares, trust-region reflective, with the same analytic
Jacobian and bounds), in the same run, on the bundled data.

Timed, median of --repeats: a cold fit (observations built, θ solved, FitResult made), a warm estimate (fit
cached: one estimate_points call of 4 GPUs x 4 concurrencies), leave-one-out by point and by GPU (one warm-
started refit per left-out key). Also printed: the objective each solver reaches (½ Σ residuals², lower is
better) and how far the two disagree on predictions, so a faster solver that stops elsewhere is seen.

Run: `python benchmarks/bench_estimator.py [--repeats 3]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import calculator.estimator.parameters as parameters
from calculator.catalog import Catalog, load_catalog, load_models
from calculator.estimator import estimate_points, fit, headline_errors, leave_one_out
from calculator.estimator import fitting as fitting_module
from calculator.estimator.observations import Observations
from calculator.estimator.parameters import Layout, bounds, theta_start
from calculator.estimator.roofline import FloatArray

Solver = Callable[[Observations, Layout, FloatArray, FloatArray | None], FloatArray]
ESTIMATE_GPUS = ["h100-sxm", "a100-80gb", "b200", "gb200"]  # NLD-8B self-speculation on each


def least_squares_solve(
    obs: Observations, layout: Layout, weight: FloatArray, theta0: FloatArray | None = None
) -> FloatArray:
    """scipy.optimize.least_squares (trust-region reflective) on the same residuals, Jacobian and bounds."""
    lo, hi = bounds(layout)
    theta = np.clip(theta_start(layout) if theta0 is None else theta0, lo, hi)
    if not np.any(weight > 0):
        return theta
    solution = least_squares(
        lambda x: fitting_module.residuals(obs, layout, x, weight),
        theta,
        jac=lambda x: fitting_module.residual_jacobian(obs, layout, x, weight),
        bounds=(lo, hi),
        method="trf",
        ftol=1e-10,
        xtol=1e-10,
        gtol=1e-10,
    )
    out: FloatArray = np.asarray(solution.x, dtype=np.float64)
    return out


def estimate(catalog: Catalog) -> FloatArray:
    """One estimate_points call (NLD-8B self_spec on ESTIMATE_GPUS at concurrency 1, 4, 16, 64): its tok/s."""
    df = estimate_points(catalog, ESTIMATE_GPUS, "nld-8b", "self_spec", concurrency=[1, 4, 16, 64], isl=1024, osl=1024)
    out: FloatArray = df["output_tok_s"].to_numpy(dtype=np.float64)
    return out


def clear_caches() -> None:
    """Forget every fit (and the prior per layout) so the next call fits cold."""
    fitting_module._FIT_CACHE.clear()
    fitting_module._KEY_BY_IDENTITY.clear()
    parameters.prior.cache_clear()


def median_s(run: Callable[[], object], repeats: int, *, cold: bool) -> float:
    times = []
    for _ in range(repeats):
        if cold:
            clear_caches()
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def measure(solver: Solver, catalog: Catalog, repeats: int) -> dict[str, float]:
    """Seconds for each task with `solver` as the estimator's solver."""
    fitting_module.solve = solver  # type: ignore[assignment]
    clear_caches()
    out = {
        "cold fit": median_s(lambda: fit(catalog), repeats, cold=True),
        "warm estimate": median_s(lambda: estimate(catalog), repeats, cold=False),
        "leave-one-point-out": median_s(lambda: leave_one_out(catalog, group="point"), repeats, cold=False),
        "leave-one-gpu-out": median_s(lambda: leave_one_out(catalog, group="gpu"), repeats, cold=False),
    }
    return out


def quality(solver: Solver, catalog: Catalog) -> tuple[float, FloatArray, FloatArray, list[float]]:
    """Objective reached, predictions of every observation, an estimate's tok/s, headline medians."""
    fitting_module.solve = solver  # type: ignore[assignment]
    clear_caches()
    _, state = fitting_module.fitted(catalog)
    res = fitting_module.residuals(state.obs, state.layout, state.theta, state.weight)
    pred, _ = parameters.evaluate(state.obs, state.layout, state.theta)
    head = headline_errors(catalog)
    return 0.5 * float(res @ res), pred, estimate(catalog), list(head["median_abs_error_pct"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    catalog = load_catalog()
    load_models()
    production: Solver = fitting_module.solve
    label = (production.__doc__ or "fitting.solve").split("(")[0].strip().rstrip(".")
    solvers = {f"production: {label}": production, "candidate: scipy least_squares (trf)": least_squares_solve}
    times = {name: measure(solver, catalog, args.repeats) for name, solver in solvers.items()}
    (name_a, a), (name_b, b) = times.items()
    print(f"median of {args.repeats}, seconds      {'A':>10} {'B':>10}   B/A")
    for task in a:
        print(f"{task:28s} {a[task]:10.4f} {b[task]:10.4f}   {b[task] / a[task]:5.2f}x")
    print(f"A = {name_a}\nB = {name_b}")
    qa, qb = (quality(s, catalog) for s in solvers.values())
    print(f"objective reached (½ Σ residuals², lower is better): A {qa[0]:.6f}, B {qb[0]:.6f}")
    print(f"largest difference in a fitted prediction: {np.max(np.abs(qb[1] / qa[1] - 1)):.3%}")
    print(f"largest difference in the estimate (tok/s): {np.max(np.abs(qb[2] / qa[2] - 1)):.3%}")
    groups = ["point/all", "point/ar", "point/self_spec", "gpu/all", "gpu/ar", "gpu/self_spec"]
    print("headline leave-one-out median |error| %: " + ", ".join(
        f"{g} {x:.2f} -> {y:.2f}" for g, x, y in zip(groups, qa[3], qb[3], strict=True)
    ))  # fmt: skip
    fitting_module.solve = production  # type: ignore[assignment]
    return 0


if __name__ == "__main__":
    sys.exit(main())
