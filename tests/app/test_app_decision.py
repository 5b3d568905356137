"""The decision page (landing) in AppTest: one card per GPU with both sides' $/M, the ratio and provenance; the
inputs come from the URL; an old Compare link is sent on to /compare."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_decision_is_the_landing_page_with_a_card_per_gpu() -> None:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["d_gpus"] = ["a100-80gb", "h100-sxm"]
    at.query_params["d_mode"] = "self_spec"
    at.run()
    assert not at.exception, at.exception
    assert "which is cheaper on your GPU" in at.markdown[0].value or any(
        "which is cheaper" in m.value for m in at.markdown
    )
    cards = [d.value for d in at.table if "Option" in d.value.index]
    assert len(cards) == 2
    for c in cards:
        assert c.loc["$/M output tokens", "NLD"].startswith("$")
        assert c.loc["$/M output tokens", "Baseline"].startswith("$")
        assert "self-speculation" in c.loc["Option", "NLD"]
        assert c.loc["Provenance", "NLD"]
    verdicts = [m.value for m in at.markdown if "costs" in m.value and "x " in m.value]
    assert len(verdicts) == 2
    changes = next(t.value for t in at.table if "Context length" in t.value.columns)
    assert "challenger" not in " ".join(changes["Concurrency"])


def test_an_old_compare_link_is_sent_to_compare() -> None:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["c_gpu"] = "h100-sxm"
    at.run()
    assert any("compare?c_gpu=h100-sxm" in i.value for i in at.info)


def test_vendor_claims_move_with_the_ar_efficiency_slider() -> None:
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception
    claim = next(m for m in at.metric if m.label.startswith("The claim against your AR stack"))
    assert claim.value == "3.96x"  # at the vendor's own AR efficiency (27 % of the roofline)
    tpf = next(t.value for t in at.table if "TPF at concurrency" in (t.value.index.name or ""))
    assert tpf.loc["block 32", "1"] == "6.12" and tpf.loc["block 8", "128"] == "3.31"
    at.slider(key="d_ar_eff").set_value(80).run()
    claim = next(m for m in at.metric if m.label.startswith("The claim against your AR stack"))
    assert claim.value == "1.35x"


def test_a_change_of_utilisation_re_prices_the_cached_curves(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Issue 21 (load): on the landing page a change of the sidebar's utilisation recomputed every curve (~3.5 s
    per run); now only the pricing runs again and the curves come from the shared cache."""
    import streamlit as st

    from calculator.answers import decision

    calls: list[tuple[str, int]] = []
    real = decision.gpu_curves

    def counting(cat, pts, key, gpu, isl):  # type: ignore[no-untyped-def]
        calls.append((gpu, isl))
        return real(cat, pts, key, gpu, isl)

    monkeypatch.setattr(decision, "gpu_curves", counting)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=300)
        at.run()
        assert not at.exception, at.exception
        first = len(calls)
        assert first == len(decision.CONTEXT_SWEEP)  # the default GPU at each prompt length of the sweep
        before = [m.value for m in at.markdown if "costs" in m.value]
        at.slider(key="util").set_value(50).run()
        assert not at.exception, at.exception
        assert len(calls) == first
        assert [m.value for m in at.markdown if "costs" in m.value] == before  # a ratio: utilisation cancels out
        assert at.table[0].value.loc["$/M output tokens", "NLD"] != ""
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


def test_gpus_by_name_every_gpu_swept_and_the_volume_sized_for_its_peak() -> None:
    """Issue 18's decision-page limits: the GPU picker shows display names (the link keeps ids); the context length
    where the advantage ends is swept on every chosen GPU; a volume is sized for its peak (default 2x, shown)."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["d_gpus"] = ["a100-80gb", "h100-sxm"]
    at.query_params["d_vol"] = "10"
    at.run()
    assert not at.exception, at.exception
    picker = at.multiselect(key="d_gpus")
    assert picker.value == ["a100-80gb", "h100-sxm"]
    assert "H100 SXM" in list(picker.proto.options) and "h100-sxm" not in list(picker.proto.options)
    sweep = next(d.value for d in at.dataframe if "Input tokens" in d.value.columns)
    assert set(sweep["GPU"]) == {"A100 80GB SXM", "H100 SXM"}
    changes = next(t.value for t in at.table if "Context length" in t.value.columns)
    assert set(changes.index) == {"A100 80GB SXM", "H100 SXM"}
    assert all(c != "not swept" for c in changes["Context length"])
    assert at.number_input(key="d_peak").value == 2.0
    assert any("2x peak" in c.value for c in at.caption)

    def gpus() -> list[int]:
        cards = [t.value for t in at.table if "Option" in t.value.index]
        return [int(str(c.loc["GPUs for the volume", "NLD"]).split()[0].replace(",", "")) for c in cards]

    at_peak = gpus()
    at.number_input(key="d_peak").set_value(1.0).run()
    flat = gpus()
    assert all(p >= f for p, f in zip(at_peak, flat, strict=True)) and sum(at_peak) > sum(flat)


def test_any_ar_model_is_a_baseline_choice() -> None:
    at = AppTest.from_file(APP, default_timeout=300).run()
    base = at.selectbox(key="d_base")
    assert base.value == "qwen3-8b" and {"Llama-3-8B-Instruct", "Llama-3.1-8B-Instruct"} <= set(base.options)  # by name
    base.set_value("llama-3-8b").run()
    assert not at.exception, at.exception
    card = next(t.value for t in at.table if "Option" in t.value.index)
    assert "Llama-3-8B" in card.loc["Option", "Baseline"] or "llama" in card.loc["Option", "Baseline"].lower()


def test_mode_and_baseline_pickers_show_names_while_the_link_keeps_ids() -> None:
    """Walkthrough: the sidebar offered ids (qwen3-8b, self_spec). The pickers show names; the link keeps the ids,
    and a link's id still selects its option."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["d_mode"] = "diffusion"
    at.run()
    assert not at.exception, at.exception
    mode, base = at.selectbox(key="d_mode"), at.selectbox(key="d_base")
    assert mode.value == "diffusion" and "self-speculation" in mode.options and "self_spec" not in mode.options
    assert "Qwen3-8B" in base.options and "qwen3-8b" not in base.options
    base.set_value("llama-3.1-8b").run()
    assert not at.exception, at.exception
    assert at.query_params["d_base"] in ("llama-3.1-8b", ["llama-3.1-8b"])
    assert at.query_params["d_mode"] in ("diffusion", ["diffusion"])
    at.selectbox(key="d_mode").set_value("best").run()
    assert "d_mode" not in at.query_params  # the default writes no parameter
