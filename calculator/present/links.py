"""A scenario as a link writes it: which inputs live in the URL and how each is written, which values a link may
give each input (numbers in range, one of fixed options), and the scenario read back from those values, clamped to
what the widgets allow. Pure: the app's state module reads and writes the real query string with these.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from calculator.answers.gpu_compare import CONCURRENCIES, MODELS, MODES, PRECISIONS
from calculator.answers.scenario import (
    AS_MEASURED,
    CONTEXT_CHOICES,
    CROSSOVER_BASELINES,
    NLD_SIZES,
    SPEED_BENCH_CATEGORIES,
    ScenarioInputs,
)
from calculator.data.schema import TIERS
from calculator.model.cost import DENOMINATORS

# Every scenario input that lives in the URL (util is the sidebar's, bound on every page).
SCENARIO_URL_KEYS: tuple[str, ...] = (
    "size", "gpu", "tier", "provider", "isl", "osl", "ctx", "cat", "ttft", "tps", "strict", "est_len", "base",
)  # fmt: skip

# Every bound widget whose valid values do not depend on the page: (lowest, highest, whole numbers only) for numbers,
# the options for choices.
NUMBER_PARAMS: dict[str, tuple[float, float, bool]] = {
    "isl": (1, 1_000_000, True),
    "osl": (1, 1_000_000, True),
    "ttft": (0, 600_000, False),
    "tps": (0, 100_000, False),
    "util": (5, 100, True),
    "vol": (1_000_000, 1e15, False),
    "peak": (1, 24, False),
    "d_peak": (1, 24, False),
    "peak_h": (1, 24, False),
    "api_out": (0.001, 1000, False),
    "api_in": (0, 1000, False),
}
_BOOL = ("true", "false")


def context_label(tokens: int | None) -> str:
    """How the context slider (and the URL) writes a context: auto (derived from ISL), or 8K, 64K ..."""
    return "auto" if not tokens else f"{int(tokens) // 1024}K"


# Each page's tabs, bound to the URL by label (Streamlit writes the label verbatim): the pages draw these labels.
TABS: dict[str, tuple[str, ...]] = {
    "sc_tab": ("Crossover and operating points", "Frontier", "Cost by concurrency"),
    "cap_tab": ("Plans", "Monthly bill chart"),
    "hw_tab": ("Table", "Chart"),
    "fp_tab": ("Table", "Chart"),
}
ATTENTIONS: tuple[str, ...] = ("causal", "block")

CHOICE_PARAMS: dict[str, tuple[str, ...]] = {
    "size": tuple(NLD_SIZES),
    "cat": (AS_MEASURED, *SPEED_BENCH_CATEGORIES),
    "ctx": ("auto", *(context_label(n) for n in CONTEXT_CHOICES)),
    "denom": tuple(DENOMINATORS),
    "vol_unit": ("day", "month"),
    "base": tuple(CROSSOVER_BASELINES),
    **dict.fromkeys(("strict", "est_len", "c_est", "c_chart", "c_wo", "autoscale", "hw_all"), _BOOL),
    "hw_model": tuple(MODELS),
    "hw_mode": tuple(MODES),
    "hw_prec": tuple(PRECISIONS),
    "hw_conc": tuple(str(c) for c in CONCURRENCIES),
    "fp_attention": ATTENTIONS,
    **TABS,
}


def parse_context(raw: str) -> int | None:
    """A URL context back to tokens (auto: None); ValueError when it is not one of the slider's choices."""
    text = str(raw).strip()
    if text.lower() == "auto":
        return None
    for n in CONTEXT_CHOICES:
        if text.upper() == context_label(n):
            return n
    raise ValueError(f"not a context choice: {text!r}")


def number_ok(raw: str, lo: float, hi: float, whole: bool) -> bool:
    """Whether a link's text is a finite number in [lo, hi] (and whole where asked), in ASCII digits (Python reads
    `٣`, an Arabic-Indic three, as 3: a link means what it shows)."""
    if not str(raw).isascii():
        return False
    try:
        v = float(raw)
    except (TypeError, ValueError, OverflowError):
        return False
    return math.isfinite(v) and lo <= v <= hi and (not whole or v.is_integer())


def invalid_values(params: Mapping[str, Sequence[str]]) -> list[tuple[str, str, str]]:
    """(key, value, what was expected) for every value no widget may take: not a number, non-finite, out of range,
    or not one of a fixed set of options."""
    bad: list[tuple[str, str, str]] = []
    for key, values in params.items():
        if key in NUMBER_PARAMS:
            lo, hi, whole = NUMBER_PARAMS[key]
            what = f"a {'whole ' if whole else ''}number from {lo:,g} to {hi:,g}"
            bad += [(key, v, what) for v in values if not number_ok(v, lo, hi, whole)]
        elif key in CHOICE_PARAMS:
            options = CHOICE_PARAMS[key]
            what = "one of " + ", ".join(options[:8]) + ("…" if len(options) > 8 else "")
            bad += [(key, v, what) for v in values if v not in options]
    return bad


def url_text(key: str, v: Any) -> str:
    """One input as the URL writes it (bool true/false, context 8K, whole floats without .0)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if key == "ctx":
        return context_label(v)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def url_params(inputs: ScenarioInputs) -> dict[str, str]:
    """The inputs that differ from the defaults, as the URL writes them."""
    d = ScenarioInputs()
    return {k: url_text(k, getattr(inputs, k)) for k in SCENARIO_URL_KEYS if getattr(inputs, k) != getattr(d, k)}


def parse_param(raw: str, default: Any) -> Any:
    """A URL value as the type of its default; None (use the default) when it does not parse."""
    raw = str(raw).strip()
    if not isinstance(default, str) and not raw.isascii():
        return None
    try:
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes")
        if isinstance(default, int):
            return int(float(raw))
        if isinstance(default, float):
            v = float(raw)
            return v if math.isfinite(v) else None
    except (ValueError, OverflowError):
        return None
    return raw or None


def scenario_from(get: Callable[[str, Any], Any], ctx: int | None) -> ScenarioInputs:
    """The scenario from `get(key, default)` (a session's widget values or a link's, already typed), kept in the
    ranges and options the widgets allow; `ctx` is the context override (None: derived from ISL)."""
    d = ScenarioInputs()

    def clamp(v: float, lo: float, hi: float) -> float:
        return min(max(v, lo), hi)

    size, tier, cat, base = get("size", d.size), get("tier", d.tier), get("cat", d.cat), get("base", d.base)
    return ScenarioInputs(
        size=size if size in NLD_SIZES else d.size,
        gpu=str(get("gpu", d.gpu))[:64],
        tier=tier if tier in TIERS else d.tier,
        provider=str(get("provider", d.provider))[:200],
        isl=int(clamp(int(get("isl", d.isl)), 1, 1_000_000)),
        osl=int(clamp(int(get("osl", d.osl)), 1, 1_000_000)),
        ctx=ctx,
        cat=cat if cat in (AS_MEASURED, *SPEED_BENCH_CATEGORIES) else d.cat,
        ttft=clamp(float(get("ttft", d.ttft)), 0.0, 600_000.0),
        tps=clamp(float(get("tps", d.tps)), 0.0, 100_000.0),
        util=int(clamp(int(get("util", d.util)), 5, 100)),
        strict=bool(get("strict", d.strict)),
        est_len=bool(get("est_len", d.est_len)),
        base=base if base in CROSSOVER_BASELINES else d.base,
    )
