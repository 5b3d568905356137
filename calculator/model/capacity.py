"""Capacity planning: token demand + latency targets -> operating point -> replicas -> GPUs -> monthly
bill per mode, GPU and price offer; a two-band (peak / off-peak) mixed-mode plan; API break-even.

Basis, stated once and shown in the app:
- a month is 730 hours; demand is in output tokens (input tokens ride along at the ISL/OSL ratio and
  are already in the measured throughput);
- a replica is loaded at peak to `utilisation` x its throughput at the operating point, the concurrency meeting the
  SLO that the one rule picks (operating.operating_points: no queueing behind a KV-capped batch, and at equal
  throughput the lowest concurrency);
- replicas = ceil(peak output tok/s / (replica output tok/s x utilisation)); GPUs = replicas x GPUs per replica;
- an offer rents whole instances of `gpus_per_instance` GPUs: a replica no wider than an instance packs
  floor(gpus_per_instance / gpus_per_replica) to an instance, a wider one spans ceil(gpus_per_replica /
  gpus_per_instance) instances; instances = ceil(replicas / per instance) or replicas x span, and the bill is for
  instances x gpus_per_instance GPUs (the billed GPUs; any beyond the replicas' GPUs are spare);
- a fixed fleet runs 730 h/month sized for peak; an autoscaled fleet runs the peak fleet for the peak
  hours of each day and the off-peak fleet for the rest (each band in whole instances) — only on rented offers billed
  by the hour (SCALABLE_TIERS): owned, reserved and multi-year rental GPUs cannot be handed back off-peak, so such a
  fleet keeps its peak size all day, and a mixed (peak / off-peak) plan is made only on scalable offers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calculator.model import operating
from calculator.model.frontier import CURVE_KEYS, Slo, with_rates
from calculator.model.goodput_slo import UserLimits, run_slo_check

HOURS_PER_MONTH = 730.0
DAYS_PER_MONTH = HOURS_PER_MONTH / 24.0
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0
TOKENS_PER_MTOK = 1e6
MAX_FLEET_GPUS = 10_000_000  # more accelerators than exist: a plan needing more is no plan
SCALABLE_TIERS: tuple[str, ...] = ("on_demand", "spot")
"""Price tiers a fleet can shrink on off-peak (rented by the hour); every other tier is committed hardware."""


def scalable(df: pd.DataFrame) -> np.ndarray:
    """True for offers whose fleet may shrink off-peak (tier in SCALABLE_TIERS; an offer without a tier: rented)."""
    if "tier" not in df:
        return np.ones(len(df), dtype=bool)
    out: np.ndarray = df["tier"].astype(object).fillna("on_demand").isin(SCALABLE_TIERS).to_numpy(dtype=bool)
    return out


@dataclass(frozen=True)
class Demand:
    """Token demand: output tokens per month, a peak-to-average factor, and how many hours a day are peak.

    The day is modelled as two levels: peak = average x peak_to_average for `peak_hours_per_day`,
    and off-peak at the rate that keeps the daily average, so peak_to_average x peak_hours_per_day <= 24.
    """

    output_tokens_per_month: float
    peak_to_average: float = 2.0
    peak_hours_per_day: float = 8.0
    isl: int | None = None
    osl: int | None = None

    def __post_init__(self) -> None:
        if not self.output_tokens_per_month > 0 or not np.isfinite(self.output_tokens_per_month):
            raise ValueError(f"output_tokens_per_month must be a positive number, got {self.output_tokens_per_month}")
        if not 1.0 <= self.peak_to_average <= 100.0:
            raise ValueError(f"peak_to_average must be between 1 and 100, got {self.peak_to_average}")
        if not 0.0 < self.peak_hours_per_day <= 24.0:
            raise ValueError(f"peak_hours_per_day must be in (0, 24], got {self.peak_hours_per_day}")
        if self.peak_to_average * self.peak_hours_per_day > 24.0 + 1e-9:
            raise ValueError(
                f"peak {self.peak_to_average:g}x the average for {self.peak_hours_per_day:g} h/day is more than a "
                f"day's volume; lower the peak factor or the peak hours (their product must be <= 24)"
            )

    @classmethod
    def per_day(cls, output_tokens_per_day: float, **kwargs: float | int | None) -> Demand:
        """Demand from output tokens per day (a month is 730 h = 30.42 days)."""
        return cls(output_tokens_per_month=output_tokens_per_day * DAYS_PER_MONTH, **kwargs)  # type: ignore[arg-type]

    @property
    def average_output_tok_s(self) -> float:
        return self.output_tokens_per_month / SECONDS_PER_MONTH

    @property
    def peak_output_tok_s(self) -> float:
        return self.average_output_tok_s * self.peak_to_average

    @property
    def offpeak_output_tok_s(self) -> float:
        """The off-peak rate that keeps the daily average: (24 x avg - peak x h) / (24 - h)."""
        h = self.peak_hours_per_day
        if h >= 24.0:
            return self.peak_output_tok_s
        return max(0.0, (24.0 * self.average_output_tok_s - self.peak_output_tok_s * h) / (24.0 - h))

    @property
    def input_tokens_per_month(self) -> float | None:
        if self.isl is None or self.osl is None:
            return None
        return self.output_tokens_per_month * self.isl / self.osl


def operating_points(points: pd.DataFrame, slo: Slo, *, require_ttft: bool = False) -> pd.DataFrame:
    """Per curve, its operating point meeting the SLO by the one rule (calculator/model/operating.py: never a
    concurrency whose extra requests only queue behind a KV-capped batch; at equal throughput per GPU, within 2 %, the
    lowest concurrency).

    Pass interpolated points (frontier.interpolate_points) for a concurrency between measured ones.
    """
    return operating.operating_points(with_rates(points), slo, require_ttft=require_ttft)


def goodput_tok_s(df: pd.DataFrame) -> np.ndarray:
    """Per row, the output tok/s of the requests that met the run's SLOs, where the file measured goodput:
    goodput_req_s x the output length where both are known, else output_tok_s x slo_attainment (never above
    output_tok_s); NaN where the row has no goodput figure."""
    n = len(df)

    def col(name: str) -> np.ndarray:
        if name not in df:
            return np.full(n, np.nan)
        out: np.ndarray = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        return out

    raw = col("output_tok_s")
    by_requests = col("goodput_req_s") * col("osl")
    by_share = raw * col("slo_attainment")
    good = np.where(np.isnan(by_requests), by_share, by_requests)
    out: np.ndarray = np.minimum(good, raw)
    return out


PLAN_COLUMNS = [
    "replica_output_tok_s",
    "replica_goodput_tok_s",
    "sized_on",
    "goodput_slo_note",
    "replica_capacity_tok_s",
    "replicas",
    "gpus",
    "instances",
    "gpus_billed",
    "replicas_offpeak",
    "instances_offpeak",
    "gpu_hours_per_month",
    "monthly_usd",
    "usd_per_mtok_effective",
    "fleet_utilisation",
]


def instances_for(replicas: np.ndarray, gpus_per_replica: np.ndarray, gpus_per_instance: np.ndarray) -> np.ndarray:
    """Whole instances that hold `replicas` replicas: ceil(replicas / floor(gpus_per_instance / gpus_per_replica))
    where a replica fits in one instance, else replicas x ceil(gpus_per_replica / gpus_per_instance)."""
    r = np.asarray(replicas, dtype="float64")
    gpr = np.asarray(gpus_per_replica, dtype="float64")
    gpi = np.asarray(gpus_per_instance, dtype="float64")
    fits = gpr <= gpi
    per_instance = np.floor(gpi / np.maximum(gpr, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        packed = np.ceil(r / np.maximum(per_instance, 1.0) - 1e-9)
    out: np.ndarray = np.where(fits, packed, r * np.ceil(gpr / gpi))
    return out


def _gpus_per_instance(df: pd.DataFrame) -> np.ndarray:
    """An offer's GPUs per instance (1 where the offer does not say: priced per GPU)."""
    if "gpus_per_instance" not in df:
        return np.ones(len(df))
    out: np.ndarray = pd.to_numeric(df["gpus_per_instance"], errors="coerce").fillna(1.0).to_numpy(dtype="float64")
    return out


def fleet_plans(
    ops: pd.DataFrame,
    prices: pd.DataFrame,
    demand: Demand,
    *,
    utilisation: float = 1.0,
    autoscale: bool = False,
    user_limits: UserLimits | None = None,
) -> pd.DataFrame:
    """Every operating point x every offer for its GPU, sized for the demand.

    Added columns (PLAN_COLUMNS): replica_output_tok_s (at the operating point), replica_goodput_tok_s (the part of
    it whose requests met the run's SLOs, goodput_tok_s; NaN without a goodput figure), sized_on ("goodput" where
    the point has goodput measured against objectives at least as strict as `user_limits`, goodput_slo.run_slo_check:
    replicas are sized on it, not on raw throughput; else "throughput"), goodput_slo_note (why a point's goodput was
    not used: the run's SLO is looser than the user's or not stated; "" otherwise),
    replica_capacity_tok_s (the sizing basis x utilisation), replicas (for peak), gpus (the replicas' GPUs),
    instances and gpus_billed (whole instances of the offer, instances_for), replicas_offpeak, instances_offpeak,
    gpu_hours_per_month (billed), monthly_usd (whole instances), usd_per_mtok_effective (bill / monthly output
    tokens), fleet_utilisation (average demand / peak fleet capacity at the sizing basis). Sorted by monthly_usd.
    """
    if not 0 < utilisation <= 1:
        raise ValueError(f"utilisation must be in (0, 1], got {utilisation}")
    offers = prices.rename(
        columns={"id": "offer_id", "as_of": "price_as_of", "source": "price_source", "notes": "price_notes"}
    )
    plans = ops.merge(offers, on="gpu", how="inner", sort=False)
    if plans.empty:
        return plans.assign(**{c: pd.Series(dtype="float64") for c in PLAN_COLUMNS})
    replica = plans["output_tok_s"].to_numpy(dtype="float64")
    good = goodput_tok_s(plans)
    has_goodput = ~np.isnan(good) & (good > 0)
    strict_enough, why_not = run_slo_check(plans, user_limits or UserLimits())
    on_goodput = has_goodput & strict_enough
    slo_note = np.where(
        has_goodput & ~strict_enough, np.char.add("goodput not used: ", why_not.astype(str)), ""
    ).astype(object)
    basis = np.where(on_goodput, good, replica)
    gpus_per_replica = plans["gpus_per_replica"].to_numpy(dtype="float64")
    capacity = basis * utilisation
    replicas = np.ceil(demand.peak_output_tok_s / capacity - 1e-9)
    replicas = np.maximum(replicas, 1.0)
    offpeak = np.maximum(np.ceil(demand.offpeak_output_tok_s / capacity - 1e-9), 1.0) if autoscale else replicas
    offpeak = np.where(scalable(plans), offpeak, replicas)  # committed hardware keeps its peak fleet all day
    gpi = _gpus_per_instance(plans)
    instances = instances_for(replicas, gpus_per_replica, gpi)
    # A fleet past MAX_FLEET_GPUS is no plan (a 0.01 tok/s upload once gave -9223372036854775808 replicas, $2e307)
    fits = instances * gpi <= MAX_FLEET_GPUS
    if not fits.all():
        plans = plans[fits].reset_index(drop=True)
        replica, gpus_per_replica, capacity = replica[fits], gpus_per_replica[fits], capacity[fits]
        good, on_goodput, basis, slo_note = good[fits], on_goodput[fits], basis[fits], slo_note[fits]
        replicas, offpeak, gpi, instances = replicas[fits], offpeak[fits], gpi[fits], instances[fits]
    instances_off = instances_for(offpeak, gpus_per_replica, gpi)
    h = demand.peak_hours_per_day
    instance_hours = (instances * h + instances_off * (24.0 - h)) * DAYS_PER_MONTH
    gpu_hours = instance_hours * gpi
    monthly = gpu_hours * plans["usd_per_gpu_hour"].to_numpy(dtype="float64")
    plans["replica_output_tok_s"] = replica
    plans["replica_goodput_tok_s"] = good
    plans["sized_on"] = np.where(on_goodput, "goodput", "throughput")
    plans["goodput_slo_note"] = slo_note
    plans["replica_capacity_tok_s"] = capacity
    plans["replicas"] = replicas.astype("int64")
    plans["gpus"] = (replicas * gpus_per_replica).astype("int64")
    plans["instances"] = instances.astype("int64")
    plans["gpus_billed"] = (instances * gpi).astype("int64")
    plans["replicas_offpeak"] = offpeak.astype("int64")
    plans["instances_offpeak"] = instances_off.astype("int64")
    plans["gpu_hours_per_month"] = gpu_hours
    plans["monthly_usd"] = monthly
    plans["usd_per_mtok_effective"] = monthly / demand.output_tokens_per_month * TOKENS_PER_MTOK
    plans["fleet_utilisation"] = demand.average_output_tok_s / (replicas * basis)
    return plans.sort_values("monthly_usd", kind="stable").reset_index(drop=True)


def at_load(curves: pd.DataFrame, profile_ids: pd.Series, load_tok_s: pd.Series | np.ndarray) -> pd.DataFrame:
    """Where a replica of each curve runs when it carries `load_tok_s` output tok/s: the smallest concurrency
    on the (interpolated) curve whose throughput reaches the load, and the tokens/s per user there.

    A load below the curve's lowest point runs at that point (the replica is partly idle); a load above its
    highest point gives NaN (the curve does not say). Returns columns concurrency, tok_s_user, aligned to the input.
    """
    load = np.asarray(load_tok_s, dtype="float64")
    q = pd.DataFrame({"profile_id": np.asarray(profile_ids), "_load": load, "_row": np.arange(len(load))})
    c = with_rates(curves)[["profile_id", "output_tok_s", "concurrency", "tok_s_user"]].dropna(subset=["output_tok_s"])
    c = c.sort_values("output_tok_s", kind="stable")
    q = q.sort_values("_load", kind="stable")
    m = pd.merge_asof(
        q, c, left_on="_load", right_on="output_tok_s", by="profile_id", direction="forward", allow_exact_matches=True
    )
    m = m.sort_values("_row")
    return pd.DataFrame(
        {
            "concurrency": m["concurrency"].to_numpy(dtype="float64"),
            "tok_s_user": m["tok_s_user"].to_numpy(dtype="float64"),
        }
    )


MIXED_COLUMNS = [
    "gpu",
    "offer_id",
    "provider",
    "tier",
    "usd_per_gpu_hour",
    "peak_profile",
    "peak_label",
    "peak_replicas",
    "peak_tok_s_user",
    "offpeak_profile",
    "offpeak_label",
    "offpeak_replicas",
    "offpeak_tok_s_user",
    "mixed_monthly_usd",
    "best_single_profile",
    "best_single_label",
    "best_single_monthly_usd",
    "best_single_offpeak_tok_s_user",
    "saving_usd",
    "benefit",
    "same_model",
]


def mixed_plans(
    plans: pd.DataFrame, demand: Demand, curves: pd.DataFrame | None = None, *, label: str = "label"
) -> pd.DataFrame:
    """Per GPU offer, the best two-band plan: one curve (mode) for the peak hours, another off-peak, each band
    sized on its own curve (an autoscaled fleet), against the cheapest single curve for both bands.

    `plans` is fleet_plans(..., autoscale=True) output with a `label` column naming each curve. With `curves`
    (interpolated points), tokens/s per user off-peak is read at each replica's actual off-peak load
    (at_load), and among equally cheap off-peak choices the faster one wins. Rows only where the mixed plan
    is strictly cheaper (benefit "cheaper") or as cheap and faster off-peak ("same cost, faster off-peak").
    """
    plans = plans[scalable(plans)] if not plans.empty else plans  # owned/reserved GPUs cannot be handed back
    if plans.empty:
        return pd.DataFrame(columns=MIXED_COLUMNS)
    h = demand.peak_hours_per_day
    p = plans.copy().reset_index(drop=True)
    if label not in p:
        p[label] = p["profile_id"]
    hourly = _gpus_per_instance(p) * p["usd_per_gpu_hour"].to_numpy(dtype="float64")  # one instance
    p["_peak_usd"] = np.round(p["instances"].to_numpy(dtype="float64") * hourly * h * DAYS_PER_MONTH, 6)
    p["_off_usd"] = np.round(p["instances_offpeak"].to_numpy(dtype="float64") * hourly * (24.0 - h) * DAYS_PER_MONTH, 6)
    p["_single_usd"] = p["_peak_usd"] + p["_off_usd"]
    if curves is not None and not curves.empty:
        peak_load = demand.peak_output_tok_s / p["replicas"].to_numpy(dtype="float64")
        off_load = demand.offpeak_output_tok_s / p["replicas_offpeak"].to_numpy(dtype="float64")
        p["_peak_user"] = at_load(curves, p["profile_id"], peak_load)["tok_s_user"].to_numpy()
        p["_off_user"] = at_load(curves, p["profile_id"], off_load)["tok_s_user"].to_numpy()
    else:
        p["_peak_user"] = p["tok_s_user"].to_numpy(dtype="float64")
        p["_off_user"] = p["tok_s_user"].to_numpy(dtype="float64")
    group = ["gpu", "offer_id"]

    def best(cost: str, user: str) -> pd.DataFrame:
        ranked = p.sort_values([cost, user], ascending=[True, False], kind="stable", na_position="last")
        return ranked.groupby(group, sort=True).head(1).set_index(group)

    peak = best("_peak_usd", "_peak_user")
    off = best("_off_usd", "_off_user").reindex(peak.index)
    single = best("_single_usd", "_off_user").reindex(peak.index)
    mixed_usd = peak["_peak_usd"] + off["_off_usd"]
    saving = single["_single_usd"] - mixed_usd
    faster = off["_off_user"] > single["_off_user"] * (1 + 1e-9)
    benefit = np.where(saving > 1e-6, "cheaper", np.where((saving > -1e-6) & faster, "same cost, faster off-peak", ""))
    out = pd.DataFrame(
        {
            "provider": peak["provider"],
            "tier": peak["tier"],
            "usd_per_gpu_hour": peak["usd_per_gpu_hour"],
            "peak_profile": peak["profile_id"],
            "peak_label": peak[label],
            "peak_replicas": peak["replicas"],
            "peak_tok_s_user": peak["_peak_user"],
            "offpeak_profile": off["profile_id"],
            "offpeak_label": off[label],
            "offpeak_replicas": off["replicas_offpeak"],
            "offpeak_tok_s_user": off["_off_user"],
            "mixed_monthly_usd": mixed_usd,
            "best_single_profile": single["profile_id"],
            "best_single_label": single[label],
            "best_single_monthly_usd": single["_single_usd"],
            "best_single_offpeak_tok_s_user": single["_off_user"],
            "saving_usd": saving,
            "benefit": benefit,
            "same_model": peak["model"] == off["model"],
        }
    ).reset_index()
    out = out[(out["benefit"] != "") & (out["peak_profile"] != out["offpeak_profile"])]
    return out[MIXED_COLUMNS].sort_values(["mixed_monthly_usd", "gpu"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# API break-even


def api_usd_per_mtok_output(
    api_usd_per_mtok_output: float, api_usd_per_mtok_input: float = 0.0, isl: int | None = None, osl: int | None = None
) -> float:
    """An API's price per million output tokens with its input tokens folded in at the ISL/OSL ratio."""
    ratio = (isl / osl) if isl and osl else 0.0
    return api_usd_per_mtok_output + api_usd_per_mtok_input * ratio


def break_even(
    plans: pd.DataFrame, demand: Demand, api_usd_per_mtok: float, *, utilisation: float = 1.0
) -> pd.DataFrame:
    """Monthly output-token volumes at which a fixed self-hosted fleet (sized for peak, 730 h) costs what the API does.

    With c = the monthly cost of the smallest whole-instance unit of the fleet (one instance holding
    floor(gpus_per_instance / gpus_per_replica) replicas, or the instances one wide replica spans), V = the
    monthly volume that unit serves at this peak factor and utilisation, and p = the API's $ per output token:
    - self_host_usd_per_mtok_at_scale = c / V x 1e6 (the floor of self-hosting's $/M; if it is >= the API
      price, self-hosting never breaks even: volumes are NaN);
    - break_even_tokens_per_month = c / p, the first volume where self-hosting is no dearer;
    - cheaper_above_tokens_per_month = (N - 1) x c / p with N = ceil(pV / (pV - c)): from there on the
      step of adding a unit never makes self-hosting dearer again.
    Adds those three columns to a copy of `plans` (fleet_plans output).
    """
    if not api_usd_per_mtok > 0:
        raise ValueError(f"the API price must be > 0 $/M tokens, got {api_usd_per_mtok}")
    out = plans.copy()
    p = api_usd_per_mtok / TOKENS_PER_MTOK
    replicas_per_unit, unit_gpus = billing_unit(
        out["gpus_per_replica"].to_numpy(dtype="float64"), _gpus_per_instance(out)
    )
    c = unit_gpus * out["usd_per_gpu_hour"].to_numpy(dtype="float64") * HOURS_PER_MONTH
    v = (
        replicas_per_unit
        * out["output_tok_s"].to_numpy(dtype="float64")
        * utilisation
        * SECONDS_PER_MONTH
        / demand.peak_to_average
    )
    floor = c / v * TOKENS_PER_MTOK
    viable = p * v > c
    with np.errstate(divide="ignore", invalid="ignore"):
        n_sustained = np.ceil(p * v / (p * v - c) - 1e-12)
    out["self_host_usd_per_mtok_at_scale"] = floor
    out["break_even_tokens_per_month"] = np.where(viable, c / p, np.nan)
    out["cheaper_above_tokens_per_month"] = np.where(viable, (n_sustained - 1.0) * c / p, np.nan)
    return out


def billing_unit(gpus_per_replica: np.ndarray, gpus_per_instance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The smallest whole-instance unit a fleet grows by: (replicas it holds, GPUs billed for it)."""
    gpr = np.asarray(gpus_per_replica, dtype="float64")
    gpi = np.asarray(gpus_per_instance, dtype="float64")
    fits = gpr <= gpi
    replicas = np.where(fits, np.floor(gpi / np.maximum(gpr, 1.0)), 1.0)
    gpus = np.where(fits, gpi, np.ceil(gpr / gpi) * gpi)
    return replicas, gpus


def cost_curve(
    volumes_per_month: np.ndarray,
    *,
    replica_output_tok_s: float,
    gpus_per_replica: int,
    usd_per_gpu_hour: float,
    peak_to_average: float,
    api_usd_per_mtok: float,
    utilisation: float = 1.0,
    gpus_per_instance: int = 1,
) -> pd.DataFrame:
    """Monthly cost of a fixed self-hosted fleet (a step: whole replicas in whole instances) and of the API, over a
    volume grid."""
    v = np.asarray(volumes_per_month, dtype="float64")
    peak = v / SECONDS_PER_MONTH * peak_to_average
    replicas = np.maximum(np.ceil(peak / (replica_output_tok_s * utilisation) - 1e-9), 1.0)
    instances = instances_for(
        replicas, np.full(len(v), float(gpus_per_replica)), np.full(len(v), float(gpus_per_instance))
    )
    return pd.DataFrame(
        {
            "output_tokens_per_month": v,
            "replicas": replicas.astype("int64"),
            "instances": instances.astype("int64"),
            "self_host_usd": instances * gpus_per_instance * usd_per_gpu_hour * HOURS_PER_MONTH,
            "api_usd": v / TOKENS_PER_MTOK * api_usd_per_mtok,
        }
    )


__all__ = [
    "CURVE_KEYS",
    "DAYS_PER_MONTH",
    "HOURS_PER_MONTH",
    "MIXED_COLUMNS",
    "PLAN_COLUMNS",
    "SCALABLE_TIERS",
    "Demand",
    "api_usd_per_mtok_output",
    "at_load",
    "billing_unit",
    "break_even",
    "cost_curve",
    "fleet_plans",
    "instances_for",
    "mixed_plans",
    "operating_points",
    "scalable",
]
