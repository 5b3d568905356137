"""Price offers a user edits: the rows of the Prices table re-validated as PriceOffers, every problem named by
row (1-based), offer id and field, so an edit is applied only when every row is valid.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from pydantic import ValidationError

from calculator.data.loader import problems_from_validation
from calculator.data.schema import PriceOffer, slug

EDIT_COLUMNS = [
    "id", "provider", "instance", "gpu", "tier", "usd_per_gpu_hour", "as_of", "source", "gpus_per_instance",
    "usd_per_gpu_hour_low", "usd_per_gpu_hour_high", "region", "notes",
]  # fmt: skip


def quote_id(label: str, gpu: str, tier: str) -> str:
    """A private quote's offer id: readable, at most 64 characters, and one per exact (label, GPU, tier), so two
    long labels that share their first 64 characters (or differ only in punctuation) never replace each other."""
    digest = hashlib.sha256("\0".join((label.strip(), gpu, tier)).encode()).hexdigest()[:10]
    return f"{slug(f'quote-{label}-{gpu}-{tier}')[:53].rstrip('-.')}-{digest}"


def offers_frame(offers: Sequence[PriceOffer]) -> pd.DataFrame:
    """Offers as the editable table (EDIT_COLUMNS)."""
    return pd.DataFrame([o.model_dump() for o in offers], columns=EDIT_COLUMNS)


def _clean(v: Any) -> Any:
    """An empty cell (None, NaN, NA, blank text) as None: the field is left to its default."""
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, str) and not v.strip():
        return None
    return v


def mark_edits(offer: PriceOffer, original: PriceOffer | None, today: str) -> PriceOffer:
    """An offer the user changed says so: its source becomes "edited by you (was: ...)" and its date today's, so an
    edited price never passes for the public figure it replaced. Unchanged and new rows are left as they are."""
    if original is None or offer == original or offer.source.startswith("edited by you"):
        return offer
    fields = [f for f in type(offer).model_fields if getattr(offer, f) != getattr(original, f)]
    return offer.model_copy(
        update={"source": f"edited by you ({', '.join(fields)}; was: {original.source})"[:2000], "as_of": today}
    )


def validate_offer_rows(
    df: pd.DataFrame, known_gpus: Sequence[str], original: Sequence[PriceOffer] = ()
) -> tuple[list[PriceOffer], list[str]]:
    """Each edited row through PriceOffer; problems name the row (1-based), the offer id and the field (a check
    across fields, such as a price outside its low/high range, names the fields to fix). Rows that differ from the
    `original` offer of their id are marked as edited (mark_edits)."""
    from datetime import date

    before = {o.id: o for o in original}
    today = date.today().isoformat()
    offers: list[PriceOffer] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(df.to_dict("records"), start=1):
        clean = {k: _clean(v) for k, v in row.items() if k in EDIT_COLUMNS}
        clean = {k: v for k, v in clean.items() if v is not None}
        label = f"row {i}" + (f" ({clean.get('id')})" if clean.get("id") else "")
        try:
            offer = PriceOffer.model_validate(clean)
        except ValidationError as e:
            for p in problems_from_validation(e, "prices"):
                where = p.where if p.where not in ("prices", "file") else "usd_per_gpu_hour / low / high"
                problems.append(f"{label}, {where}: {p.message}")
            continue
        if offer.gpu not in known_gpus:
            problems.append(f"{label}, gpu: unknown gpu id {offer.gpu!r} (known: {', '.join(known_gpus)})")
            continue
        if offer.id in seen:
            problems.append(f"{label}, id: duplicate {offer.id!r} (also row {seen[offer.id]})")
            continue
        seen[offer.id] = i
        offers.append(mark_edits(offer, before.get(offer.id), today))
    return offers, problems
