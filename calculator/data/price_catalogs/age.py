"""How old the prices in use are: each offer's age in days from its `as_of` date, and a warning past
STALE_AFTER_DAYS. Cloud GPU prices move weekly; a plan priced from month-old offers gives a month-old answer.

A coarse date (`2026-11`, `2026`) is taken at its first day: the oldest the price can be."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

STALE_AFTER_DAYS = 30


def as_of_date(as_of: str) -> date | None:
    """The first day an as_of text (YYYY, YYYY-MM or YYYY-MM-DD) can mean; None for anything else."""
    parts = str(as_of).strip().split("-")
    try:
        nums = [int(p) for p in parts]
        if len(nums) == 1:
            return date(nums[0], 1, 1)
        if len(nums) == 2:
            return date(nums[0], nums[1], 1)
        if len(nums) == 3:
            return date(nums[0], nums[1], nums[2])
    except ValueError:
        return None
    return None


def age_days(as_of: str, today: date) -> int | None:
    """Days from `as_of` to `today` (0 for a date in the future: a quote dated tomorrow is fresh, not negative)."""
    d = as_of_date(as_of)
    return None if d is None else max(0, (today - d).days)


@dataclass(frozen=True)
class PriceAge:
    """The age of a set of offers: their date range, the oldest's age, and how many are stale."""

    total: int
    oldest: str
    newest: str
    oldest_days: int
    stale: int
    stale_after_days: int = STALE_AFTER_DAYS
    coarse: tuple[str, ...] = ()  # the dates known only to the year or month ("2026", "2026-11"), distinct
    n_coarse: int = 0  # offers with such a date

    @property
    def any_stale(self) -> bool:
        return self.stale > 0

    def text(self) -> str:
        """One sentence for a page or the command line."""
        if not self.total:
            return "No prices in use."
        oldest, newest = _full(self.oldest), _full(self.newest)
        span = oldest if oldest == newest else f"{oldest} to {newest}"
        out = f"Prices as of {span} (the oldest {self.oldest_days} days old)."
        if self.n_coarse:
            unit = "year" if all(len(c.split("-")) == 1 for c in self.coarse) else "year or month"
            out += (
                f" {self.n_coarse} of {self.total} offers are dated only to the {unit} ({', '.join(self.coarse)}): "
                "each is taken as its first day, the oldest it can be."
            )
        if self.stale:
            out += (
                f" {self.stale} of {self.total} offers are older than {self.stale_after_days} days: GPU rental prices "
                "move weekly; refresh them (Prices page: import a catalog; `python -m calculator prices refresh`)."
            )
        return out


def _full(as_of: str) -> str:
    """An as_of text as a full date (YYYY-MM-DD; a coarse one at its first day); the text itself if not a date."""
    d = as_of_date(as_of)
    return as_of if d is None else d.isoformat()


def price_age(as_ofs: Iterable[str], today: date, stale_after_days: int = STALE_AFTER_DAYS) -> PriceAge:
    """The age of the offers whose dates are `as_ofs` (an offer table's `as_of` column) on `today`."""
    dated = [(d, str(a)) for a in as_ofs if (d := as_of_date(str(a))) is not None]
    if not dated:
        return PriceAge(0, "", "", 0, 0, stale_after_days)
    dated.sort()
    ages = [max(0, (today - d).days) for d, _ in dated]
    return PriceAge(
        total=len(dated),
        oldest=dated[0][1],
        newest=dated[-1][1],
        oldest_days=max(ages),
        stale=sum(a > stale_after_days for a in ages),
        stale_after_days=stale_after_days,
        coarse=tuple(sorted({a.strip() for _, a in dated if len(a.strip().split("-")) < 3})),
        n_coarse=sum(len(a.strip().split("-")) < 3 for _, a in dated),
    )
