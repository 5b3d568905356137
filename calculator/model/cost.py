"""Dollars per million tokens, vectorised over DataFrames: output, total, and the input/output split
(by a price ratio R as GKE does, or by the time share of prefill vs decode), with utilisation and
tiers including owned-hardware TCO.

Formula (DESIGN.md §5): usd_per_mtok = usd_per_gpu_hour / (tok_s_per_gpu x utilisation x 3600) x 1e6,
where tok_s_per_gpu = replica tok/s / gpus_per_replica.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from calculator.data.schema import OwnedTco, PriceOffer, slug
from calculator.model.frontier import LENGTH_TOLERANCE

SECONDS_PER_HOUR = 3600.0
HOURS_PER_YEAR = 8766.0  # 365.25 days
TOKENS_PER_MTOK = 1e6
DEFAULT_PRICE_RATIO = 4.0  # GKE's default: an output token costs R input tokens

ArrayLike = TypeVar("ArrayLike", float, np.ndarray, pd.Series)

# The cost denominators a user can choose: name (as the app and URL show it) -> (cost column, label).
DENOMINATORS: dict[str, tuple[str, str]] = {
    "output tokens": ("usd_per_mtok_output", "$/M output tokens"),
    "total tokens": ("usd_per_mtok_total", "$/M total tokens"),
    "output, input at 1/R": ("usd_per_mtok_output_r", "$/M output tokens (input priced at 1/R)"),
}
DENOMINATOR_HELP = {
    "output tokens": "All GPU cost charged to output tokens: "
    "$/GPU-h / (output tok/s per GPU x utilisation x 3600) x 1e6.",
    "total tokens": "All GPU cost spread over input + output tokens (input from ISL/OSL where the source gives none).",
    "output, input at 1/R": "Input and output priced apart, an input token costing 1/R of an output token "
    "(GKE's method, R = 4).",
}
DEFAULT_DENOMINATOR = "output tokens"


@dataclass(frozen=True)
class CostSettings:
    """How costs are computed and shown: utilisation (fraction of paid GPU time doing work), the denominator
    (a DENOMINATORS name) and the price ratio R (an output token costs R input tokens)."""

    utilisation: float = 1.0
    denominator: str = DEFAULT_DENOMINATOR
    price_ratio: float = DEFAULT_PRICE_RATIO

    @property
    def cost_column(self) -> str:
        return DENOMINATORS.get(self.denominator, DENOMINATORS[DEFAULT_DENOMINATOR])[0]

    @property
    def cost_label(self) -> str:
        return DENOMINATORS.get(self.denominator, DENOMINATORS[DEFAULT_DENOMINATOR])[1]

    @property
    def help(self) -> str:
        return DENOMINATOR_HELP.get(self.denominator, DENOMINATOR_HELP[DEFAULT_DENOMINATOR])

    def assumptions(self) -> dict[str, Any]:
        """The cost settings every export row carries: denominator, its column, the price ratio, the length
        tolerance within which a curve reflects the user's ISL/OSL."""
        return {
            "cost denominator": self.cost_label,
            "cost column": self.cost_column,
            "price ratio R": self.price_ratio,
            "length tolerance x": LENGTH_TOLERANCE,
        }


def usd_per_mtok(
    usd_per_gpu_hour: ArrayLike, tok_s_per_gpu: ArrayLike, utilisation: float | ArrayLike = 1.0
) -> ArrayLike:
    """$ per million tokens = $/GPU-h / (tok/s per GPU x utilisation x 3600) x 1e6."""
    return usd_per_gpu_hour / (tok_s_per_gpu * utilisation * SECONDS_PER_HOUR) * TOKENS_PER_MTOK


def measured_kw_per_gpu(joules_per_output_token: float, replica_output_tok_s: float, gpus_per_replica: int) -> float:
    """The power one GPU drew, in kW, from a run's measured energy: J per output token x the replica's output
    tokens/s is the replica's watts, over its GPUs. It stands in for TDP x overhead in owned-hardware cost
    (OwnedTco.power_kw_per_gpu) where a file measured it; PUE still applies on top."""
    if joules_per_output_token <= 0 or replica_output_tok_s <= 0 or gpus_per_replica < 1:
        raise ValueError("measured power needs positive joules per token, tokens/s and GPUs")
    return joules_per_output_token * replica_output_tok_s / gpus_per_replica / 1000.0


JOULES_PER_KWH = 3.6e6
DEFAULT_USD_PER_KWH = 0.08  # OwnedTco's default electricity price


def energy_usd_per_mtok(joules_per_output_token: Any, usd_per_kwh: float) -> Any:
    """The electricity of a million output tokens at `usd_per_kwh`, from a run's measured joules per output token
    (J x 1e6 / 3.6e6 J per kWh x $/kWh); a float or an array, NaN where the energy is unknown. GPU energy only
    (as the files measure it): PUE and the host are not in it."""
    return np.asarray(joules_per_output_token, dtype="float64") * 1e6 / JOULES_PER_KWH * usd_per_kwh


def owned_usd_per_gpu_hour(tco: OwnedTco) -> float:
    """Owning: capex / life hours + power kW x PUE x $/kWh + hosting, per GPU-hour (at 100 % powered-on time)."""
    capex_per_hour = tco.capex_usd_per_gpu / (tco.life_years * HOURS_PER_YEAR)
    power_per_hour = tco.power_kw_per_gpu * tco.pue * tco.usd_per_kwh
    return capex_per_hour + power_per_hour + tco.hosting_usd_per_gpu_hour


def owned_offer(gpu: str, tco: OwnedTco, *, label: str = "Your hardware (TCO)") -> PriceOffer:
    """A price offer built from a user's own TCO inputs, its basis spelled out in notes."""
    usd = owned_usd_per_gpu_hour(tco)
    basis = (
        f"capex ${tco.capex_usd_per_gpu:,.0f} / {tco.life_years:g} y + {tco.power_kw_per_gpu:g} kW x PUE {tco.pue:g}"
        f" x ${tco.usd_per_kwh:g}/kWh + hosting ${tco.hosting_usd_per_gpu_hour:g}/h"
    )
    return PriceOffer(
        id=slug(f"own-{gpu}-{label}")[:64],
        provider=label,
        instance="owned",
        gpu=gpu,
        gpus_per_instance=1,
        tier="owned",
        usd_per_gpu_hour=usd,
        as_of=date.today().isoformat(),
        source="your TCO inputs",
        notes=basis,
    )


def quote_offers(gpus: Sequence[str], usd_per_gpu_hour: float, *, label: str = "Your quote") -> pd.DataFrame:
    """One offer per GPU at the user's own price (CLI --price-usd-per-gpu-hour, the app's private quote)."""
    today = date.today().isoformat()
    return pd.DataFrame(
        {
            "id": [slug(f"quote-{g}") for g in gpus],
            "provider": label,
            "instance": "your quote",
            "gpu": list(gpus),
            "gpus_per_instance": 1,
            "tier": "on_demand",
            "usd_per_gpu_hour": float(usd_per_gpu_hour),
            "usd_per_gpu_hour_low": np.nan,
            "usd_per_gpu_hour_high": np.nan,
            "region": "",
            "as_of": today,
            "source": "your own price",
            "notes": "",
        }
    )


_OFFER_RENAMES = {
    "id": "offer_id",
    "as_of": "price_as_of",
    "source": "price_source",
    "notes": "price_notes",
}


def price_table(
    points: pd.DataFrame,
    prices: pd.DataFrame,
    *,
    utilisation: float = 1.0,
    price_ratio: float = DEFAULT_PRICE_RATIO,
) -> pd.DataFrame:
    """Cross every profile point with every offer for its GPU and add the cost columns.

    Points without an offer for their GPU are dropped (an inner join on gpu). Text columns come back
    as pandas categoricals: a million-row table then joins in a fraction of a second (they compare,
    filter, sort and export like strings).
    """
    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be in (0, 1], got {utilisation}")
    if not price_ratio > 0:
        raise ValueError(f"price_ratio must be > 0, got {price_ratio}")
    offers = as_categories(prices.rename(columns=_OFFER_RENAMES))
    table = as_categories(points).merge(offers, on="gpu", how="inner", sort=False)
    return add_costs(table, utilisation=utilisation, price_ratio=price_ratio)


def as_categories(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with its text columns as pandas categoricals, as price_table crosses them (doing it once for a frame
    priced again and again saves that step each time)."""
    text = [
        c
        for c in df.columns
        if not isinstance(df[c].dtype, pd.CategoricalDtype)
        and (pd.api.types.is_string_dtype(df[c]) or df[c].dtype == object)
    ]
    return df.astype(dict.fromkeys(text, "category")) if text else df


def add_costs(df: pd.DataFrame, *, utilisation: float = 1.0, price_ratio: float = DEFAULT_PRICE_RATIO) -> pd.DataFrame:
    """Return `df` plus per-GPU throughput and $/M columns; `df` holds points and a usd_per_gpu_hour column.

    Added columns:
    - output_tok_s_per_gpu, input_tok_s_per_gpu, total_tok_s_per_gpu (input/total derived from ISL/OSL
      when the source gave only output; `total_is_derived` says so), tok_s_user (1000 / TPOT p50, else
      output tok/s / concurrency);
    - usd_per_mtok_output: all GPU cost charged to output tokens;
    - usd_per_mtok_total: all GPU cost spread over input + output tokens;
    - usd_per_mtok_input_r / usd_per_mtok_output_r: split so an input token costs 1/R of an output token;
    - usd_per_mtok_input_time / usd_per_mtok_output_time: split by the prefill share of a request's time,
      prefill_time_share = TTFT / (TTFT + (OSL - 1) x TPOT), where TTFT, TPOT and OSL are known.
    """
    n_gpu = _float_col(df, "gpus_per_replica")
    output = _float_col(df, "output_tok_s")
    total = _float_col(df, "total_tok_s")
    given_input = _float_col(df, "input_tok_s")
    isl = _float_col(df, "isl")
    osl = _float_col(df, "osl")

    no_total = np.isnan(total)
    derived_input = np.where(no_total, output * (isl / osl), total - output)
    input_tok_s = np.where(np.isnan(given_input), derived_input, given_input)
    total_is_derived = no_total & ~np.isnan(input_tok_s)
    total = np.where(no_total, output + input_tok_s, total)

    price = _float_col(df, "usd_per_gpu_hour")
    tpot = _float_col(df, "tpot_ms_p50")
    ttft = _float_col(df, "ttft_ms_p50")
    conc = _float_col(df, "concurrency")
    out_per_gpu = output / n_gpu
    in_per_gpu = input_tok_s / n_gpu

    # Price-ratio split: GPU $/s = out_rate x p_out + in_rate x p_out / R.
    out_r = usd_per_mtok(price, out_per_gpu + in_per_gpu / price_ratio, utilisation)
    prefill_share = ttft / (ttft + np.maximum(osl - 1.0, 0.0) * tpot)
    with np.errstate(divide="ignore", invalid="ignore"):
        in_time = np.where(in_per_gpu > 0, usd_per_mtok(price * prefill_share, in_per_gpu, utilisation), np.nan)
    added = {
        "output_tok_s_per_gpu": out_per_gpu,
        "input_tok_s_per_gpu": in_per_gpu,
        "total_tok_s_per_gpu": total / n_gpu,
        "total_is_derived": total_is_derived,
        "tok_s_user": np.where(np.isnan(tpot), output / conc, 1000.0 / tpot),
        "usd_per_mtok_output": usd_per_mtok(price, out_per_gpu, utilisation),
        "usd_per_mtok_total": usd_per_mtok(price, total / n_gpu, utilisation),
        "usd_per_mtok_output_r": out_r,
        "usd_per_mtok_input_r": out_r / price_ratio,
        "prefill_time_share": prefill_share,
        "usd_per_mtok_input_time": in_time,
        "usd_per_mtok_output_time": usd_per_mtok(price * (1.0 - prefill_share), out_per_gpu, utilisation),
    }
    # A shallow copy plus one block per new column: no consolidation copy of a million-row frame
    # (copy-on-write keeps the caller's frame untouched).
    out = df.drop(columns=[c for c in added if c in df.columns])
    for name, values in added.items():
        out[name] = values
    return out


def _float_col(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df:
        return np.full(len(df), np.nan)
    col = df[name]
    if not pd.api.types.is_numeric_dtype(col):
        col = pd.to_numeric(col, errors="coerce")
    return col.to_numpy(dtype="float64", na_value=np.nan)


def cheapest(table: pd.DataFrame, by: Sequence[str], value: str = "usd_per_mtok_output") -> pd.DataFrame:
    """The cheapest row per group (e.g. per GPU, or per GPU and mode)."""
    priced = table[table[value].notna()]  # a group with no price at all has no cheapest row
    if priced.empty:
        return priced
    idx = priced.groupby(list(by), sort=True, dropna=False, observed=True)[value].idxmin()
    return table.loc[idx.to_numpy()].reset_index(drop=True)
