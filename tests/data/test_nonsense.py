"""Issue 21, "Nonsense that is priced today": figures no engine can produce (past int64, 1e308 or 5e-324 tok/s, a
TTFT of 1e308 ms, a throughput the file's own TPOT contradicts) are refused by file, row and field in every
reader, on the command line and on the Measurements page, instead of being priced (and starred as cheapest)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from calculator.data.importers import Overrides, import_bytes
from calculator.data.schema import TPOT_RATE_FACTOR

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "imports"
GIVEN = Overrides(gpu="h100-sxm", model="qwen3-8b", mode="ar", precision="bf16")
HEADER = "gpu,model,mode,precision,concurrency,output_tok_s,tpot_ms_p50,ttft_ms_p50,accept_length,requests_completed\n"
HUGE = "99999999999999999999"  # past int64


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calculator", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def csv_row(
    out: str = "100", tpot: str = "", ttft: str = "", accept: str = "", done: str = "", conc: str = "1"
) -> bytes:
    return f"{HEADER}h100-sxm,qwen3-8b,ar,bf16,{conc},{out},{tpot},{ttft},{accept},{done}\n".encode()


def problems(data: bytes, name: str) -> list[str]:
    result = import_bytes(data, name, GIVEN)
    assert not result.profiles
    return [f"{p.where}: {p.message}" for p in result.problems]


def profile_yaml(**point: object) -> bytes:
    fields = ", ".join(f"{k}: {v}" for k, v in ({"concurrency": 1, "output_tok_s": 100} | point).items())
    return (
        "id: p\ngpu: h100-sxm\nengine: sglang\nmodel: qwen3-8b\nprecision: bf16\nmode: ar\n"
        "provenance: {kind: measured, source: me, date: '2026-11-20'}\n"
        f"points:\n  - {{{fields}}}\n"
    ).encode()


@pytest.mark.parametrize(
    ("row", "field", "said"),
    [
        (dict(done=HUGE), "requests_completed", "at most 1,000,000,000,000"),
        (dict(out="1e308"), "output_tok_s", "at most 1,000,000,000"),
        (dict(out="5e-324"), "output_tok_s", "at least 0.01"),
        (dict(ttft="1e308"), "ttft_ms_p50", "at most 86,400,000"),
        (dict(accept="1e308"), "accept_length", "at most 4,096"),
        (dict(out="1000000", tpot="100"), "output_tok_s", "contradicts the row's tpot_ms_p50"),
    ],
)
def test_impossible_figures_in_the_csv_template_are_refused_by_row_and_field(
    row: dict[str, str], field: str, said: str
) -> None:
    found = problems(csv_row(**row), "r.csv")
    assert len(found) == 1 and found[0].startswith(f"row 2, {field}: ") and said in found[0], found


@pytest.mark.parametrize(
    ("point", "field", "said"),
    [
        ({"requests_failed": HUGE}, "requests_failed", "less than or equal to 1000000000000"),
        ({"output_tok_s": "1e308"}, "output_tok_s", "less than or equal to 1000000000"),
        ({"output_tok_s": "5e-324"}, "output_tok_s", "greater than or equal to 0.01"),
        ({"ttft_ms_p50": "1e308"}, "ttft_ms_p50", "less than or equal to 86400000"),
        ({"tokens_per_forward": "1e308"}, "tokens_per_forward", "less than or equal to 4096"),
        ({"output_tok_s": 1_000_000, "tpot_ms_p50": 100}, "", "contradicts tpot_ms_p50 100 at concurrency 1"),
    ],
)
def test_impossible_figures_in_our_profile_format_are_refused_by_field(
    point: dict[str, object], field: str, said: str
) -> None:
    found = problems(profile_yaml(**point), "p.yaml")
    assert len(found) == 1 and said in found[0], found
    assert found[0].startswith(f"points[0].{field}".rstrip(".")), found


def test_a_throughput_within_the_tpot_factor_is_kept() -> None:
    ceiling = 8 * 1000 / 20  # 8 users at 20 ms per token
    result = import_bytes(csv_row(out=str(TPOT_RATE_FACTOR * ceiling * 0.99), tpot="20", conc="8"), "ok.csv", GIVEN)
    assert not result.problems and len(result.profiles) == 1


def test_sglang_record_with_impossible_counts_is_refused_by_field_not_an_internal_error() -> None:
    line = json.loads((FIXTURES / "sglang_bench_serving.jsonl").read_text().splitlines()[0], parse_constant=float)
    del line["max_concurrency"], line["concurrency"]  # concurrency then comes from Little's law
    impossible = json.dumps(line | {"completed": 1e300, "mean_e2e_latency_ms": 1e300})
    result = import_bytes(impossible.encode(), "s.jsonl", GIVEN)  # was: internal error (OverflowError)
    assert not result.profiles and [p.where for p in result.problems] == ["completed"], result.problems
    assert "completed 1e+300 x mean_e2e_latency_ms 1e+300 ms" in result.problems[0].message
    assert "internal error" not in result.problems[0].message
    result = import_bytes(json.dumps(line | {"completed": 1e300}).encode(), "s.jsonl", GIVEN)
    assert not result.profiles and "internal error" not in str(result.problems)


def test_vllm_record_with_impossible_counts_is_refused_by_field() -> None:
    doc = json.loads((FIXTURES / "vllm_bench_serve.json").read_text(), parse_constant=float)
    doc.pop("max_concurrency", None)
    result = import_bytes(json.dumps(doc | {"completed": 1e300, "mean_e2el_ms": 1e300}).encode(), "v.json", GIVEN)
    assert not result.profiles and [p.where for p in result.problems] == ["completed"], result.problems


def test_cli_validate_and_table_refuse_a_request_count_past_int64(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(csv_row(done=HUGE))
    for args in (("validate", str(path)), ("table", "--data", str(path), "--no-estimates")):
        done = cli(*args)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert f"{path}:row 2, requests_completed: must be at most" in done.stdout + done.stderr


def test_measurements_page_refuses_a_request_count_past_int64_without_an_exception() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("app_pages/measurements.py")
    at.run()
    files = [("r.csv", csv_row(done=HUGE), "text/csv"), ("p.yaml", profile_yaml(requests_completed=HUGE), "text/plain")]
    at.file_uploader(key="upload_files").set_value(files)
    at.run()
    assert not at.exception  # was: the page threw (int64) on upload
    assert not at.session_state["uploads"]
    said = " ".join(e.value for e in at.error)
    assert "r.csv" in said and "p.yaml" in said


def test_a_per_user_rate_beyond_the_gpus_memory_bandwidth_is_refused_and_never_priced(tmp_path: Path) -> None:
    # qwen3-8b in bf16 is 16.4 GB of weights; an H100 reads 3.35 TB/s: ~205 forwards/s, x2 margin = 409 tok/s a user
    data = csv_row(out="5000", conc="1")
    result = import_bytes(data, "fast.csv", GIVEN)
    assert not result.profiles, result.profiles
    (problem,) = result.problems
    assert problem.where.endswith("concurrency 1, output_tok_s") and "beyond what h100-sxm's memory allows" in str(
        problem
    )
    assert import_bytes(csv_row(out="5000", conc="16"), "batched.csv", GIVEN).ok  # 312 tok/s a user: kept
    path = tmp_path / "fast.csv"
    path.write_bytes(data)
    done = cli("table", "--data", str(path), "--no-estimates", "--format", "csv")
    assert done.returncode == 1 and "memory allows" in done.stderr and "fast.csv" not in done.stdout


def test_every_bundled_profile_point_is_plausible() -> None:
    from calculator.data.catalog import bundled_profile_paths, load_profile_files
    from calculator.data.plausibility import bundled_specs, screen

    profiles = load_profile_files(bundled_profile_paths(), strict=False).profiles
    _, refused = screen(profiles, "bundled", *bundled_specs())
    assert refused == []


@pytest.mark.parametrize(
    "args",
    [
        ("table", "--isl", "9223372036854775808"),
        ("table", "--osl", str(10**30)),
        ("table", "--isl", "10000001"),
        ("estimate", "--gpu", "h100-sxm", "--model", "nld-8b", "--isl", str(10**30)),
        ("estimate", "--gpu", "h100-sxm", "--model", "nld-8b", "--mode", "self_spec", "--tpf", "1e-300"),
        ("estimate", "--gpu", "h100-sxm", "--model", "nld-8b", "--context", str(10**30)),
    ],
)
def test_lengths_and_tokens_per_forward_beyond_physical_bounds_are_usage_errors(args: tuple[str, ...]) -> None:
    done = cli(*args)  # was: a traceback (int64), or 1e-300 silently clamped to 0.5
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "expected" in done.stderr and ("at most 10,000,000" in done.stderr or "at least 0.5" in done.stderr)


def test_a_fleet_beyond_ten_million_gpus_is_no_plan_not_an_int64_overflow() -> None:
    import pandas as pd

    from calculator.model import capacity as cap
    from calculator.model import frontier as fr

    pts = pd.DataFrame(
        {
            "profile_id": ["slow", "ok"], "gpu": ["b200", "b200"], "gpus_per_replica": [1, 1],
            "model": ["nld-8b"] * 2, "mode": ["ar"] * 2, "precision": ["bf16"] * 2,
            "provenance": ["uploaded"] * 2, "concurrency": [1, 1], "output_tok_s": [0.01, 1000.0],
        }
    )  # fmt: skip
    offer = pd.DataFrame(
        {
            "id": ["o1"], "provider": ["P"], "instance": ["i"], "gpu": ["b200"], "gpus_per_instance": [8],
            "tier": ["on_demand"], "usd_per_gpu_hour": [2.0], "as_of": ["2026"], "source": ["s"], "notes": [""],
        }
    )  # fmt: skip
    demand = cap.Demand(output_tokens_per_month=1e15, peak_to_average=2.0)  # 0.76 M tok/s at peak
    plans = cap.fleet_plans(cap.operating_points(pts, fr.Slo()), offer, demand)
    assert list(plans["profile_id"]) == ["ok"]  # the 0.01 tok/s curve would need 76 billion replicas
    assert list(plans["replicas"]) == [761_036] and plans["monthly_usd"].iloc[0] == pytest.approx(1.111e9, rel=1e-3)


def test_apply_and_import_of_a_request_count_past_int64_names_file_and_field_and_keeps_running() -> None:
    # The form path: an SGLang record names no GPU, so the page asks for one; "Apply and import" re-reads the file.
    line = json.loads((FIXTURES / "sglang_bench_serving.jsonl").read_text().splitlines()[0], parse_constant=float)
    data = json.dumps(line | {"completed": int(HUGE)}).encode()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page("app_pages/measurements.py")
    at.run()
    at.file_uploader(key="upload_files").set_value([("s.jsonl", data, "text/plain")])
    at.run()
    (key,) = at.session_state["pending"]
    at.selectbox(key=f"sup_gpu_{key}").set_value("h100-sxm")
    at.button(key=f"apply_{key}").click().run()
    assert not at.exception  # was: the page threw (int64) on "Apply and import"
    (said,) = [e.value for e in at.error]
    assert said.startswith("s.jsonl: 1 problem(s): completed: ") and "less than or equal to" in said, said
    assert not at.session_state["uploads"]  # not added unless the user adds the good points anyway
    at.button(key=f"add_{key}").click().run()  # the other figures of the run are good: added without the count
    assert not at.exception
    (upload,) = at.session_state["uploads"].values()
    assert "requests_completed" not in upload.points or upload.points["requests_completed"].isna().all()
