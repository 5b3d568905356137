"""Prices: the bundled cloud offers as an editable table (every row re-validated as a PriceOffer on the
server, with errors by row and field), a private quote, and owned-hardware TCO (capex per GPU, life, power,
PUE, $/kWh, hosting). Every price shows its date and source. Edits apply to every page for this session.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from app_pages import cached, state
from app_pages import widgets as w
from calculator.data import vocabulary as vb
from calculator.data.loader import problems_from_validation
from calculator.data.offers import offers_frame, quote_id, validate_offer_rows
from calculator.data.price_catalogs import STALE_AFTER_DAYS, import_catalog
from calculator.data.schema import TIERS, OwnedTco, PriceOffer
from calculator.model.cost import owned_offer, owned_usd_per_gpu_hour

st.title("Prices")
state.init_state()
catalog = cached.bundled_catalog()
gpu_ids = state.known_gpus()


@st.cache_data(show_spinner=False)
def bundled_offers_frame() -> pd.DataFrame:
    return offers_frame(cached.bundled_catalog().offers)


w.session_only_notice("Edited prices, private quotes and owned-hardware prices", "prices")
tab_edit, tab_catalog, tab_quote, tab_tco = st.tabs(
    ["Cloud offers", "Import a catalog", "Add a private quote", "Owned hardware (TCO)"]
)

with tab_edit:
    st.caption(
        "Late-2026 snapshot transcribed from public price pages and catalogs: every row keeps its date (as of) and "
        "source. Edit a cell, add or delete rows: the table is re-validated on every edit and, when every row is "
        "valid, used on every page for this session. A range (low/high) brackets the price used."
    )
    base = st.session_state.get("offers_edited")
    start = offers_frame(base) if base is not None else bundled_offers_frame()
    edited = st.data_editor(
        start,
        key="price_editor",
        num_rows="dynamic",
        height=460,
        hide_index=True,
        column_config={
            "id": st.column_config.TextColumn("Offer id", required=True, help="Unique; lowercase a-z 0-9 . _ -"),
            "provider": st.column_config.TextColumn("Provider", required=True),
            "instance": st.column_config.TextColumn("Instance", required=True),
            "gpu": st.column_config.SelectboxColumn("GPU", options=gpu_ids, required=True),
            "gpus_per_instance": st.column_config.NumberColumn("GPUs/instance", step=1, required=True),
            "tier": st.column_config.SelectboxColumn("Tier", options=list(TIERS), required=True),
            # No min_value: the grid would silently change a typed -5; every value goes to PriceOffer's validation,
            # which says what is wrong, and nothing is applied until every row is valid.
            "usd_per_gpu_hour": st.column_config.NumberColumn("$/GPU-hour", format="$%.3f", required=True),
            "usd_per_gpu_hour_low": st.column_config.NumberColumn("Low", format="$%.3f"),
            "usd_per_gpu_hour_high": st.column_config.NumberColumn("High", format="$%.3f"),
            "region": "Region",
            "as_of": st.column_config.TextColumn("As of", required=True, help="YYYY, YYYY-MM or YYYY-MM-DD"),
            "source": st.column_config.TextColumn("Source", required=True, width="medium"),
            "notes": st.column_config.TextColumn("Notes", width="medium"),
        },
    )
    changes = st.session_state.get("price_editor") or {}
    touched = any(changes.get(k) for k in ("edited_rows", "added_rows", "deleted_rows"))
    if touched:
        offers, problems = validate_offer_rows(edited, gpu_ids, catalog.offers)
        if problems:
            st.error(
                "These edits are not applied; the prices in use are unchanged until every row is valid:\n\n"
                + "\n".join(f"- {p}" for p in problems[:30])
                + (f"\n- … and {len(problems) - 30} more" if len(problems) > 30 else ""),
                icon=":material/error:",
            )
        elif not offers:
            st.error("At least one offer is needed; the prices in use are unchanged.", icon=":material/error:")
        else:
            st.session_state["offers_edited"] = offers
            st.session_state.pop("price_editor", None)  # the edits are now the table's base
            state.prices_changed()
            st.toast(f"Prices updated for this session: {len(offers)} valid offers.", icon=":material/check:")
            st.rerun()
    if st.session_state.get("offers_edited") is not None:
        st.success("Edited prices are in use for this session.", icon=":material/sell:")
        if st.button("Reset to the bundled prices", key="reset_prices", icon=":material/restart_alt:"):
            st.session_state["offers_edited"] = None
            st.session_state.pop("price_editor", None)
            state.prices_changed()
            st.rerun()

with tab_catalog:
    st.caption(
        "A SkyPilot `vms.csv` (skypilot-org/skypilot-catalog, `catalogs/v8/<cloud>/vms.csv`) or a gpuhunt provider "
        "catalog (`<provider>.csv`). Instance types map to our GPUs and GPUs per instance (billed as whole "
        "instances); every offer keeps the catalog's source and the date you give: the file's commit date for "
        f"SkyPilot, the catalog version's for gpuhunt. Offers older than {STALE_AFTER_DAYS} days are flagged."
    )
    with st.form("catalog_form", border=True):
        c_file = st.file_uploader("Catalog file (.csv)", type=["csv"], key="catalog_file")
        c1 = st.columns(2)
        c_date = c1[0].date_input("The catalog's date", value=None, max_value=date.today(), key="catalog_date")
        c_cloud = c1[1].text_input("Cloud or provider (if the name does not say)", max_chars=40, key="catalog_cloud")
        if st.form_submit_button("Import", key="catalog_import", icon=":material/upload:"):
            if c_file is None or c_date is None:
                st.error("Give the file and its date (a price without its date cannot be judged).")
            else:
                res = import_catalog(
                    c_file.getvalue(), c_file.name, as_of=c_date.isoformat(), known_gpus=gpu_ids,
                    cloud=c_cloud.strip().lower() or None,
                )  # fmt: skip
                report = "\n".join(f"- {line}" for line in res.report()[:40])
                if res.problems or not res.offers:
                    st.error(report, icon=":material/error:")
                else:
                    base = st.session_state.get("offers_edited") or catalog.offers
                    merged = {o.id: o for o in base} | {o.id: o for o in res.offers}
                    st.session_state["offers_edited"] = list(merged.values())
                    st.session_state.pop("price_editor", None)
                    state.prices_changed()
                    st.success(report, icon=":material/check:")

with tab_quote:
    st.caption(
        "A price you were quoted, for one GPU type. It is added as an offer with source 'your quote' and today's date."
    )
    with st.form("quote_form", border=True):
        q1 = st.columns(3)
        q_label = q1[0].text_input("Provider (your label)", value="My quote", max_chars=80, key="quote_provider")
        q_gpu = q1[1].selectbox(
            "GPU", gpu_ids, index=gpu_ids.index("h100-sxm"), format_func=state.gpu_name, key="quote_gpu"
        )
        q_tier = q1[2].selectbox("Tier", list(TIERS), format_func=lambda t: vb.tier_label(t), key="quote_tier")
        q2 = st.columns(3)
        q_usd = q2[0].number_input(
            "$ per GPU-hour", min_value=0.001, max_value=1000.0, value=2.50, step=0.05, format="%.3f", key="quote_usd"
        )
        q_n = q2[1].number_input("GPUs per instance", min_value=1, max_value=1024, value=8, step=1, key="quote_n")
        q_region = q2[2].text_input("Region", value="", max_chars=80, key="quote_region")
        if st.form_submit_button("Add quote", key="add_quote", icon=":material/add:"):
            try:
                offer = PriceOffer(
                    id=quote_id(q_label, q_gpu, q_tier),
                    provider=q_label.strip() or "My quote",
                    instance="your quote",
                    gpu=q_gpu,
                    gpus_per_instance=int(q_n),
                    tier=q_tier,
                    usd_per_gpu_hour=float(q_usd),
                    region=q_region,
                    as_of=date.today().isoformat(),
                    source="your quote",
                )
            except ValidationError as e:
                st.error("; ".join(str(p) for p in problems_from_validation(e, "quote")), icon=":material/error:")
            else:
                quotes = [o for o in st.session_state["quotes"] if o.id != offer.id]
                verb = "Replaced your earlier quote of" if len(quotes) < len(st.session_state["quotes"]) else "Added"
                st.session_state["quotes"] = [*quotes, offer]
                state.prices_changed()
                st.success(
                    f"{verb} {vb.md(offer.provider)}: {state.gpu_name(offer.gpu)} at"
                    f" ${offer.usd_per_gpu_hour:,.3f}/GPU-h."
                )
    if st.session_state["quotes"]:
        st.dataframe(
            pd.DataFrame([o.model_dump() for o in st.session_state["quotes"]]),
            key="quotes_table",
            hide_index=True,
            column_config={"usd_per_gpu_hour": st.column_config.NumberColumn("$/GPU-hour", format="$%.3f")},
        )
        if st.button("Remove all quotes", key="rm_quotes", icon=":material/delete:"):
            st.session_state["quotes"] = []
            state.prices_changed()
            st.rerun()

with tab_tco:
    st.caption(
        "Owning: capex / (life x 8,766 h) + power kW x PUE x $/kWh + hosting, per GPU-hour, at 100 % powered-on "
        "time. The bundled 'owned' rows are SemiAnalysis's published TCO assumptions; these are yours."
    )
    t1 = st.columns(3)
    t_gpu = t1[0].selectbox("GPU", gpu_ids, index=gpu_ids.index("b200"), format_func=state.gpu_name, key="tco_gpu")
    spec = catalog.gpu(t_gpu)
    default_kw = spec.all_in_power_kw or round(spec.tdp_w / 1000 * 1.7, 2)
    t_capex = t1[1].number_input(
        "Capex per GPU ($)", min_value=100.0, max_value=5_000_000.0, value=45_000.0, step=1000.0, format="%.0f",
        key="tco_capex", help="Purchase price per GPU incl. its share of the server, network and install.",
    )  # fmt: skip
    t_life = t1[2].number_input(
        "Economic life (years)", min_value=1.0, max_value=15.0, value=4.0, step=0.5, key="tco_life"
    )
    t2 = st.columns(4)
    t_kw = t2[0].number_input(
        "Power per GPU, all-in (kW)", min_value=0.0, max_value=20.0, value=float(default_kw), step=0.05,
        key=f"tco_kw_{t_gpu}", help="GPU plus its share of host, network and cooling.",
    )  # fmt: skip
    t_pue = t2[1].number_input("PUE", min_value=1.0, max_value=3.0, value=1.3, step=0.05, key="tco_pue")
    t_kwh = t2[2].number_input(
        "Electricity ($/kWh)", min_value=0.0, max_value=2.0, value=0.08, step=0.01, format="%.3f", key="tco_kwh"
    )
    t_host = t2[3].number_input(
        "Hosting ($/GPU-hour)", min_value=0.0, max_value=100.0, value=0.0, step=0.05, format="%.3f", key="tco_host",
        help="Colocation, staff, maintenance.",
    )  # fmt: skip
    try:
        tco = OwnedTco(
            capex_usd_per_gpu=t_capex,
            life_years=t_life,
            power_kw_per_gpu=t_kw,
            pue=t_pue,
            usd_per_kwh=t_kwh,
            hosting_usd_per_gpu_hour=t_host,
        )
    except ValidationError as e:
        st.error("; ".join(str(p) for p in problems_from_validation(e, "TCO")), icon=":material/error:")
    else:
        st.metric("Owned cost", f"${owned_usd_per_gpu_hour(tco):,.3f} per GPU-hour", border=True)
        if st.button("Add as an owned-hardware offer", key="add_tco", icon=":material/add:"):
            offer = owned_offer(t_gpu, tco)
            st.session_state["owned"] = [o for o in st.session_state["owned"] if o.id != offer.id] + [offer]
            state.prices_changed()
            st.success(f"Added: {state.gpu_name(t_gpu)} owned at ${offer.usd_per_gpu_hour:,.3f}/GPU-h ({offer.notes}).")
    if st.session_state["owned"]:
        st.dataframe(
            pd.DataFrame([o.model_dump() for o in st.session_state["owned"]]),
            key="owned_table",
            hide_index=True,
            column_config={"usd_per_gpu_hour": st.column_config.NumberColumn("$/GPU-hour", format="$%.3f")},
        )
        if st.button("Remove owned-hardware offers", key="rm_owned", icon=":material/delete:"):
            st.session_state["owned"] = []
            state.prices_changed()
            st.rerun()

st.divider()
prices_key, prices = state.all_prices()
w.price_age_note(prices)
st.caption(
    f"In use on every page: {len(prices)} offers ({len(st.session_state['quotes'])} quote(s), "
    f"{len(st.session_state['owned'])} owned-hardware offer(s)"
    + (", bundled prices edited" if st.session_state.get("offers_edited") is not None else "")
    + ")."
)
