"""Benchmark: the estimator's solver, the production one (calculator.estimator.fitting.solve) against the
other one kept here (OTHER_SOLVER), on the same residuals, analytic Jacobian and bounds, in the same run, on the
bundled data. Today the other one is the hand-written Levenberg-Marquardt that least_squares replaced.

Timed, median of --repeats: a cold fit (observations built, θ solved, FitResult made), a warm estimate (fit
cached: one estimate_points call of 4 GPUs x 4 concurrencies), leave-one-out by point and by GPU (one warm-
started refit per left-out key). Also printed: the objective each solver reaches (½ Σ residuals², lower is
better) and how far the two disagree on predictions, so a faster solver that stops elsewhere is seen.

Run: `python benchmarks/bench_estimator.py [--repeats 3]`. The BLAS threads and the load are printed first: with
its default trust-region solver (an SVD of the Jacobian per step through scipy's threaded OpenBLAS) least_squares
ran several times slower on a shared 2-core machine under load (other tests, a browser) than with
OPENBLAS_NUM_THREADS=1; with LSMR steps, as in fitting.solve, it does not depend on BLAS threads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

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


def levenberg_marquardt_solve(
    obs: Observations, layout: Layout, weight: FloatArray, theta0: FloatArray | None = None
) -> FloatArray:
    """The hand-written Levenberg-Marquardt (the estimator's solver before least_squares): projected steps on the
    normal equations, bounds by clipping, stopping when an iteration lowers the cost by < 1e-6 of it."""
    lo, hi = bounds(layout)
    theta = np.clip(theta_start(layout) if theta0 is None else theta0, lo, hi)
    if not np.any(weight > 0):
        return theta
    res = fitting_module.residuals(obs, layout, theta, weight)
    cost = 0.5 * float(res @ res)
    damping = 1e-3
    for _ in range(200):
        jac = fitting_module.residual_jacobian(obs, layout, theta, weight)
        normal = jac.T @ jac
        grad = jac.T @ res
        scale = np.diag(normal).copy()
        improved = False
        while damping < 1e10:
            step = np.linalg.solve(normal + damping * np.diag(scale), grad)
            candidate = np.clip(theta - step, lo, hi)
            res_new = fitting_module.residuals(obs, layout, candidate, weight)
            cost_new = 0.5 * float(res_new @ res_new)
            if np.isfinite(cost_new) and cost_new <= cost:
                improved = True
                break
            damping *= 4.0
        if not improved:
            break
        done = cost - cost_new <= 1e-6 * (1.0 + cost)
        theta, res, cost = candidate, res_new, cost_new
        damping = max(damping / 3.0, 1e-9)
        if done:
            break
    return theta


def estimate(catalog: Catalog) -> FloatArray:
    """One estimate_points call (NLD-8B self_spec on ESTIMATE_GPUS at concurrency 1, 4, 16, 64): its tok/s."""
    df = estimate_points(catalog, ESTIMATE_GPUS, "nld-8b", "self_spec", concurrency=[1, 4, 16, 64], isl=1024, osl=1024)
    out: FloatArray = df["output_tok_s"].to_numpy(dtype=np.float64)
    return out


OTHER_SOLVER: Solver = levenberg_marquardt_solve


def summary(solver: Solver) -> str:
    """A solver in words: the first sentence of its docstring."""
    first = " ".join((solver.__doc__ or solver.__name__).split()).split(". ")[0]
    return first.split(" (")[0].rstrip(".")


def clear_caches() -> None:
    """Forget every fit (and the prior per layout) so the next call fits cold."""
    fitting_module._FIT_CACHE.clear()
    fitting_module._KEY_BY_IDENTITY.clear()
    parameters.prior.cache_clear()


def task_runs(catalog: Catalog) -> dict[str, tuple[Callable[[], object], bool]]:
    """Each timed task: what it runs, and whether it starts cold (every fit forgotten first)."""
    return {
        "cold fit": (lambda: fit(catalog), True),
        "warm estimate": (lambda: estimate(catalog), False),
        "leave-one-point-out": (lambda: leave_one_out(catalog, group="point"), False),
        "leave-one-gpu-out": (lambda: leave_one_out(catalog, group="gpu"), False),
    }


def measure(solvers: list[Solver], catalog: Catalog, repeats: int) -> list[dict[str, float]]:
    """Median seconds of each task with each solver, the solvers interleaved (A B, B A, ...) so that load from
    other processes on a shared machine falls on both alike."""
    times: list[dict[str, list[float]]] = [{} for _ in solvers]
    for task, (run, cold) in task_runs(catalog).items():
        for i in range(repeats):
            order = list(range(len(solvers)))[:: 1 if i % 2 == 0 else -1]
            for k in order:
                fitting_module.solve = solvers[k]  # type: ignore[assignment]
                clear_caches()
                if not cold:
                    fit(catalog)  # warm: the full fit is cached, as in the app
                t0 = time.perf_counter()
                run()
                times[k].setdefault(task, []).append(time.perf_counter() - t0)
    return [{task: statistics.median(ts) for task, ts in t.items()} for t in times]


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
    solvers = {
        f"production (fitting.solve): {summary(production)}": production,
        f"kept here for comparison: {summary(OTHER_SOLVER)}": OTHER_SOLVER,
    }
    threads = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ}
    print(f"BLAS threads: {threads or 'library default'}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")
    a, b = measure(list(solvers.values()), catalog, args.repeats)
    name_a, name_b = solvers
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
