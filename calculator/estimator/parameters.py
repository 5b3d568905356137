"""The fit's parameter vector θ and the model as a function of it: where each parameter lives, its prior
and bounds, and the predicted throughput (or forward time) of every observation with its analytic Jacobian.

η_bw, η_fl, overhead and overhead_per_seq are fitted in logit/log space and are hierarchical: a pooled set
over all data, an offset per GPU family (hopper, blackwell, ampere, ada, amd, other) and an offset per GPU
with its own data, each offset shrunk towards zero by a prior. The pooled efficiencies have wide priors and
the family offsets narrow ones, so that with data from one family (all ours are SGLang on Blackwell) an unseen
family inherits what the serving data show instead of datasheet-level defaults. Shared across GPUs: the fp8
compute gain, the draft-model step cost (EAGLE-3, MTP) and an extra engine time per cycle for each
speculative/diffusion mode, which each data source (one engine build) may scale by its own factor; a timed
bare forward (a forward surface) may scale the fixed overheads by its source's own factor.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calculator.estimator.observations import SPEC_MODES, Observations
from calculator.estimator.result import DEFAULT_FP8_GAIN, DEFAULTS, Efficiency
from calculator.estimator.roofline import FloatArray, row_times
from calculator.modes import DEFAULT_DRAFT_FRACTION

# Prior widths (logit η, log overhead) of the pooled set around the defaults, and of the offsets.
# The pooled efficiencies are wide (1.0) and the family offsets narrow (0.3): with serving data from one
# family only, what it shows (mostly the serving engine and the model's forward shapes, not the silicon) is
# carried to families without data, ~92 % of it, instead of falling back to datasheet-level defaults that
# flatter compute-bound modes (self-speculation at high concurrency). A family's own data still moves it.
K = 4  # per-unit parameters: logit η_bw, logit η_fl, log overhead ms, log overhead per sequence µs
_PRIOR_WIDTH_POOLED = np.array([1.0, 1.0, 1.0, 1.5])
_PRIOR_WIDTH_FAMILY = np.array([0.3, 0.3, 0.3, 0.3])
_PRIOR_WIDTH_GPU = np.array([0.5, 0.5, 0.5, 0.5])
_PRIOR_WIDTH_FP8_GAIN = 0.4  # log
_PRIOR_WIDTH_DRAFT = 0.7  # log
_PRIOR_WIDTH_MODE_OVERHEAD_MS = 3.0
_PRIOR_WIDTH_SOURCE_MODE_OVERHEAD = 1.0  # log multiplier of one data source's per-mode overhead
_PRIOR_WIDTH_FORWARD_OVERHEAD = 2.0  # log factor: a timed bare forward vs a serving engine's step


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: npt.ArrayLike) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
    return out


_THETA0 = np.array(
    [
        _logit(DEFAULTS.eta_bw),
        _logit(DEFAULTS.eta_fl),
        math.log(DEFAULTS.overhead_ms),
        math.log(DEFAULTS.overhead_per_seq_us),
    ]
)


def efficiency_of(theta: FloatArray) -> Efficiency:
    """One unit's K entries of θ (logit η_bw, logit η_fl, log overhead ms, log µs per sequence) in words."""
    s = _sigmoid(theta[:2])
    return Efficiency(float(s[0]), float(s[1]), float(math.exp(theta[2])), float(math.exp(theta[3])))


@dataclass(frozen=True, eq=False)
class Layout:
    """Where each parameter lives in the flat vector θ."""

    families: list[str]
    unit_family_index: npt.NDArray[np.int64]
    n_units: int
    n_sources: int

    @property
    def n_theta(self) -> int:
        return K * (1 + len(self.families) + self.n_units) + 3 + len(SPEC_MODES) * (1 + self.n_sources) + self.n_sources

    @property
    def shared_start(self) -> int:
        """Index of the first shared term (log fp8 gain; then log draft fractions, mode overheads ms)."""
        return K * (1 + len(self.families) + self.n_units)

    def source_mode_offsets(self, theta: FloatArray) -> FloatArray:
        """Per-source log multipliers of the per-mode cycle overhead (n_sources x modes)."""
        start = self.shared_start + 3 + len(SPEC_MODES)
        out: FloatArray = theta[start : start + self.n_sources * len(SPEC_MODES)].reshape(
            self.n_sources, len(SPEC_MODES)
        )
        return out

    def forward_overhead_factors(self, theta: FloatArray) -> FloatArray:
        """Per-source log factor on the fixed overheads for forward-surface points (a bare timed forward
        carries no serving-engine time; serving points leave these at 0)."""
        out: FloatArray = theta[self.n_theta - self.n_sources :]
        return out

    def split(self, theta: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """(pooled K, families x K, units x K, shared 3, per-mode overhead ms) views of θ."""
        nf, nu = len(self.families), self.n_units
        g = theta[:K]
        fam = theta[K : K * (1 + nf)].reshape(nf, K)
        base = self.shared_start
        unit = theta[K * (1 + nf) : base].reshape(nu, K)
        shared = theta[base : base + 3]
        mode_oh = theta[base + 3 : base + 3 + len(SPEC_MODES)]
        return g, fam, unit, shared, mode_oh

    def unit_theta(self, theta: FloatArray) -> FloatArray:
        """Each unit's (GPU's) K parameters: pooled + its family's offset + its own."""
        g, fam, unit, _, _ = self.split(theta)
        if self.n_units == 0:
            return np.zeros((0, K))
        out: FloatArray = g[None, :] + fam[self.unit_family_index] + unit
        return out


def layout_of(obs: Observations) -> Layout:
    """The θ layout for these observations' GPUs, families and data sources."""
    families = sorted(set(obs.unit_family))
    index = np.asarray([families.index(f) for f in obs.unit_family], dtype=np.int64)
    return Layout(families, index, len(obs.units), len(obs.sources))


def theta_start(layout: Layout) -> FloatArray:
    """θ at the documented defaults (offsets 0): where a fit starts."""
    theta = np.zeros(layout.n_theta)
    theta[:K] = _THETA0
    base = layout.shared_start
    theta[base] = math.log(DEFAULT_FP8_GAIN)
    theta[base + 1] = math.log(DEFAULT_DRAFT_FRACTION["draft_eagle3"])
    theta[base + 2] = math.log(DEFAULT_DRAFT_FRACTION["draft_mtp"])
    return theta


def bounds(layout: Layout) -> tuple[FloatArray, FloatArray]:
    """Lower and upper bounds of θ (the shared terms only; efficiencies are bounded by their logit)."""
    lo = np.full(layout.n_theta, -np.inf)
    hi = np.full(layout.n_theta, np.inf)
    base = layout.shared_start
    lo[base], hi[base] = 0.0, math.log(2.0)  # fp8 gain in [1, 2]
    lo[base + 1 : base + 3], hi[base + 1 : base + 3] = math.log(0.01), 0.0  # draft fraction in [0.01, 1]
    lo[base + 3 : base + 3 + len(SPEC_MODES)] = 0.0  # mode overhead ms in [0, 100]
    hi[base + 3 : base + 3 + len(SPEC_MODES)] = 100.0
    lo[base + 3 + len(SPEC_MODES) :], hi[base + 3 + len(SPEC_MODES) :] = -5.0, 5.0
    return lo, hi


@functools.lru_cache(maxsize=64)
def prior(layout: Layout) -> tuple[FloatArray, FloatArray]:
    """Prior centre and width of every entry of θ, in θ's order (cached per layout)."""
    nf, nu, n_modes = len(layout.families), layout.n_units, len(SPEC_MODES)
    centre = np.concatenate(
        [
            _THETA0,
            np.zeros(K * (nf + nu)),
            [math.log(DEFAULT_FP8_GAIN)],
            np.log([DEFAULT_DRAFT_FRACTION["draft_eagle3"], DEFAULT_DRAFT_FRACTION["draft_mtp"]]),
            np.zeros(n_modes * (1 + layout.n_sources)),
            np.zeros(layout.n_sources),
        ]
    )
    width = np.concatenate(
        [
            _PRIOR_WIDTH_POOLED,
            np.tile(_PRIOR_WIDTH_FAMILY, nf),
            np.tile(_PRIOR_WIDTH_GPU, nu),
            [_PRIOR_WIDTH_FP8_GAIN, _PRIOR_WIDTH_DRAFT, _PRIOR_WIDTH_DRAFT],
            np.full(n_modes, _PRIOR_WIDTH_MODE_OVERHEAD_MS),
            np.full(n_modes * layout.n_sources, _PRIOR_WIDTH_SOURCE_MODE_OVERHEAD),
            np.full(layout.n_sources, _PRIOR_WIDTH_FORWARD_OVERHEAD),
        ]
    )
    return centre, width


def evaluate(
    obs: Observations,
    layout: Layout,
    theta: FloatArray,
    *,
    jacobian: bool = False,
    mode_overhead_s: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray | None]:
    """Predicted tok/s (serving observations) or seconds (forward observations) for θ, and optionally
    d log(prediction) / dθ (analytic: the model is a sum of max() terms, so the fit needs no finite differences).

    mode_overhead_s: per observation, the engine time per cycle to use instead of its own data source's (to
    predict a point the way an estimate is made); not with jacobian."""
    r = obs.rows
    n_obs = len(obs.meta)
    if n_obs == 0:
        return np.zeros(0), (np.zeros((0, layout.n_theta)) if jacobian else None)
    ut = layout.unit_theta(theta)
    _, _, _, shared, mode_oh = layout.split(theta)
    offsets = layout.source_mode_offsets(theta)
    eff = _sigmoid(ut[:, :2])
    c0 = np.exp(ut[:, 2]) / 1e3
    cseq = np.exp(ut[:, 3]) / 1e6
    u = r["unit"]
    gain_raw = math.exp(shared[0])
    gain_capped = r["fp8"] & (gain_raw < r["ratio"])
    gain = np.where(r["fp8"], np.minimum(gain_raw, r["ratio"]), 1.0)
    b = r["batch"]
    row_source = obs.source[r["obs"]]
    row_forward = ~obs.serving[r["obs"]]
    factor = np.where(row_forward, np.exp(layout.forward_overhead_factors(theta)[row_source]), 1.0)
    fixed = (c0[u] + b * cseq[u]) * factor
    t, mem, fl = row_times(r, eta_bw=eff[u, 0], eta_fl=eff[u, 1], fixed_s=fixed, gain=gain)
    mem_bound = mem >= fl
    draft = np.array([1.0, math.exp(shared[1]), math.exp(shared[2])])
    weight_row = r["count"] * draft[r["role"]]
    per_obs = np.bincount(r["obs"], weights=weight_row * t, minlength=n_obs)
    source_oh = mode_oh[None, :] * np.exp(offsets)  # n_sources x modes, ms
    oh_table = np.concatenate([np.zeros((layout.n_sources, 1)), source_oh], axis=1) / 1e3
    oh = oh_table[obs.source, obs.mode_code] * obs.serving
    if mode_overhead_s is not None:
        if jacobian:
            raise ValueError("mode_overhead_s is for predictions, not for the fit's Jacobian")
        oh = np.asarray(mode_overhead_s, dtype=np.float64) * obs.serving
    cycle = per_obs + oh
    pred: FloatArray = np.where(obs.serving, obs.batch * obs.tokens_per_cycle / cycle, cycle)
    if not jacobian:
        return pred, None

    def per_obs_sum(values: FloatArray) -> FloatArray:
        out = np.bincount(r["obs"], weights=weight_row * values, minlength=n_obs)
        return np.asarray(out, dtype=np.float64)

    eta_bw, eta_fl = eff[u, 0], eff[u, 1]
    unit_derivs = (
        per_obs_sum(np.where(mem_bound, -mem * (1.0 - eta_bw), 0.0)),
        per_obs_sum(np.where(mem_bound, 0.0, -fl * (1.0 - eta_fl))),
        per_obs_sum(c0[u] * factor),
        per_obs_sum(b * cseq[u] * factor),
    )
    jac = np.zeros((n_obs, layout.n_theta))
    rows_i = np.arange(n_obs)
    nf = len(layout.families)
    fam_of_obs = layout.unit_family_index[obs.unit]
    for k, d in enumerate(unit_derivs):
        jac[:, k] = d
        jac[rows_i, K + fam_of_obs * K + k] = d
        jac[rows_i, K * (1 + nf) + obs.unit * K + k] = d
    base = layout.shared_start
    jac[:, base] = per_obs_sum(np.where(~mem_bound & gain_capped, -fl, 0.0))
    jac[:, base + 1] = per_obs_sum(np.where(r["role"] == 1, t, 0.0))
    jac[:, base + 2] = per_obs_sum(np.where(r["role"] == 2, t, 0.0))
    with_mode = obs.serving & (obs.mode_code > 0)
    mode_i = obs.mode_code[with_mode] - 1
    source_i = obs.source[with_mode]
    idx = rows_i[with_mode]
    n_modes = len(SPEC_MODES)
    jac[idx, base + 3 + mode_i] = np.exp(offsets[source_i, mode_i]) / 1e3
    jac[idx, base + 3 + n_modes + source_i * n_modes + mode_i] = oh[with_mode]
    forward_rows = np.flatnonzero(row_forward)
    if len(forward_rows):
        contrib = weight_row[forward_rows] * fixed[forward_rows]
        cols = layout.n_theta - layout.n_sources + row_source[forward_rows]
        np.add.at(jac, (r["obs"][forward_rows], cols), contrib)
    sign = np.where(obs.serving, -1.0, 1.0)
    jac *= (sign / cycle)[:, None]
    return pred, jac
