"""The fit's parameter vector θ and the model as a function of it: where each parameter lives, its prior and bounds,
and the predicted throughput (or time) of every observation with its analytic Jacobian.

η_bw, η_fl, overhead, overhead_per_seq and η_kv are fitted in logit/log space as pooled + GPU family offset + engine
class offset, each offset shrunk towards zero by a prior. There is no per-GPU level: GPUs of a family share their
efficiencies and differ only by their datasheet, so a GPU whose figures are all >= another's in its family is never
estimated slower, and a GPU without data is estimated like the GPUs of its family that have some. The engine level
separates the software that measured a point from the silicon (estimates use the reference engine's). Shared across
GPUs: the fp8 compute gain, the peak factor of weight-only GEMMs (8- and 4-bit), the draft-model step cost (EAGLE-3,
MTP), an extra engine time per cycle for each speculative/diffusion mode (a fixed part plus a part per running
sequence; each data source may scale both by its own factors), a per-engine request overhead that only TTFT pays
(tokenisation, scheduling, first-token streaming), and, per forward-surface source, a factor on the fixed overheads
(a bare timed forward runs no serving engine).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calculator.model.estimator.engines import carried_offsets
from calculator.model.estimator.observations import SPEC_MODES, Observations
from calculator.model.estimator.result import (
    DEFAULT_FP8_GAIN,
    DEFAULT_MODE_US_PER_SEQ,
    DEFAULT_TTFT_OVERHEAD_MS,
    DEFAULT_WEIGHT_ONLY_FACTOR,
    DEFAULTS,
    ETA_BW_MAX,
    Efficiency,
)
from calculator.model.estimator.roofline import FloatArray, row_times
from calculator.model.modes import DEFAULT_DRAFT_FRACTION

# Prior widths (logit η_bw, logit η_fl, log overhead ms, log overhead per sequence µs, logit η_kv) of the pooled set
# around the defaults, and of the family and engine offsets. The pooled set is wide; a family's offset (0.5) lets its
# own data move it while a family without data stays near the others; engines differ mostly in their per-step
# overheads (CPU scheduling, launches: wide) and attention kernels (η_kv), less in GEMM efficiency.
K = 5
_PRIOR_WIDTH_POOLED = np.array([1.0, 1.0, 1.0, 1.5, 1.0])
_PRIOR_WIDTH_FAMILY = np.array([0.5, 0.5, 0.5, 0.5, 0.5])
_PRIOR_WIDTH_ENGINE = np.array([0.4, 0.4, 0.7, 0.7, 0.7])
_N_SHARED = 5  # log fp8 gain, log draft fraction EAGLE-3, log draft fraction MTP, log weight-only factor 8-bit, 4-bit
_PRIOR_WIDTH_FP8_GAIN = 0.4  # log
_PRIOR_WIDTH_WEIGHT_ONLY = 0.5  # log
_PRIOR_WIDTH_DRAFT = 0.7  # log
_PRIOR_WIDTH_MODE_OVERHEAD_MS = 3.0
_PRIOR_WIDTH_SOURCE_MODE_OVERHEAD = 1.0  # log multiplier of one data source's per-mode overhead
_PRIOR_WIDTH_FORWARD_OVERHEAD = 2.0  # log factor: a timed bare forward vs a serving engine's step
_PRIOR_WIDTH_TTFT_OVERHEAD = 1.0  # log ms
_PRIOR_WIDTH_MODE_US_PER_SEQ = 2.0  # log µs per sequence of a mode's engine time per cycle


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _sigmoid(x: npt.ArrayLike) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
    return out


ETA_MAX = np.array([ETA_BW_MAX, 1.0, ETA_BW_MAX])
"""Upper limits of η_bw, η_fl, η_kv: η = limit x sigmoid(θ). Measured HBM bandwidth reaches 90-92 % of its peak
(Azure measured 7.35 of 8.0 TB/s on GB200); no kernel streams faster than the memory system."""
THETA0 = np.array(
    [
        _logit(DEFAULTS.eta_bw / ETA_BW_MAX),
        _logit(DEFAULTS.eta_fl),
        math.log(DEFAULTS.overhead_ms),
        math.log(DEFAULTS.overhead_per_seq_us),
        _logit(DEFAULTS.eta_kv / ETA_BW_MAX),
    ]
)


def efficiency_of(theta: npt.ArrayLike) -> Efficiency:
    """K entries of θ (logit η_bw / 0.92, logit η_fl, log overhead ms, log µs per sequence, logit η_kv / 0.92)."""
    t = np.asarray(theta, dtype=np.float64)
    s = _sigmoid(t[[0, 1, 4]]) * ETA_MAX
    return Efficiency(float(s[0]), float(s[1]), float(math.exp(t[2])), float(math.exp(t[3])), float(s[2]))


@dataclass(frozen=True, eq=False)
class Layout:
    """Where each parameter lives in the flat vector θ, and which observation uses which entries."""

    families: list[str]
    engines: list[str]
    source_modes: list[tuple[int, int]]  # (source, mode code) pairs with per-source mode-overhead multipliers
    forward_sources: list[int]  # sources with a bare-forward overhead factor
    obs_source_mode: npt.NDArray[np.int64]  # per observation: index into source_modes, or -1
    obs_forward: npt.NDArray[np.int64]  # per observation: index into forward_sources, or -1

    @property
    def units_end(self) -> int:
        return K * (1 + len(self.families) + len(self.engines))

    @property
    def shared_start(self) -> int:
        """Index of the first shared term (log fp8 gain; log draft fractions; log weight-only factors)."""
        return self.units_end

    @property
    def mode_start(self) -> int:
        return self.shared_start + _N_SHARED

    @property
    def source_mode_start(self) -> int:
        return self.mode_start + len(SPEC_MODES)

    @property
    def forward_start(self) -> int:
        """After the per-source multipliers: n of the fixed part, then n of the per-sequence part."""
        return self.source_mode_start + 2 * len(self.source_modes)

    @property
    def ttft_start(self) -> int:
        return self.forward_start + len(self.forward_sources)

    @property
    def mode_seq_start(self) -> int:
        """Index of the log µs per sequence of each speculative/diffusion mode's engine time per cycle."""
        return self.ttft_start + len(self.engines)

    @property
    def n_theta(self) -> int:
        return self.mode_seq_start + len(SPEC_MODES)

    def pooled(self, theta: FloatArray) -> FloatArray:
        out: FloatArray = theta[:K]
        return out

    def family_offset(self, theta: FloatArray, family: int) -> FloatArray:
        out: FloatArray = theta[K * (1 + family) : K * (2 + family)]
        return out

    def engine_offset(self, theta: FloatArray, engine: int) -> FloatArray:
        start = K * (1 + len(self.families) + engine)
        out: FloatArray = theta[start : start + K]
        return out

    def obs_theta(self, obs: Observations, theta: FloatArray) -> FloatArray:
        """Each observation's K parameters: pooled + its family's offset + its engine's offset."""
        nf, ne = len(self.families), len(self.engines)
        fam = theta[K : K * (1 + nf)].reshape(nf, K)
        eng = theta[K * (1 + nf) : K * (1 + nf + ne)].reshape(ne, K)
        out: FloatArray = theta[None, :K] + fam[obs.family] + eng[obs.engine]
        return out


def layout_of(obs: Observations) -> Layout:
    """The θ layout for these observations' families, engines and data sources."""
    n = len(obs.actual)
    source_modes: list[tuple[int, int]] = []
    obs_sm = np.full(n, -1, dtype=np.int64)
    forward_sources: list[int] = []
    obs_fw = np.full(n, -1, dtype=np.int64)
    for i in range(n):
        if obs.kind[i] in (0, 3) and obs.mode_code[i] > 0:
            key = (int(obs.source[i]), int(obs.mode_code[i]))
            if key not in source_modes:
                source_modes.append(key)
            obs_sm[i] = source_modes.index(key)
        elif obs.kind[i] == 1:
            src = int(obs.source[i])
            if src not in forward_sources:
                forward_sources.append(src)
            obs_fw[i] = forward_sources.index(src)
    return Layout(list(obs.families), list(obs.engines), source_modes, forward_sources, obs_sm, obs_fw)


def theta_start(layout: Layout) -> FloatArray:
    """θ at the documented defaults (offsets 0): where a fit starts."""
    centre, _ = prior(layout)
    return centre.copy()


def bounds(layout: Layout) -> tuple[FloatArray, FloatArray]:
    """Lower and upper bounds of θ (the shared terms only; efficiencies are bounded by their logit)."""
    lo = np.full(layout.n_theta, -np.inf)
    hi = np.full(layout.n_theta, np.inf)
    base = layout.shared_start
    lo[base], hi[base] = 0.0, math.log(2.0)  # fp8 gain in [1, 2]
    lo[base + 1 : base + 3], hi[base + 1 : base + 3] = math.log(0.01), 0.0  # draft fraction in [0.01, 1]
    lo[base + 3 : base + 5], hi[base + 3 : base + 5] = math.log(0.2), 0.0  # weight-only factor in [0.2, 1]
    lo[layout.mode_start : layout.source_mode_start] = 0.0  # mode overhead ms in [0, 100]
    hi[layout.mode_start : layout.source_mode_start] = 100.0
    lo[layout.source_mode_start : layout.ttft_start] = -5.0  # per-source multipliers, bare-forward factors
    hi[layout.source_mode_start : layout.ttft_start] = 5.0
    lo[layout.ttft_start : layout.mode_seq_start] = math.log(0.01)  # TTFT overhead ms
    hi[layout.ttft_start : layout.mode_seq_start] = math.log(500.0)
    lo[layout.mode_seq_start :], hi[layout.mode_seq_start :] = math.log(0.1), math.log(5000.0)  # µs per sequence
    return lo, hi


def engine_prior_offset(engine: str) -> FloatArray:
    """The prior centre of an engine class's K offsets: 0 on the efficiencies, log HOST_SCALE on the fixed and
    per-sequence overheads (a generation whose host work overlaps the GPU's is expected to pay about half the per-step
    time of a CPU-bound one; the pooled set is the CPU-bound level)."""
    return np.array(carried_offsets(engine, {})[0], dtype=np.float64)


@functools.lru_cache(maxsize=64)
def prior(layout: Layout) -> tuple[FloatArray, FloatArray]:
    """Prior centre and width of every entry of θ, in θ's order (cached per layout)."""
    nf, ne, n_modes = len(layout.families), len(layout.engines), len(SPEC_MODES)
    centre = np.concatenate(
        [
            THETA0,
            np.zeros(K * nf),
            np.concatenate([engine_prior_offset(e) for e in layout.engines]) if ne else np.zeros(0),
            [math.log(DEFAULT_FP8_GAIN)],
            np.log([DEFAULT_DRAFT_FRACTION["draft_eagle3"], DEFAULT_DRAFT_FRACTION["draft_mtp"]]),
            np.full(2, math.log(DEFAULT_WEIGHT_ONLY_FACTOR)),
            np.zeros(n_modes + 2 * len(layout.source_modes) + len(layout.forward_sources)),
            np.full(ne, math.log(DEFAULT_TTFT_OVERHEAD_MS)),
            np.full(n_modes, math.log(DEFAULT_MODE_US_PER_SEQ)),
        ]
    )
    width = np.concatenate(
        [
            _PRIOR_WIDTH_POOLED,
            np.tile(_PRIOR_WIDTH_FAMILY, nf),
            np.tile(_PRIOR_WIDTH_ENGINE, ne),
            [_PRIOR_WIDTH_FP8_GAIN, _PRIOR_WIDTH_DRAFT, _PRIOR_WIDTH_DRAFT, _PRIOR_WIDTH_WEIGHT_ONLY],
            [_PRIOR_WIDTH_WEIGHT_ONLY],
            np.full(n_modes, _PRIOR_WIDTH_MODE_OVERHEAD_MS),
            np.full(2 * len(layout.source_modes), _PRIOR_WIDTH_SOURCE_MODE_OVERHEAD),
            np.full(len(layout.forward_sources), _PRIOR_WIDTH_FORWARD_OVERHEAD),
            np.full(ne, _PRIOR_WIDTH_TTFT_OVERHEAD),
            np.full(n_modes, _PRIOR_WIDTH_MODE_US_PER_SEQ),
        ]
    )
    return centre, width


def source_multiplier(layout: Layout, theta: FloatArray, source: int, mode_code: int) -> tuple[float, float]:
    """One data source's multipliers on a mode's engine time per cycle, (fixed part, per-sequence part); (1, 1) without
    its own."""
    key = (source, mode_code)
    if key in layout.source_modes:
        i = layout.source_modes.index(key)
        n = len(layout.source_modes)
        start = layout.source_mode_start
        return math.exp(float(theta[start + i])), math.exp(float(theta[start + n + i]))
    return 1.0, 1.0


def mode_engine_terms(layout: Layout, theta: FloatArray, mode_code: int) -> tuple[float, float]:
    """A mode's shared engine time per cycle: (fixed ms, µs per running sequence)."""
    return float(theta[layout.mode_start + mode_code - 1]), math.exp(
        float(theta[layout.mode_seq_start + mode_code - 1])
    )


def source_mode_ms(layout: Layout, theta: FloatArray, source: int, mode_code: int) -> float:
    """One data source's fitted fixed engine time per cycle of a mode (ms): the shared value x its own multiplier."""
    return mode_engine_terms(layout, theta, mode_code)[0] * source_multiplier(layout, theta, source, mode_code)[0]


def evaluate(
    obs: Observations,
    layout: Layout,
    theta: FloatArray,
    *,
    jacobian: bool = False,
    mode_overhead_s: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray | None]:
    """Predicted tok/s (throughput observations) or seconds (forward and TTFT observations) for θ, and optionally
    d log(prediction) / dθ (analytic: the model is a sum of max() terms, so the fit needs no finite differences).

    mode_overhead_s: per observation, the engine time per cycle to use instead of its own data source's (to
    predict a point the way an estimate is made); not with jacobian."""
    r = obs.rows
    n_obs = len(obs.actual)
    if n_obs == 0:
        return np.zeros(0), (np.zeros((0, layout.n_theta)) if jacobian else None)
    ot = layout.obs_theta(obs, theta)
    eff = _sigmoid(ot[:, [0, 1, 4]]) * ETA_MAX
    c0 = np.exp(ot[:, 2]) / 1e3
    cseq = np.exp(ot[:, 3]) / 1e6
    o = r["obs"]
    shared = theta[layout.shared_start : layout.shared_start + _N_SHARED]
    gain_raw = math.exp(shared[0])
    gain_active = r["fast"] & (gain_raw < r["ratio"])
    wo8, wo4 = math.exp(shared[3]), math.exp(shared[4])
    gain = np.where(r["fast"], np.minimum(gain_raw, r["ratio"]), 1.0) * np.where(
        r["wo"] == 8, wo8 * r["wor"], np.where(r["wo"] == 4, wo4 * r["wor"], 1.0)
    )
    b = r["batch"]
    fw_theta = theta[layout.forward_start : layout.ttft_start]
    row_fw = layout.obs_forward[o]
    factor = np.where(row_fw >= 0, np.exp(fw_theta[np.maximum(row_fw, 0)]) if len(fw_theta) else 1.0, 1.0)
    fixed = (c0[o] + b * cseq[o]) * factor
    eta_bw, eta_fl, eta_kv = eff[o, 0], eff[o, 1], eff[o, 2]
    t, (gm, gf, am, af) = row_times(r, eta_bw=eta_bw, eta_fl=eta_fl, eta_kv=eta_kv, fixed_s=fixed, gain=gain)
    gemm_mem, attn_mem = gm >= gf, am >= af
    draft = np.array([1.0, math.exp(shared[1]), math.exp(shared[2])])
    weight_row = r["count"] * draft[r["role"]]
    per_obs = np.bincount(o, weights=weight_row * t, minlength=n_obs)
    # Engine time per cycle of the speculative/diffusion modes (throughput and TPOT observations).
    mode_oh = theta[layout.mode_start : layout.source_mode_start]
    n_sm = len(layout.source_modes)
    sm_fixed = theta[layout.source_mode_start : layout.source_mode_start + n_sm]
    sm_seq = theta[layout.source_mode_start + n_sm : layout.forward_start]
    obs_sm = layout.obs_source_mode
    with_mode = obs_sm >= 0
    at = np.maximum(obs_sm, 0)
    mult_fixed = np.where(with_mode, np.exp(sm_fixed[at]) if n_sm else 1.0, 0.0)
    mult_seq = np.where(with_mode, np.exp(sm_seq[at]) if n_sm else 1.0, 0.0)
    seq_us = np.exp(theta[layout.mode_seq_start :])[np.maximum(obs.mode_code - 1, 0)]
    oh_fixed = np.where(with_mode, mode_oh[np.maximum(obs.mode_code - 1, 0)] * mult_fixed, 0.0) / 1e3
    oh_seq = np.where(with_mode, obs.batch * seq_us * mult_seq, 0.0) / 1e6
    oh = oh_fixed + oh_seq
    if mode_overhead_s is not None:
        if jacobian:
            raise ValueError("mode_overhead_s is for predictions, not for the fit's Jacobian")
        oh = np.asarray(mode_overhead_s, dtype=np.float64) * np.isin(obs.kind, (0, 3))
    # The request overhead TTFT pays on top of its prefill forward.
    is_ttft = obs.kind == 2
    tt = np.exp(theta[layout.ttft_start :])[obs.engine] / 1e3 * is_ttft
    cycle = per_obs + oh + tt
    rate = obs.rate
    pred: FloatArray = np.where(rate, obs.batch * obs.tokens_per_cycle / cycle, cycle / obs.divisor)
    if not jacobian:
        return pred, None

    def per_obs_sum(values: FloatArray) -> FloatArray:
        out = np.bincount(o, weights=weight_row * values, minlength=n_obs)
        return np.asarray(out, dtype=np.float64)

    # d time / d θ: for η = limit x sigmoid(θ), d log η / dθ = 1 - η / limit.
    unit_derivs = (
        per_obs_sum(np.where(gemm_mem, -gm * (1.0 - eta_bw / ETA_MAX[0]), 0.0)),
        per_obs_sum((np.where(gemm_mem, 0.0, -gf) + np.where(attn_mem, 0.0, -af)) * (1.0 - eta_fl / ETA_MAX[1])),
        per_obs_sum(c0[o] * factor),
        per_obs_sum(b * cseq[o] * factor),
        per_obs_sum(np.where(attn_mem, -am * (1.0 - eta_kv / ETA_MAX[2]), 0.0)),
    )
    jac = np.zeros((n_obs, layout.n_theta))
    rows_i = np.arange(n_obs)
    nf = len(layout.families)
    for k, d in enumerate(unit_derivs):
        jac[:, k] = d
        jac[rows_i, K * (1 + obs.family) + k] = d
        jac[rows_i, K * (1 + nf + obs.engine) + k] = d
    base = layout.shared_start
    gemm_compute = np.where(gemm_mem, 0.0, -gf)
    jac[:, base] = per_obs_sum(np.where(gain_active, gemm_compute, 0.0))
    jac[:, base + 1] = per_obs_sum(np.where(r["role"] == 1, t, 0.0))
    jac[:, base + 2] = per_obs_sum(np.where(r["role"] == 2, t, 0.0))
    jac[:, base + 3] = per_obs_sum(np.where(r["wo"] == 8, gemm_compute, 0.0))
    jac[:, base + 4] = per_obs_sum(np.where(r["wo"] == 4, gemm_compute, 0.0))
    idx = rows_i[with_mode]
    jac[idx, layout.mode_start + obs.mode_code[idx] - 1] = mult_fixed[idx] / 1e3
    jac[idx, layout.source_mode_start + obs_sm[idx]] = oh_fixed[idx]
    jac[idx, layout.source_mode_start + n_sm + obs_sm[idx]] = oh_seq[idx]
    jac[idx, layout.mode_seq_start + obs.mode_code[idx] - 1] = oh_seq[idx]
    forward_rows = np.flatnonzero(row_fw >= 0)
    if len(forward_rows):
        contrib = weight_row[forward_rows] * fixed[forward_rows]
        np.add.at(jac, (o[forward_rows], layout.forward_start + row_fw[forward_rows]), contrib)
    ttft_i = rows_i[is_ttft]
    jac[ttft_i, layout.ttft_start + obs.engine[ttft_i]] = tt[ttft_i]
    sign = np.where(rate, -1.0, 1.0)
    jac *= (sign / cycle)[:, None]
    return pred, jac
