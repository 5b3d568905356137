"""Issue 13 through the command line: `validate` and `table --data` read every file with one reader
(common.check_file) and give one verdict; a filter only filters; folders never follow links and say what they
skipped; FIFOs and devices are refused at once; bad numbers on the command line are usage errors, never
tracebacks; warnings are printed as FILE:WHERE: warning: message."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from calculator.cli import main

ROOT = Path(__file__).resolve().parents[2]
SGLANG = ROOT / "tests" / "fixtures" / "imports" / "sglang_bench_serving.jsonl"
VLLM = ROOT / "tests" / "fixtures" / "imports" / "vllm_bench_serve.json"
PROFILE = (
    "id: mine\ngpu: h100-sxm\nengine: sglang\nmodel: nld-8b\nprecision: bf16\nmode: ar\n"
    "provenance: {{kind: measured, source: me, date: '2026-11-20'}}\n"
    "points:\n  - {{concurrency: 1, output_tok_s: {x}}}\n"
)
CSV = "gpu,model,mode,precision,concurrency,output_tok_s\nh100-sxm,nld-8b,ar,bf16,1,100\n"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_file_of_another_suffix_is_not_read_and_not_valid(capsys, tmp_path):
    passwd = tmp_path / "passwd"
    passwd.write_text("root:x:0:0:root:/root:/bin/bash\n")
    code, out, err = run(capsys, "validate", str(passwd))
    assert code == 1 and "0 of 1 files valid" in err  # was "1 of 1 files valid"
    assert f"{passwd}:file: not read: a file without a suffix; only .yaml" in out


def test_validate_and_table_data_give_one_verdict_on_a_binary_file(capsys, tmp_path):
    binary = tmp_path / "blob.bin"
    binary.write_bytes(bytes(range(256)))
    code, out, _ = run(capsys, "validate", str(binary))
    verdict = f"{binary}:file: not read: a '.bin' file"
    assert code == 1 and verdict in out
    code, _, err = run(capsys, "table", "--data", str(binary))
    assert code == 1 and verdict in err


def test_validate_prints_warnings_and_what_was_not_read_and_the_file_stays_valid(capsys):
    code, out, err = run(capsys, "validate", str(VLLM), "--gpu", "h100-sxm", "--mode", "ar")
    assert code == 0 and "1 of 1 files valid" in err
    assert f"{VLLM}:precision: warning: not in this vllm file: assumed bf16" in out
    assert f"{VLLM}: ignored: " in out and f"{VLLM}: OK (vllm" in out
    ignored = next(line for line in out.splitlines() if f"{VLLM}: ignored: " in line)
    assert "date," not in ignored  # the run's own date is read: it is the measurement's date


def test_table_data_prints_warnings_to_stderr_and_names_files_by_base_name(capsys, tmp_path):
    f = tmp_path / "deep" / "runs.csv"
    f.parent.mkdir()
    f.write_text(CSV)
    code, out, err = run(capsys, "table", "--data", str(f), "--provenance", "uploaded", "--all-columns",
                         "--format", "json", "--no-estimates")  # fmt: skip
    assert code == 0 and f"{f}:gpus_per_replica: warning: not in this csv file: assumed 1" in err
    assert "give --data-gpus-per-replica N" in err
    assert {r["file"] for r in json.loads(out)} == {"runs.csv"}  # never /tmp/.../deep/runs.csv


def test_a_table_filter_filters_and_never_relabels_a_files_rows(capsys, tmp_path):
    f = tmp_path / "t.csv"
    f.write_text(CSV)
    code, out, err = run(capsys, "table", "--data", str(f), "--model", "qwen3-8b", "--provenance", "uploaded",
                         "--format", "json", "--no-estimates")  # fmt: skip
    assert code == 0 and json.loads(out) == []  # the file's nld-8b row is not priced as qwen3-8b
    assert "not applied" not in err  # and the filter is no given value to warn about


def test_a_table_filter_does_not_fill_in_what_a_file_lacks(capsys):
    code, _, err = run(capsys, "table", "--data", str(SGLANG), "--gpu", "h100-sxm", "--model", "qwen3-8b",
                       "--mode", "ar")  # fmt: skip
    assert code == 1 and "give --data-gpu ID" in err
    code, out, _ = run(capsys, "table", "--data", str(SGLANG), "--data-gpu", "h100-sxm", "--data-model", "qwen3-8b",
                       "--data-mode", "ar", "--gpu", "h100-sxm", "--format", "json", "--no-estimates")  # fmt: skip
    assert code == 0 and "uploaded" in {r["provenance"] for r in json.loads(out)}


def test_the_data_failure_message_names_the_formats_doc_once(capsys, tmp_path):
    unknown = tmp_path / "unknown.json"
    unknown.write_text('{"foo": 1}')
    code, _, err = run(capsys, "table", "--data", str(unknown))
    assert code == 1 and err.count("docs/formats.md") == 1


def test_folders_never_follow_links_and_say_what_they_skipped(capsys, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text(PROFILE.format(x=999))  # readable, valid: following the link would price it
    folder = tmp_path / "data"
    (folder / "sub").mkdir(parents=True)
    (folder / "mine.yaml").write_text(PROFILE.format(x=100))
    (folder / "escape.yaml").symlink_to(outside)
    (folder / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    (folder / "sub" / "up").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(folder / "pipe.yaml")
    (folder / "README.md").write_text("notes\n")
    code, out, err = run(capsys, "validate", str(folder))
    assert code == 0 and "1 of 1 files valid" in err
    assert f"{folder / 'escape.yaml'}:file: skipped: a symbolic link (links in a folder are not followed)" in out
    assert f"{folder / 'dangling.yaml'}:file: skipped: a dangling symbolic link" in out
    assert f"{folder / 'sub' / 'up'}:file: skipped: a symbolic link" in out
    assert f"{folder / 'pipe.yaml'}:file: skipped: a FIFO (named pipe), not a regular file" in out
    assert f"{folder}:folder: 1 other file(s) not read" in out
    code, out, err = run(capsys, "table", "--data", str(folder), "--provenance", "uploaded", "--format", "json",
                         "--no-estimates")  # fmt: skip
    assert code == 0 and {r["output_tok_s"] for r in json.loads(out)} == {100.0}
    assert "escape.yaml:file: skipped" in err


def test_a_fifo_and_a_link_to_a_device_are_refused_at_once(capsys, tmp_path):
    fifo, zero = tmp_path / "pipe.yaml", tmp_path / "zero.yaml"
    os.mkfifo(fifo)
    zero.symlink_to("/dev/zero")
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(main(["validate", str(fifo), str(zero)])), daemon=True)
    worker.start()
    worker.join(timeout=20)  # a FIFO used to hang; /dev/zero read 13 GB
    assert done == [1]
    out = capsys.readouterr().out
    assert (
        "pipe.yaml:file: not read: a FIFO (named pipe)" in out and "zero.yaml:file: not read: a character device" in out
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--limit", "-3"], "argument --limit: expected an integer at least 0"),
        (["--concurrency", "2000000"], "--concurrency must be at most 1,000,000"),
        (["--price-usd-per-gpu-hour", "inf"], "expected a finite number more than 0, got 'inf'"),
        (["--price-usd-per-gpu-hour", "1e400"], "got '1e400'"),
        (["--price-ratio", "inf"], "argument --price-ratio: expected a finite number"),
        (["--utilisation", "1e-320"], "argument --utilisation: expected a finite number at least 0.01"),
    ],
)
def test_bad_numbers_on_the_command_line_are_usage_errors(capsys, args, message):
    code, _, err = run(capsys, "table", *args)
    assert code == 2 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "suffix", "message"),
    [
        (PROFILE.format(x=100).replace("'2026-11-20'", "2026-13-45"), ".yaml", "provenance.date: expected a date"),
        (PROFILE.format(x="9" * 5000), ".yaml", "line 9, column 36: a number of 5000 digits is out of range"),
        (PROFILE.format(x="1:30"), ".yaml", "'1:30' is not plain decimal"),
        (PROFILE.format(x="1_000"), ".yaml", "'1_000' is not plain decimal"),
        (PROFILE.format(x="100") + "gpu: a100-80gb\n", ".yaml", "duplicate key 'gpu'"),
        ('{"max_concurrency": 4, "output_throughput": ' + "9" * 4000 + "}", ".json", "4000 digits is out of range"),
        ('{"max_concurrency": 1.5, "output_throughput": 100, "total_throughput": 200}', ".json",
         "max_concurrency: expected a whole number of concurrent requests, got 1.5"),
    ],
)  # fmt: skip
def test_nonsense_in_a_file_is_a_problem_by_place_never_a_traceback_or_a_guess(capsys, tmp_path, text, suffix, message):
    f = tmp_path / f"f{suffix}"
    f.write_text(text)
    code, out, _ = run(capsys, "validate", str(f), "--gpu", "h100-sxm", "--model", "nld-8b", "--mode", "ar")
    assert code == 1 and message in out and "internal error" not in out


def test_utf32_with_a_bom_is_read(capsys, tmp_path):
    f = tmp_path / "u32.yaml"
    f.write_bytes(PROFILE.format(x=100).encode("utf-32"))
    code, out, _ = run(capsys, "validate", str(f))
    assert code == 0 and "OK (profile, 1 profiles, 1 points)" in out


def test_estimate_data_folders_do_not_follow_links_either(capsys, tmp_path):
    outside = tmp_path / "outside.yaml"
    outside.write_text(PROFILE.format(x=999))
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "escape.yaml").symlink_to(outside)
    code, _, err = run(
        capsys, "estimate", "--gpu", "h100-sxm", "--model", "nld-8b", "--mode", "ar", "--data", str(folder)
    )
    assert code == 0 and f"{folder / 'escape.yaml'}:file: skipped: a symbolic link" in err
