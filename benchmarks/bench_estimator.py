"""Benchmark: the estimator's cold and warm costs (issue 10's budget: an estimate for one configuration in < 1 s on
a warm cache), and, with --compare-solvers, the production solver (calculator.model.estimator.fitting.solve) against the
hand-written Levenberg-Marquardt kept here (OTHER_SOLVER), on the same residuals, analytic Jacobian and bounds.

Timed, median of --repeats, with the on-disk cache in a temporary folder:
- cold fit: observations built, θ solved, FitResult made (no cache in memory or on disk);
- fit from the disk cache: a new process's first fit (memory caches cleared, the fit on disk);
- warm estimate: one estimate_points call (NLD-8B self_spec on 4 GPUs x 4 concurrencies), the fit in memory;
- estimate, new process: `python -m calculator estimate` for one configuration, cold (empty disk cache) and warm
  (the fit on disk): what a user waits for at the command line, imports and the catalog load included;
- leave-one-GPU-out and leave-one-point-out (one warm-started refit per left-out key), cold.

Run: `python benchmarks/bench_estimator.py [--repeats 3] [--compare-solvers]`. The BLAS threads and the load are
printed first: least_squares runs LSMR steps (no threaded SVD), so it does not depend on BLAS threads.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import calculator.model.estimator.parameters as parameters
from calculator.data.catalog import Catalog, load_catalog, load_models
from calculator.model.estimator import estimate_points, fit, headline_errors, leave_one_out
from calculator.model.estimator import fitting as fitting_module
from calculator.model.estimator import validation as validation_module
from calculator.model.estimator.observations import Observations
from calculator.model.estimator.parameters import Layout, bounds, theta_start
from calculator.model.estimator.roofline import FloatArray

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


def clear_caches(disk: bool = True) -> None:
    """Forget every fit in memory (and the prior per layout), and with disk=True the on-disk cache too."""
    fitting_module._FIT_CACHE.clear()
    fitting_module._STATE_CACHE.clear()
    fitting_module._KEY_BY_IDENTITY.clear()
    validation_module._LOO_CACHE.clear()
    parameters.prior.cache_clear()
    folder = os.environ.get("NLD_COST_CACHE_DIR")
    if disk and folder:
        for f in Path(folder).glob("estimator-*.json"):
            f.unlink()


CLI_ESTIMATE = ["estimate", "--gpu", "h100-sxm", "--model", "qwen3-8b", "--mode", "ar", "--concurrency", "16",
                "--format", "json"]  # fmt: skip


def cli_estimate() -> None:
    """One `python -m calculator estimate` in a new process (inherits NLD_COST_CACHE_DIR)."""
    root = Path(__file__).resolve().parent.parent
    subprocess.run([sys.executable, "-m", "calculator", *CLI_ESTIMATE], cwd=root, capture_output=True, check=True)


def timings(catalog: Catalog, repeats: int) -> dict[str, float]:
    """Median seconds of each task with the production solver (cold = every cache emptied first)."""
    tasks: dict[str, tuple[Callable[[], object], str]] = {
        "cold fit": (lambda: fit(catalog), "cold"),
        "fit from the disk cache": (lambda: fit(catalog), "disk"),
        "warm estimate (in memory)": (lambda: estimate(catalog), "memory"),
        "estimate, new process, cold": (cli_estimate, "cold"),
        "estimate, new process, warm": (cli_estimate, "disk"),
        "leave-one-gpu-out, cold": (lambda: leave_one_out(catalog, group="gpu"), "memory"),
        "leave-one-point-out, cold": (lambda: leave_one_out(catalog, group="point"), "memory"),
    }
    out: dict[str, list[float]] = {}
    for task, (run, start) in tasks.items():
        for _ in range(repeats):
            clear_caches(disk=True)
            if start in ("disk", "memory"):
                fit(catalog)  # the fit on disk (and in memory)
                if start == "disk":
                    clear_caches(disk=False)
            t0 = time.perf_counter()
            run()
            out.setdefault(task, []).append(time.perf_counter() - t0)
    return {task: statistics.median(ts) for task, ts in out.items()}


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
                clear_caches(disk=True)
                if not cold:
                    fit(catalog)  # warm: the full fit is cached, as in the app
                t0 = time.perf_counter()
                run()
                times[k].setdefault(task, []).append(time.perf_counter() - t0)
    return [{task: statistics.median(ts) for task, ts in t.items()} for t in times]


def quality(solver: Solver, catalog: Catalog) -> tuple[float, FloatArray, FloatArray, list[float]]:
    """Objective reached, predictions of every observation, an estimate's tok/s, headline medians."""
    fitting_module.solve = solver  # type: ignore[assignment]
    clear_caches(disk=True)
    _, state = fitting_module.fitted(catalog)
    res = fitting_module.residuals(state.obs, state.layout, state.theta, state.weight)
    pred, _ = parameters.evaluate(state.obs, state.layout, state.theta)
    head = headline_errors(catalog)
    return 0.5 * float(res @ res), pred, estimate(catalog), list(head["median_abs_error_pct"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--compare-solvers", action="store_true", help="also time the hand-written solver against it")
    args = ap.parse_args()
    os.environ["NLD_COST_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-estimator-")
    os.environ.pop("NLD_COST_CACHE", None)
    catalog = load_catalog()
    load_models()
    threads = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS") if k in os.environ}
    print(f"BLAS threads: {threads or 'library default'}; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}")
    print(f"{len(catalog.points)} profile points, {sum(len(f.points) for f in catalog.forward_costs)} forward points")
    print(f"median of {args.repeats}, seconds")
    for task, seconds in timings(catalog, args.repeats).items():
        print(f"  {task:32s} {seconds:8.3f}")
    if not args.compare_solvers:
        return 0
    production: Solver = fitting_module.solve
    solvers = {
        f"production (fitting.solve): {summary(production)}": production,
        f"kept here for comparison: {summary(OTHER_SOLVER)}": OTHER_SOLVER,
    }
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
