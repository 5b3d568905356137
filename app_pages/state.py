"""Per-session state and the URL: uploads, edited prices, quotes and owned TCO (never written to disk), the
sidebar's cost settings, and the scenario as the URL holds it (parsed, range-checked, written back on pages that
do not draw its widgets, with a notice when a link's value is not available).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from app_pages.cached import bundled_catalog, frame_digest
from calculator.answers.scenario import ScenarioInputs
from calculator.data.catalog import normalise_points, prices_frame
from calculator.data.schema import PriceOffer
from calculator.data.uploads import Upload, uploaded_points
from calculator.data.vocabulary import md_escape
from calculator.model.cost import DEFAULT_DENOMINATOR, DEFAULT_PRICE_RATIO, CostSettings
from calculator.present import links


def init_state() -> None:
    """Per-session containers, created once (app.py calls this on every run; it is cheap)."""
    st.session_state.setdefault("uploads", {})  # uid -> Upload
    st.session_state.setdefault("pending", {})  # file digest -> pending import (Measurements page)
    st.session_state.setdefault("offers_edited", None)  # list[PriceOffer] from the Prices editor, or None
    st.session_state.setdefault("quotes", [])  # list[PriceOffer]: private quotes
    st.session_state.setdefault("owned", [])  # list[PriceOffer]: owned-hardware TCO offers


def uploads() -> dict[str, Upload]:
    init_state()
    return st.session_state["uploads"]  # type: ignore[no-any-return]


def points_changed() -> None:
    """Forget the cached session points frame (after an upload is added or removed)."""
    st.session_state.pop("_all_points", None)


def session_uploaded_points() -> pd.DataFrame:
    return uploaded_points(uploads().values())


def all_points() -> tuple[str, pd.DataFrame]:
    """(cache key, points): bundled profiles plus this session's uploads."""
    cat = bundled_catalog()
    ups = uploads()
    if not ups:
        return "bundled", cat.points
    key = "bundled+" + "+".join(sorted(ups))
    cached = st.session_state.get("_all_points")
    if cached is not None and cached[0] == key:
        return key, cached[1]
    pts = normalise_points(pd.concat([cat.points, session_uploaded_points()], ignore_index=True))
    st.session_state["_all_points"] = (key, pts)
    return key, pts


def session_offers() -> list[PriceOffer]:
    """The offers this session prices with: bundled (or as edited), private quotes, owned TCO."""
    init_state()
    base = st.session_state["offers_edited"]
    if base is None:
        base = bundled_catalog().offers
    return [*base, *st.session_state["quotes"], *st.session_state["owned"]]


def all_prices() -> tuple[str, pd.DataFrame]:
    """(cache key, prices DataFrame) for this session."""
    init_state()
    sig = (
        id(st.session_state["offers_edited"]),
        tuple(o.id for o in st.session_state["quotes"]),
        tuple(o.id for o in st.session_state["owned"]),
    )
    cached = st.session_state.get("_all_prices")
    if cached is not None and cached[0] == sig:
        return cached[1], cached[2]
    df = prices_frame(session_offers())
    key = "bundled" if sig == (id(None), (), ()) else frame_digest(df)
    st.session_state["_all_prices"] = (sig, key, df)
    return key, df


def prices_changed() -> None:
    """Forget the cached session price frame (after an edit, quote or TCO change)."""
    st.session_state.pop("_all_prices", None)


def utilisation() -> float:
    return float(st.session_state.get("util", 100)) / 100.0


def cost_settings() -> CostSettings:
    """The sidebar's utilisation and denominator, with the price ratio R."""
    return CostSettings(
        utilisation=utilisation(),
        denominator=str(st.session_state.get("denom", DEFAULT_DENOMINATOR)),
        price_ratio=DEFAULT_PRICE_RATIO,
    )


def known_gpus() -> list[str]:
    return [g.id for g in bundled_catalog().gpu_specs]


def gpu_names() -> dict[str, str]:
    return {g.id: g.name for g in bundled_catalog().gpu_specs}


def gpu_name(gpu: str) -> str:
    return gpu_names().get(gpu, gpu)


# ---------------------------------------------------------------------------------------------
# The scenario in the URL


def scenario_from_state() -> ScenarioInputs:
    """The scenario as the session (and so the URL) holds it; defaults where a widget was never drawn."""

    def get(key: str, default: Any) -> Any:
        """Session value, else the URL's (a link opened straight on this page), else the default."""
        v = st.session_state.get(key)
        if v is None and key in st.query_params:
            v = links.parse_param(st.query_params.get(key, ""), default)
        return default if v is None else v

    return links.scenario_from(get, context_from_state())


def context_from_state() -> int | None:
    """The context override as the slider (0 = auto) or the URL holds it; None: derived from ISL."""
    v = st.session_state.get("ctx")
    if v is None and "ctx" in st.query_params:
        try:
            return links.parse_context(st.query_params.get("ctx", ""))
        except ValueError:
            return None
    return int(v) if v else None


def pin_scenario_to_url(inputs: ScenarioInputs) -> None:
    """Write the scenario's inputs into the URL on a page that does not draw them (Export), so that page's own
    address is a link to the same scenario. Parameters bound to a widget on this page are left to it."""
    for k, v in links.url_params(inputs).items():
        if st.query_params.get(k) == v:
            continue
        try:
            st.query_params[k] = v
        except Exception:  # bound to a widget here: the widget writes it
            continue


def url_value_notice(key: str, options: Sequence[Any], what: str, *, multi: bool = False) -> None:
    """Before a bound widget is drawn: if the URL gives it a value that is not one of `options` (a link made for
    another GPU, an old link), say that it was reset, once per session and value (st.info)."""
    if key not in st.query_params:
        return
    raw = st.query_params.get_all(key) if multi else [st.query_params.get(key, "")]
    valid = {str(o) for o in options}
    bad = [str(v) for v in raw if str(v) and str(v) not in valid]
    if not bad:
        return
    seen: set[str] = st.session_state.setdefault("_url_notices", set())
    sig = f"{key}={'&'.join(bad)}"
    if sig in seen:
        return
    seen.add(sig)
    shown = ", ".join(md_escape(b, 40) for b in bad[:5])
    st.info(
        f"The link's {key}={shown} is not available here ({md_escape(what)}): "
        + ("dropped from the selection." if multi else "reset to the default."),
        icon=":material/link_off:",
    )


def seed_from_url(key: str, options: Sequence[str]) -> None:
    """Before an unbound multiselect keyed `key` is drawn: on a session's first draw, take its values from the
    link's `key` parameters (those among `options`). For a picker that shows display names while its link keeps ids
    (a bound widget writes what format_func shows into the URL)."""
    if key in st.session_state or key not in st.query_params:
        return
    valid = set(options)
    st.session_state[key] = [v for v in dict.fromkeys(st.query_params.get_all(key)) if v in valid]


def write_url_list(key: str, values: Sequence[str], default: Sequence[str]) -> None:
    """Keep an unbound multiselect's choice in the URL (its ids, repeated parameters; none at the default)."""
    if list(values) == list(default):
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get_all(key) != list(values):
        st.query_params[key] = list(values)


def seed_one_from_url(key: str, options: Sequence[str]) -> None:
    """Before an unbound selectbox keyed `key` is drawn: on a session's first draw, take its value from the link's
    `key` parameter where it is one of `options` (a picker showing display names whose link keeps the id)."""
    if key in st.session_state or key not in st.query_params:
        return
    value = st.query_params.get(key)
    if value in set(options):
        st.session_state[key] = value


def write_url_one(key: str, value: str, default: str) -> None:
    """Keep an unbound selectbox's choice in the URL as its id (no parameter at the default)."""
    if value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def _drop_url_param(key: str) -> None:
    """Remove a parameter from the URL and from the values bound widgets are seeded from on this page load.

    Streamlit 1.67 seeds a bound widget from the query string as the session first loaded it (QueryParams'
    `_initial_query_params`), so deleting from st.query_params alone does not stop a number input from reading
    `isl=inf` (which raises OverflowError inside Streamlit). The seeding copy has no public setter: this is the one
    place that reaches it, pinned by tests/app/test_app_url_values.py."""
    from streamlit.runtime.state.session_state_proxy import get_session_state

    with get_session_state().query_params() as qp:
        qp.remove_param(key)
        initial = getattr(qp, "_initial_query_params", None)
        if isinstance(initial, dict):
            initial.pop(key, None)


def sanitize_url() -> None:
    """Remove the link's values that no widget may take (not a number, non-finite, out of range, not an option)
    before any widget reads them, and say so once per session and value (st.info)."""
    bad = links.invalid_values({k: st.query_params.get_all(k) for k in st.query_params})
    for key in dict.fromkeys(k for k, _, _ in bad):
        _drop_url_param(key)
    seen: set[str] = st.session_state.setdefault("_url_notices", set())
    for key, value, what in bad:
        sig = f"{key}={value}"
        if sig in seen:
            continue
        seen.add(sig)
        st.info(
            f"The link's {key}={md_escape(value, 40)} is not a valid value (expected {md_escape(what)}): reset to the "
            "default.",
            icon=":material/link_off:",
        )
