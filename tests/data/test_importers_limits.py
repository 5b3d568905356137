"""Issue 13 item 3 and the Low items on numbers: every reader is linear and bounded. Each limit is checked before
the work it bounds and answered with what to do; a file broken everywhere stops at MAX_PROBLEMS; a fractional
concurrency or an endless number is a problem by field, never rounded or an internal error."""

from __future__ import annotations

import json
import time

from calculator.data.importers import Overrides, import_bytes
from calculator.data.importers._common import MAX_COLUMNS, MAX_PROBLEMS, MAX_RECORDS, MAX_TABLE_ROWS

GIVEN = Overrides(gpu="h100-sxm", model="nld-8b", mode="ar")
HEADER = "gpu,model,mode,precision,concurrency,output_tok_s\n"


def sglang_record(concurrency: float) -> str:
    return json.dumps({"max_concurrency": concurrency, "output_throughput": 100.0, "total_throughput": 300.0})


def timed(data: bytes, name: str) -> tuple[float, list[str]]:
    t = time.perf_counter()
    result = import_bytes(data, name, GIVEN)
    return time.perf_counter() - t, [f"{p.where}: {p.message}" for p in result.problems]


def test_json_lines_full_of_invalid_lines_stop_after_twenty_in_linear_time() -> None:
    data = (sglang_record(1) + "\n" + '{"max_concurrency": 4, "output_thr\n' * 55_000).encode()  # 2 MB
    seconds, problems = timed(data, "runs.jsonl")
    assert seconds < 1.0  # was 13 s: each error's line number was counted from the start of the file
    assert len(problems) == 21 and "over 20 invalid stretches: not read further" in problems[-1]


def test_a_csv_of_50000_columns_is_refused_at_once() -> None:
    names = ",".join(f"c{i}" for i in range(50_000))
    seconds, problems = timed(f"concurrency,output_tok_s,{names}\n1,2{',x' * 50_000}\n".encode(), "wide.csv")
    assert seconds < 0.5  # was 43 s
    assert problems == [f"row 1: 50,002 columns: at most {MAX_COLUMNS} are read (leave out the others)"]


def test_a_csv_of_a_million_columns_is_refused_without_splitting_them() -> None:
    seconds, problems = timed(("concurrency,output_tok_s" + ",a" * 1_000_000 + "\n").encode(), "wide.csv")
    assert seconds < 0.5 and problems[0].startswith("row 1: 1,000,002 columns")


def test_duplicated_columns_under_the_limit_are_still_named() -> None:
    names = ",".join(["x"] * 400)
    _, problems = timed(f"{HEADER.strip()},{names}\nh100-sxm,nld-8b,ar,bf16,1,2{',1' * 400}\n".encode(), "d.csv")
    assert problems == ["row 1: column(s) 'x' appear more than once"]


def test_a_table_of_more_lines_than_the_row_limit_is_refused_before_parsing() -> None:
    seconds, problems = timed((HEADER + "\n" * (MAX_TABLE_ROWS + 10)).encode(), "blank.csv")
    assert seconds < 0.2 and problems == [
        f"file: {MAX_TABLE_ROWS + 11:,} lines: at most {MAX_TABLE_ROWS:,} rows are read from a file (split it)"
    ]


def test_a_yaml_list_of_scalars_is_refused_quickly() -> None:
    seconds, problems = timed(b"points:\n" + b"- 1\n" * 2_500_000, "list.yaml")  # 10 MB: was 66 s and 1.75 GB
    assert seconds < 1.0 and "more than 30,000 YAML values" in problems[0]


def test_more_records_than_one_file_may_hold_are_refused_before_parsing() -> None:
    data = "\n".join(sglang_record(i + 1) for i in range(MAX_RECORDS + 1)).encode()
    seconds, problems = timed(data, "runs.jsonl")
    assert seconds < 1.0
    assert problems == [
        f"file: more than {MAX_RECORDS:,} records: at most {MAX_RECORDS:,} are read from one file (split it)"
    ]
    lines = "\n".join(sglang_record(i + 1) for i in range(600_000)).encode()  # 50 MB: read no further than needed
    seconds, problems = timed(lines, "runs.jsonl")
    assert seconds < 2.0 and problems[0].startswith("file: more than 10,000 records")
    benchmarks = json.dumps({"benchmarks": [{}] * (MAX_RECORDS + 1)}).encode()
    assert "benchmarks: at most" in timed(benchmarks, "g.json")[1][0]


def test_a_file_broken_everywhere_stops_at_the_problem_limit() -> None:
    data = json.dumps({"benchmarks": [1] * 5000}).encode()
    _, problems = timed(data, "g.json")
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1].endswith(f"more than {MAX_PROBLEMS} problems: not read further (fix these first)")


def test_a_profile_of_more_points_than_a_file_may_hold_is_refused_before_validation() -> None:
    points = [{"concurrency": i + 1, "output_tok_s": 1.0} for i in range(MAX_TABLE_ROWS + 1)]
    doc = {"id": "x", "gpu": "h100-sxm", "engine": "e", "model": "nld-8b", "precision": "bf16", "mode": "ar",
           "provenance": {"kind": "measured", "source": "s", "date": "2026"}, "points": points}  # fmt: skip
    seconds, problems = timed(json.dumps(doc).encode(), "p.json")
    assert seconds < 1.0
    assert problems == [
        f"file: {MAX_TABLE_ROWS + 1:,} points: at most {MAX_TABLE_ROWS:,} are read from one file (split it)"
    ]


def test_a_fractional_set_concurrency_is_a_problem_not_rounded() -> None:
    result = import_bytes((sglang_record(1.5) + "\n" + sglang_record(4) + "\n").encode(), "runs.jsonl", GIVEN)
    assert [p.concurrency for p in result.profiles[0].points] == [4]
    assert [f"{p.where}: {p.message}" for p in result.problems] == [
        "line 1, max_concurrency: expected a whole number of concurrent requests, got 1.5"
    ]
    rows = json.dumps([{"conc": 2.5, "tput_per_gpu": 100.0, "output_tput_per_gpu": 50.0, "hw": "h100"}]).encode()
    assert "expected a whole number of concurrent requests, got 2.5" in str(
        import_bytes(rows, "ix.json", GIVEN).problems
    )


def test_a_4000_digit_integer_is_a_problem_not_an_internal_error() -> None:
    data = ('{"max_concurrency": 4, "output_throughput": ' + "9" * 4000 + ', "total_throughput": 5}').encode()
    (problem,) = import_bytes(data, "big.json", GIVEN).problems
    assert "internal error" not in problem.message and "4000 digits is out of range" in problem.message
