"""Safe reading of untrusted files: regular files only, size cap as read, encoding check, YAML without aliases,
tags, duplicate keys or YAML 1.1 guesses (calculator/data/yaml_reader.py), JSON without NaN, duplicate keys or a
flood of
objects, and validation errors turned into `FILE:WHERE: message` problems.

Every input path (bundled data, uploads, CLI arguments) goes through here.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from calculator.data.errors import InputError, Problem, fail, too_large
from calculator.data.yaml_reader import read_yaml

MAX_FILE_BYTES = 50 * 1024 * 1024  # 50 MiB: a 100,000-row CSV is ~10 MB

M = TypeVar("M", bound=BaseModel)


# ---------------------------------------------------------------------------------------------
# Bytes -> text -> Python objects


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 or UTF-32 with BOM; anything else is rejected by name."""
    if len(data) > MAX_FILE_BYTES:
        raise fail(file, "file", f"{len(data) / 1e6:.1f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit")
    if not data.strip():
        raise fail(file, "file", "the file is empty")
    # UTF-32's little-endian BOM begins with UTF-16's: test it first, or UTF-32 reads as UTF-16 with NULs.
    for boms, codec in (((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"), "utf-32"), ((b"\xff\xfe", b"\xfe\xff"), "utf-16")):
        if data.startswith(boms):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError as e:
                raise fail(file, f"byte {e.start}", f"not valid {codec.upper()} text") from None
            break
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise fail(file, f"byte {e.start}", "not UTF-8 text (save the file as UTF-8)") from None
    if "\x00" in text:
        raise fail(file, "file", "binary content (NUL bytes); expected a text file")
    return text


def read_bytes(path: Path) -> bytes:
    """A regular file's bytes, at most MAX_FILE_BYTES of them as read (not as `stat` says: /proc and friends
    report 0). FIFOs, devices, sockets and folders are refused without being opened for a blocking read."""
    name = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise fail(name, "file", f"cannot read: {e.strerror or e}") from None
    kind = file_kind(os.fstat(fd).st_mode)
    if kind != "file":
        os.close(fd)
        raise fail(name, "file", f"not read: {kind}, not a regular file")
    with os.fdopen(fd, "rb") as f:  # buffered: read(n) loops until n bytes or the end
        try:
            data = f.read(MAX_FILE_BYTES + 1)
        except OSError as e:
            raise fail(name, "file", f"cannot read: {e.strerror or e}") from None
    if len(data) > MAX_FILE_BYTES:
        raise fail(name, "file", f"over the {MAX_FILE_BYTES / 1e6:.0f} MB limit: not read")
    return data


def file_kind(mode: int) -> str:
    """What a stat mode is, in words ("file" for a regular file, "a FIFO (named pipe)", "a character device"...)."""
    for test, words in (
        (stat.S_ISREG, "file"),
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return words
    return "a special file"


def parse_yaml(text: str, file: str) -> Any:
    """One YAML document read by the rules of YAML 1.2's core schema, strictly: see calculator/data/yaml_reader.py."""
    return read_yaml(text, file)


# JSON: no NaN, no duplicate keys, no number of hundreds of digits, and at most MAX_JSON_CONTAINERS objects and
# lists, counted before parsing (a `[{},{},...]` of 50 MB would otherwise become 12 million dicts).
MAX_JSON_CONTAINERS = 1_000_000
MAX_NUMBER_DIGITS = 100


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object_pairs_hook: a dict, or ValueError when a key appears twice (JSON leaves it open which wins)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key[:60]!r} in one object (which of its values is meant?)")
            seen.add(key)
    return out


def bounded_int(digits: str) -> int:
    """json's parse_int: an int, or ValueError for a number too long to be a measurement."""
    if len(digits) > MAX_NUMBER_DIGITS:
        raise ValueError(f"a number of {len(digits.lstrip('-'))} digits is out of range")
    return int(digits)


JSON_HOOKS: dict[str, Any] = {"object_pairs_hook": unique_keys, "parse_int": bounded_int}


def check_json_size(text: str, file: str) -> None:
    """InputError when the text holds more '{' and '[' than MAX_JSON_CONTAINERS (an upper bound on its objects
    and lists, found at C speed before any of them is built)."""
    n = text.count("{") + text.count("[")
    if n > MAX_JSON_CONTAINERS:
        raise too_large(
            file,
            "file",
            f"{n:,} objects and lists: more than {MAX_JSON_CONTAINERS:,} are not read (split the file, or leave out "
            "per-request details)",
        )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(text: str, file: str, *, allow_infinity: bool = False) -> Any:
    """Strict JSON. NaN is always refused; Infinity only where a format uses it (SGLang's request_rate)."""

    def constant(name: str) -> Any:
        if allow_infinity and name in ("Infinity", "-Infinity"):
            return float(name.replace("Infinity", "inf"))
        return _reject_constant(name)

    check_json_size(text, file)
    try:
        return json.loads(text, parse_constant=constant, **JSON_HOOKS)
    except json.JSONDecodeError as e:
        raise fail(file, f"line {e.lineno}, column {e.colno}", f"invalid JSON: {e.msg}") from None
    except ValueError as e:
        raise fail(file, "file", f"invalid JSON: {e}") from None
    except RecursionError:
        raise fail(file, "file", "JSON nested too deeply") from None


def parse_structured(text: str, file: str) -> Any:
    """JSON if the text looks like JSON, else YAML (JSON is a subset of YAML, but errors read better)."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        return parse_json(text, file)
    return parse_yaml(text, file)


# ---------------------------------------------------------------------------------------------
# Validation


def location(loc: Iterable[int | str]) -> str:
    """pydantic's loc tuple as a readable path: profiles[2].points[0].output_tok_s."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "file"


def problems_from_validation(err: ValidationError, file: str, prefix: str = "") -> list[Problem]:
    """One Problem per pydantic error, with the field path and the offending value."""
    out: list[Problem] = []
    for e in err.errors(include_url=False):
        path = location(e["loc"])
        if prefix:
            path = prefix if path == "file" else f"{prefix}.{path}" if not path.startswith("[") else prefix + path
        msg = str(e["msg"])
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if e["type"] not in ("missing", "extra_forbidden") and "input" in e:
            shown = repr(e["input"])
            if len(shown) > 60:
                shown = shown[:57] + "..."
            if not isinstance(e["input"], dict | list):
                msg = f"{msg} (got {shown})"
        if e["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see the JSON Schema in docs/)"
        if e["type"] == "string_pattern_mismatch":
            from calculator.data.schema import PATTERN_WORDS

            wanted = PATTERN_WORDS.get(str((e.get("ctx") or {}).get("pattern", "")), "text in the documented form")
            msg = f"expected {wanted}" + (f" (got {repr(e['input'])[:60]})" if "input" in e else "")
        out.append(Problem(file, path, msg))
    return out


def validate_as(model: type[M], data: Any, file: str, prefix: str = "") -> M:
    """Validate parsed data as `model`, raising InputError with every problem found."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise InputError(problems_from_validation(e, file, prefix)) from None
