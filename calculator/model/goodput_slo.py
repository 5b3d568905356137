"""Whether a run's goodput answers the user's question: goodput counts the requests that met the *run's* latency
objectives (GuideLLM's `config.slo`: TTFT, TPOT and end-to-end latency limits per request, in ms), so a plan may be
sized on it only where those objectives are at least as strict as the user's targets. A run whose objectives are
looser (or do not bound a latency the user bounds, or are not stated) counted requests the user would not accept as
good: its goodput is not used and the plan is sized on throughput, with a note saying why.

The user's targets here are limits of the same kind: TTFT in ms, TPOT in ms (the planner's tokens/s-per-user floor
is a TPOT of 1000 / floor ms), end-to-end latency in ms. Where the run's per-request limit is at or below the
user's, every request the run counted as good also meets the user's limit, so the run's goodput is a floor on the
throughput that meets the user's limits: sizing on it never under-provisions for them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

RUN_SLO_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("ttft", "goodput_slo_ttft_ms", "TTFT"),
    ("tpot", "goodput_slo_tpot_ms", "TPOT"),
    ("e2el", "goodput_slo_e2el_ms", "end-to-end latency"),
)


@dataclass(frozen=True)
class UserLimits:
    """The user's latency limits in ms; None where the user sets none."""

    ttft_ms: float | None = None
    tpot_ms: float | None = None
    e2el_ms: float | None = None

    @classmethod
    def from_targets(
        cls, max_ttft_ms: float | None = None, min_tok_s_user: float | None = None, max_e2el_ms: float | None = None
    ) -> UserLimits:
        """From the planner's targets: a TTFT limit, a tokens/s-per-user floor (TPOT <= 1000 / floor ms)."""
        tpot = 1000.0 / min_tok_s_user if min_tok_s_user else None
        return cls(ttft_ms=max_ttft_ms, tpot_ms=tpot, e2el_ms=max_e2el_ms)

    def limit(self, which: str) -> float | None:
        value: float | None = getattr(self, f"{which}_ms")
        return value


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df:
        return np.full(len(df), np.nan)
    out: np.ndarray = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return out


def run_slo_check(df: pd.DataFrame, user: UserLimits) -> tuple[np.ndarray, np.ndarray]:
    """Per row: (whether the run's objectives are at least as strict as the user's limits, a note where not).

    A row is usable when, for every latency the user limits, the run limited it too, at or below the user's
    limit. With no user limits every row is usable. The note names the first latency that fails the test, e.g.
    "the run's TTFT objective (2,000 ms) is looser than yours (500 ms)" or "the run's SLO does not bound TPOT";
    "" where usable."""
    n = len(df)
    usable = np.ones(n, dtype=bool)
    note = np.full(n, "", dtype=object)
    for which, column, label in RUN_SLO_COLUMNS:
        limit = user.limit(which)
        if limit is None or not math.isfinite(limit):
            continue
        run = _column(df, column)
        unstated = np.isnan(run)
        looser = ~unstated & (run > limit * (1 + 1e-9))
        fresh = usable & (unstated | looser)
        for i in np.flatnonzero(fresh):
            note[i] = (
                f"the run's SLO does not bound {label}"
                if unstated[i]
                else f"the run's {label} objective ({run[i]:,.0f} ms) is looser than yours ({limit:,.0f} ms)"
            )
        usable &= ~(unstated | looser)
    return usable, note


def run_slo_text(row: pd.Series) -> str:
    """The run's objectives in words ("TTFT <= 500 ms, TPOT <= 50 ms"), "" where none is stated."""
    parts = []
    for _which, column, label in RUN_SLO_COLUMNS:
        value = row.get(column)
        if value is not None and not pd.isna(value):
            parts.append(f"{label} <= {float(value):,.0f} ms")
    return ", ".join(parts)
