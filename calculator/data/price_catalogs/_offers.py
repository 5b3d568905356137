"""What a price catalog's rows become: one PriceOffer per instance type, tier and price (its regions listed),
priced per GPU from the whole instance's hourly price, with the catalog's source and date on every offer."""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from calculator.data.errors import Problem
from calculator.data.schema import MAX_USD_PER_GPU_HOUR, MIN_USD_PER_GPU_HOUR, PriceOffer, slug

MAX_CATALOG_ROWS = 500_000  # a SkyPilot AWS vms.csv has tens of thousands of rows: bounded, not refused
MAX_REGIONS_NAMED = 6


@dataclass(frozen=True)
class CatalogRow:
    """One priced instance in one region, as the catalog states it."""

    provider: str
    instance: str
    gpu_name: str
    gpu: str
    count: int
    region: str
    usd_per_instance_hour: float
    tier: str  # on_demand | spot


@dataclass
class CatalogImport:
    """A price catalog read: its offers, what was skipped (and why), the problems, its date and source."""

    file: str
    fmt: str
    as_of: str = ""
    source: str = ""
    offers: list[PriceOffer] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows
    rows: int = 0

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def report(self) -> list[str]:
        """The import in lines: what was read, each problem, then what was skipped."""
        head = f"{self.file}: {self.fmt}, {len(self.offers)} offer(s) from {self.rows:,} row(s)"
        if self.as_of:
            head += f", as of {self.as_of}"
        lines = [head]
        lines += [f"problem: {p.where}: {p.message}" for p in self.problems]
        lines += [f"skipped: {n:,} row(s): {why}" for why, n in sorted(self.skipped.items(), key=lambda x: -x[1])]
        return lines


def catalog_rows(text: str, result: CatalogImport, *, required: tuple[str, ...], what: str) -> Iterator[dict[str, str]]:
    """The rows of a catalog CSV as dicts keyed by the stripped header, each counted in `result.rows`: a problem
    (and no rows) when a required column is missing, and a problem once MAX_CATALOG_ROWS rows have been read (the
    rest are not). `what` names the format in the problem (`a SkyPilot vms.csv`)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        result.problems.append(Problem(result.file, "row 1", f"not {what}: no column {', '.join(missing)}"))
        return
    reader.fieldnames = header
    for n, rec in enumerate(reader, start=2):
        if n - 1 > MAX_CATALOG_ROWS:
            result.problems.append(
                Problem(result.file, f"row {n}", f"more than {MAX_CATALOG_ROWS:,} rows: the rest not read")
            )
            return
        result.rows += 1
        yield rec


def whole_count(value: str) -> int | None:
    """A GPU count that is a whole number >= 1 ('8.0' is 8); None for a fraction, zero or text."""
    try:
        x = float(value)
    except ValueError:
        return None
    if not math.isfinite(x) or x < 1 or x != int(x) or x > 1024:
        return None
    return int(x)


def price(value: str) -> float | None:
    """A positive finite price, or None (empty cells mean no price at that tier)."""
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) and x > 0 else None


def instance_price(result: CatalogImport, name: str, text: str, count: int, tier: str) -> float | None:
    """An instance's hourly price (`count` GPUs) from a catalog cell, or None: for an empty cell (no price at that
    tier: the caller says so where it matters), and for a price no offer may hold, skipped with the reason (not a
    positive finite number, or per GPU-hour outside the price bounds: PriceOffer would refuse it)."""
    if not text:
        return None
    hourly = price(text)
    if hourly is None:
        result.skip(f"{name}: {tier} price {text[:24]!r} is not a price")
        return None
    per_gpu = hourly / count
    if not MIN_USD_PER_GPU_HOUR <= per_gpu <= MAX_USD_PER_GPU_HOUR:
        result.skip(
            f"{name}: {tier} price ${hourly:,.6g} an instance-hour is ${per_gpu:.3g} per GPU-hour, outside "
            f"${MIN_USD_PER_GPU_HOUR:g}-${MAX_USD_PER_GPU_HOUR:,.0f}"
        )
        return None
    return hourly


def offers_from_rows(rows: list[CatalogRow], *, as_of: str, source: str, prefix: str) -> list[PriceOffer]:
    """One offer per (instance, gpu, GPUs per instance, tier, price): the regions at that price in its region and
    notes; the price per GPU-hour is the instance's hourly price / its GPUs (whole-instance billing keeps the
    count). Ids are `<prefix>-<instance>-<tier>`, with the first region where one instance has several prices."""
    groups: dict[tuple[str, str, str, int, str, float], list[str]] = defaultdict(list)
    for r in rows:
        key = (r.provider, r.instance, r.gpu, r.count, r.tier, round(r.usd_per_instance_hour, 6))
        if r.region not in groups[key]:
            groups[key].append(r.region)
    prices_per: dict[tuple[str, str], int] = defaultdict(int)
    for _provider, instance, _gpu, _n, tier, _p in groups:
        prices_per[(instance, tier)] += 1
    names = {r.gpu: r.gpu_name for r in rows}
    offers: list[PriceOffer] = []
    seen: set[str] = set()
    for (provider, instance, gpu, n, tier, hourly), regions in sorted(groups.items()):
        base = f"{prefix}-{instance}-{tier}"
        if prices_per[(instance, tier)] > 1:
            base += f"-{regions[0]}"
        oid = slug(base)[:64].rstrip("-.")
        k = 2
        while oid in seen:
            oid = f"{slug(base)[:60].rstrip('-.')}-{k}"
            k += 1
        seen.add(oid)
        shown = ", ".join(regions[:MAX_REGIONS_NAMED]) + (
            f" (+{len(regions) - MAX_REGIONS_NAMED} more)" if len(regions) > MAX_REGIONS_NAMED else ""
        )
        offers.append(
            PriceOffer(
                id=oid,
                provider=provider,
                instance=instance,
                gpu=gpu,
                gpus_per_instance=n,
                tier=tier,
                usd_per_gpu_hour=hourly / n,
                region=regions[0] if len(regions) == 1 else f"{regions[0]} (+{len(regions) - 1} more)",
                as_of=as_of,
                source=source[:2000],
                notes=(
                    f"whole instance ${hourly:,.4g}/h for {n} x {names[gpu]}; "
                    f"{'spot' if tier == 'spot' else 'on-demand'} in {shown}"
                )[:2000],
            )
        )
    return offers
