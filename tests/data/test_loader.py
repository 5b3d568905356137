"""Reading untrusted files (calculator/data/loader.py, calculator/data/yaml_reader.py): regular files only and
bounded as
read; UTF-32 by its BOM; YAML by YAML 1.2's core schema with nothing guessed, no duplicate keys and a node limit;
JSON without duplicate keys, endless numbers or a flood of objects. Each answers with FILE:WHERE: message."""

from __future__ import annotations

import os
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from calculator.data import loader
from calculator.data.errors import InputError
from calculator.data.loader import decode_text, parse_json, parse_structured, parse_yaml, read_bytes
from calculator.data.yaml_reader import MAX_YAML_DEPTH, MAX_YAML_NODES

ROOT = Path(__file__).resolve().parents[2]


def problem(call: Any, *args: Any) -> str:
    with pytest.raises(InputError) as info:
        call(*args)
    (p,) = info.value.problems
    return f"{p.where}: {p.message}"


# --- files ----------------------------------------------------------------------------------------


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    answer: list[str] = []
    reader = threading.Thread(target=lambda: answer.append(problem(read_bytes, fifo)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert answer == ["file: not read: a FIFO (named pipe), not a regular file"]


def test_a_link_to_a_device_is_refused_not_read(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    t = time.perf_counter()
    assert problem(read_bytes, link) == "file: not read: a character device, not a regular file"
    assert time.perf_counter() - t < 1


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert "not read: a folder" in problem(read_bytes, tmp_path)


def test_the_size_limit_holds_as_read_not_as_stat_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loader, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 1001)
    assert "limit: not read" in problem(read_bytes, big)


def test_a_file_whose_stat_says_0_bytes_is_read() -> None:
    assert Path("/proc/self/status").stat().st_size == 0
    assert b"Name:" in read_bytes(Path("/proc/self/status"))


# --- text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_utf32_with_a_bom_is_read_as_utf32(codec: str) -> None:
    text = "gpus: []\nnote: ünïcode\n"
    bom = b"\xff\xfe\x00\x00" if codec.endswith("le") else b"\x00\x00\xfe\xff"
    assert decode_text(bom + text.encode(codec), "f.yaml") == text


# --- YAML -----------------------------------------------------------------------------------------


def _dates_as_text(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


@pytest.mark.parametrize("path", sorted((ROOT / "hardware_profiles").rglob("*.yaml")), ids=lambda p: p.name)
def test_bundled_yaml_reads_as_safe_load_reads_it(path: Path) -> None:
    """Dates stay text and `3.83e9` is a number at once (safe_load: text that the schema turns into a number)."""
    text = path.read_text()
    ours, theirs = parse_yaml(text, path.name), _dates_as_text(yaml.safe_load(text))

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, float) and isinstance(b, str):
            return a == float(b)
        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list) and isinstance(b, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        return type(a) is type(b) and a == b

    assert same(ours, theirs)


def test_yaml_12_core_scalars() -> None:
    doc = parse_yaml("a: [1, -2, 2.5, .5, 1e3, -.inf, ~, null, true, False, x, '1:30', 2026-11-20, '']\n", "f")
    assert doc == {
        "a": [1, -2, 2.5, 0.5, 1000.0, float("-inf"), None, None, True, False, "x", "1:30", "2026-11-20", ""]
    }


@pytest.mark.parametrize(
    ("value", "read_by_yaml_11_as"),
    [("1:30", 90), ("0x10", 16), ("1_000", 1000), ("017", 15), ("0o17", None), ("yes", True), ("off", False)],
)
def test_plain_values_yaml_11_reads_otherwise_are_refused_not_guessed(value: str, read_by_yaml_11_as: Any) -> None:
    if read_by_yaml_11_as is not None:
        assert yaml.safe_load(f"v: {value}") == {"v": read_by_yaml_11_as}  # what the old reader made of it
    message = problem(parse_yaml, f"points:\n  - {{concurrency: 1, output_tok_s: {value}}}\n", "f.yaml")
    assert message.startswith("line 2, column ") and f"'{value}'" in message and "quote it if it is text" in message
    assert parse_yaml(f"v: '{value}'", "f") == {"v": value}  # quoted, it is text


def test_duplicate_keys_are_refused_with_the_line_of_the_second() -> None:
    text = "gpu: h100-sxm\npoints:\n  - {concurrency: 1, output_tok_s: 100, output_tok_s: 200}\ngpu: a100-80gb\n"
    assert problem(parse_yaml, text, "f") == (
        "line 3, column 41: invalid YAML: duplicate key 'output_tok_s' (which of its values is meant?)"
    )


def test_a_date_that_is_no_date_is_text_for_the_schema_to_refuse() -> None:
    assert parse_yaml("as_of: 2026-13-45\n", "f") == {"as_of": "2026-13-45"}  # safe_load raised ValueError


def test_a_5000_digit_integer_is_refused_by_line() -> None:
    assert (
        problem(parse_yaml, "a: 1\nb: " + "9" * 5000 + "\n", "f")
        == "line 2, column 4: a number of 5000 digits is out of range"
    )


def test_the_yaml_node_limit_is_enforced_quickly() -> None:
    t = time.perf_counter()
    message = problem(parse_yaml, "points:\n" + "- 1\n" * 2_500_000, "f")  # 10 MB of scalars
    assert f"more than {MAX_YAML_NODES:,} YAML values" in message and "JSON or CSV" in message
    assert time.perf_counter() - t < 2
    assert len(parse_yaml("- 1\n" * (MAX_YAML_NODES - 1), "f")) == MAX_YAML_NODES - 1


def test_deep_yaml_is_refused_at_the_depth_limit() -> None:
    deep = "[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1)
    assert f"nested more than {MAX_YAML_DEPTH} levels" in problem(parse_yaml, deep, "f")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x 1\nb: *x\n", "anchors"),
        ("a: !!python/object:os.system 1\n", "tags"),
        ("a: 1\n---\na: 2\n", "one YAML document"),
        ("? [a, b]\n: 1\n", "as a key"),
    ],
)
def test_yaml_structures_we_do_not_take(text: str, message: str) -> None:
    assert message in problem(parse_yaml, text, "f")


# --- JSON -----------------------------------------------------------------------------------------


def test_json_duplicate_keys_are_refused() -> None:
    assert "duplicate key 'output_tok_s'" in problem(parse_json, '{"output_tok_s": 1, "output_tok_s": 2}', "f")


def test_a_4000_digit_json_integer_is_refused() -> None:
    assert "a number of 4000 digits is out of range" in problem(parse_json, '{"a": ' + "9" * 4000 + "}", "f")


def test_a_flood_of_json_objects_is_refused_before_parsing() -> None:
    text = "[" + "{}," * 5_000_000 + "{}]"  # 15 MB: 5 million dicts
    t = time.perf_counter()
    assert "objects and lists: more than 1,000,000 are not read" in problem(parse_structured, text, "f")
    assert time.perf_counter() - t < 0.5
