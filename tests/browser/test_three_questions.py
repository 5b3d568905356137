"""The three questions users bring, answered in the app in Chromium the way a new user asks them (a link, then
the page's own tables, read through their "Download as CSV"), with the answers written to
test-artifacts/three_questions.json:

1. throughput and cost on A100 vs H100 vs GB200 (Hardware);
2. does the advantage hold beyond 16K context (Scenario with a 32K prompt);
3. 10 B output tokens a month, NLD-8B self-speculation vs Qwen3-8B, on H100, A100 and B200, counting hardware in
   whole instances (Capacity).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page

from tests.browser.streamlit_server import dataframe_csv, exception_texts, wait_for_idle

pytestmark = pytest.mark.browser

TABLE = '[data-testid="stDataFrame"]'
ANSWERS: dict[str, object] = {}


def table(page: Page, alt: str) -> pd.DataFrame:
    """A table's data, by its alt text, through its own "Download as CSV" (cells are canvas-drawn)."""
    frame = page.locator(TABLE).filter(has=page.get_by_label(alt)).first
    if not frame.count():
        frame = page.locator(TABLE).first
    return pd.read_csv(io.StringIO(dataframe_csv(page, frame, alt=alt)))


def metrics(page: Page) -> dict[str, str]:
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return {a.strip(): b.strip() for a, b in zip(labels, values, strict=False)}


@pytest.fixture(scope="module", autouse=True)
def _write_answers(artifacts: Path):
    yield
    (artifacts / "three_questions.json").write_text(json.dumps(ANSWERS, indent=2, default=str), encoding="utf-8")


def test_a100_vs_h100_vs_gb200(page: Page) -> None:
    page.goto("/hardware?hw_model=nld-8b&hw_mode=self_spec&hw_prec=bf16&hw_conc=16")
    wait_for_idle(page, ready=TABLE)
    assert exception_texts(page) == []
    t = table(page, "One configuration across GPUs")
    rows = {r["gpu_name"]: r for _, r in t.iterrows()}
    answer = {}
    for name in ("A100", "H100", "GB200"):
        match = [g for g in rows if name in g and ("80" in g or name != "A100")]
        assert match, f"no {name} row in {list(rows)}"
        r = rows[match[0]]
        assert r["kind"] in ("data point", "estimated")
        answer[match[0]] = {
            "figure": r["kind"],
            "provenance": r["badge"],
            "output_tok_s_per_gpu": r["output_tok_s_per_gpu"],
            "usd_per_mtok_output": r["usd_per_mtok_output"],
            "provider": r["provider"],
        }
    ANSWERS["A100 vs H100 vs GB200 (NLD-8B self-spec bf16, 16 concurrent)"] = answer
    # Faster silicon is never estimated slower.
    tok = {k: float(str(v["output_tok_s_per_gpu"]).replace(",", "")) for k, v in answer.items()}
    a100, h100 = (next(v for k, v in tok.items() if n in k) for n in ("A100", "H100"))
    assert h100 >= a100


def test_beyond_16k_context(page: Page) -> None:
    page.goto("/scenario?gpu=h100-sxm&isl=32768&osl=1024")
    wait_for_idle(page, ready=TABLE)
    assert exception_texts(page) == []
    text = page.locator('[data-testid="stMain"]').inner_text()
    assert "beyond any published" in text
    heads = metrics(page)
    crossover = next((v for v in heads.values() if "concurrent requests" in v), None)
    cheapest = next(((k, v) for k, v in heads.items() if v.endswith("/M")), None)
    ops = table(page, "Best operating point per curve")
    ANSWERS["beyond 16K (H100, 32K prompt, 1K output)"] = {
        "cheapest": cheapest,
        "self-spec vs Qwen3-8B AR crossover": crossover or "no crossover within the curves' range",
        "operating points": ops[["option", "concurrency", "tok_s_user", "usd_per_mtok_output"]].to_dict("records"),
    }
    assert cheapest is not None


@pytest.mark.parametrize("gpu", ["h100-sxm", "a100-80gb", "b200"])
def test_ten_billion_tokens_a_month_counting_whole_instances(page: Page, gpu: str) -> None:
    page.goto(f"/capacity?vol=10000000000&vol_unit=month&cap_gpu={gpu}&tps=50")
    wait_for_idle(page, ready=TABLE)
    assert exception_texts(page) == []
    t = table(page, "Fleet plans per curve and offer")
    assert set(t["gpu"]) == {gpu}
    plans = {}
    for curve, label in (("nld-8b self_spec", "NLD-8B self-speculation"), ("qwen3-8b ar", "Qwen3-8B AR")):
        rows = t[t["curve"].str.contains(curve, regex=False)]
        assert not rows.empty, f"no {curve} plan on {gpu}"
        best = rows.sort_values("monthly_usd").iloc[0]
        assert int(best["gpus_billed"]) % int(best["gpus_per_instance"]) == 0
        plans[label] = {
            "curve": best["curve"],
            "monthly_usd": float(best["monthly_usd"]),
            "usd_per_mtok_effective": float(best["usd_per_mtok_effective"]),
            "provider": f"{best['provider']} {best['instance']}",
            "replicas": int(best["replicas"]),
            "instances": int(best["instances"]),
            "gpus_per_instance": int(best["gpus_per_instance"]),
            "gpus_billed": int(best["gpus_billed"]),
            "provenance": best["badge"],
            "estimate_error": best.get("est_error", ""),
        }
    head = metrics(page)
    ANSWERS[f"10 B output tokens/month on {gpu} (>= 50 tok/s per user)"] = {"cheapest": head, **plans}
