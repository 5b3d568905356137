"""Dated price offers from the machine-readable catalogs the field keeps: SkyPilot's `vms.csv` files
(skypilot-org/skypilot-catalog) and gpuhunt's per-provider CSVs (dstack). `import_catalog()` reads one file's
bytes, detects which of the two it is from its header, maps instance types to our GPU ids and GPUs per instance,
and returns PriceOffers that each keep the catalog's source and date. It never raises for bad input.

`age.price_age()` says how old the prices in use are and flags those past STALE_AFTER_DAYS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from calculator.data.errors import InputError, Problem
from calculator.data.loader import decode_text
from calculator.data.price_catalogs._offers import CatalogImport
from calculator.data.price_catalogs.age import STALE_AFTER_DAYS, PriceAge, age_days, price_age
from calculator.data.price_catalogs.gpuhunt import is_gpuhunt_header, parse_gpuhunt, provider_from_name
from calculator.data.price_catalogs.skypilot import cloud_from_name, is_skypilot_header, parse_skypilot, source_text

__all__ = [
    "STALE_AFTER_DAYS",
    "CatalogImport",
    "PriceAge",
    "age_days",
    "import_catalog",
    "price_age",
]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _header(text: str) -> list[str]:
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip("\r")
    return [c.strip().strip('"') for c in first.split(",")]


def import_catalog(
    data: bytes,
    file: str,
    *,
    as_of: str,
    known_gpus: Iterable[str],
    cloud: str | None = None,
    ref: str = "",
    today: date | None = None,
) -> CatalogImport:
    """Offers from one catalog file. `as_of` is the catalog's date (SkyPilot: the commit time of the file;
    gpuhunt: the catalog version's date), YYYY-MM-DD; `cloud` the SkyPilot cloud or gpuhunt provider when the
    file's name does not say it (`catalogs/v8/lambda/vms.csv`, `lambda_vms.csv`, `aws.csv`); `ref` names where it
    came from (a commit, a catalog version) for every offer's source."""
    name = file.replace("\\", "/").rsplit("/", 1)[-1]
    result = CatalogImport(file=name, fmt="unknown", as_of=as_of)
    today = today or date.today()
    if not _DATE.match(as_of or ""):
        result.problems.append(
            Problem(name, "as_of", f"the catalog's date must be YYYY-MM-DD, got {as_of!r} (its commit or version date)")
        )
        return result
    try:
        when = date.fromisoformat(as_of)
    except ValueError:
        result.problems.append(Problem(name, "as_of", f"not a calendar date: {as_of!r}"))
        return result
    if when > today:
        result.problems.append(Problem(name, "as_of", f"{as_of} is in the future (today is {today.isoformat()})"))
        return result
    try:
        text = decode_text(data, name)
    except InputError as e:
        result.problems.extend(e.problems)
        return result
    cells = _header(text)
    known = set(known_gpus)
    if is_skypilot_header(cells):
        result.fmt = "skypilot"
        where = (cloud or cloud_from_name(file) or "").lower()
        if not where:
            result.problems.append(
                Problem(name, "file", "which cloud? the name does not say (`catalogs/v8/<cloud>/vms.csv`): give it")
            )
            return result
        result.source = source_text(where, file, ref)
        parse_skypilot(text, result, cloud=where, known_gpus=known)
    elif is_gpuhunt_header(cells):
        result.fmt = "gpuhunt"
        where = (cloud or provider_from_name(file) or "").lower()
        if not where:
            result.problems.append(Problem(name, "file", "which provider? name the file `<provider>.csv` or give it"))
            return result
        result.source = f"gpuhunt catalog {where}.csv" + (f" ({ref})" if ref else f" (file {name})")
        parse_gpuhunt(text, result, provider=where, known_gpus=known)
    else:
        result.problems.append(
            Problem(
                name,
                "row 1",
                "not a price catalog we read: a SkyPilot vms.csv (InstanceType, AcceleratorName, AcceleratorCount, "
                "Region, Price) or a gpuhunt catalog (instance_name, location, price, gpu_count, gpu_name, spot)",
            )
        )
        return result
    if not result.offers and not result.problems:
        result.problems.append(Problem(name, "file", "no GPU instance we price in this catalog"))
    return result
