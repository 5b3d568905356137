"""Safe reading of untrusted files: size cap, encoding check, YAML without aliases or tags, JSON
without NaN tricks, and validation errors turned into `FILE:WHERE: message` problems.

Every input path (bundled data, uploads, CLI arguments) goes through here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

MAX_FILE_BYTES = 50 * 1024 * 1024  # 50 MiB: a 100,000-row CSV is ~10 MB
MAX_YAML_NODES = 2_000_000

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: which file, where in it (row or field path), and what."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.where}: {self.message}"


class InputError(Exception):
    """Bad input; carries every problem found so the caller can list them all."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def fail(file: str, where: str, message: str) -> InputError:
    """Shorthand for an InputError with one problem."""
    return InputError([Problem(file, where, message)])


# ---------------------------------------------------------------------------------------------
# Bytes -> text -> Python objects


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with BOM; anything else is rejected by name."""
    if len(data) > MAX_FILE_BYTES:
        raise fail(file, "file", f"{len(data) / 1e6:.1f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit")
    if not data.strip():
        raise fail(file, "file", "the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise fail(file, f"byte {e.start}", "not valid UTF-16 text") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise fail(file, f"byte {e.start}", "not UTF-8 text (save the file as UTF-8)") from None
    if "\x00" in text:
        raise fail(file, "file", "binary content (NUL bytes); expected a text file")
    return text


def read_bytes(path: Path) -> bytes:
    """Read a file from disk, refusing oversized ones before reading them."""
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise fail(name, "file", f"cannot read: {e.strerror or e}") from None
    if size > MAX_FILE_BYTES:
        raise fail(name, "file", f"{size / 1e6:.1f} MB is over the {MAX_FILE_BYTES / 1e6:.0f} MB limit")
    try:
        return path.read_bytes()
    except OSError as e:
        raise fail(name, "file", f"cannot read: {e.strerror or e}") from None


class _SafeNoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases (billion-laughs) and any explicit tag."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases (*name) are not accepted", event.start_mark
            )
        event = self.peek_event()  # type: ignore[no-untyped-call]
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "YAML anchors (&name) are not accepted", event.start_mark
            )
        tag = getattr(event, "tag", None)
        implicit = getattr(event, "implicit", (True, True))
        if tag is not None and tag not in ("!", "?") and not _is_implicit(implicit):
            raise yaml.constructor.ConstructorError(None, None, f"YAML tags ({tag}) are not accepted", event.start_mark)
        return super().compose_node(parent, index)


def _is_implicit(implicit: Any) -> bool:
    if isinstance(implicit, tuple):
        return any(bool(x) for x in implicit)
    return bool(implicit)


def parse_yaml(text: str, file: str) -> Any:
    """YAML via a no-alias, no-tag SafeLoader; one document only."""
    try:
        docs = list(yaml.load_all(text, Loader=_SafeNoAliasLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "file"
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise fail(file, where, f"invalid YAML: {problem}") from None
    except RecursionError:
        raise fail(file, "file", "YAML nested too deeply") from None
    if len(docs) != 1:
        raise fail(file, "file", f"expected one YAML document, found {len(docs)}")
    return docs[0]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(text: str, file: str, *, allow_infinity: bool = False) -> Any:
    """Strict JSON. NaN is always refused; Infinity only where a format uses it (SGLang's request_rate)."""

    def constant(name: str) -> Any:
        if allow_infinity and name in ("Infinity", "-Infinity"):
            return float(name.replace("Infinity", "inf"))
        return _reject_constant(name)

    try:
        return json.loads(text, parse_constant=constant)
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
            from calculator.schema import PATTERN_WORDS

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
