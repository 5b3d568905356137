"""YAML for untrusted files, read in one linear pass over libyaml's events: one document, no anchors, aliases
or tags, no duplicate keys, at most MAX_YAML_NODES values nested at most MAX_YAML_DEPTH deep, and plain scalars
resolved by YAML 1.2's core schema. A plain scalar that YAML 1.1 (PyYAML's safe_load) reads differently, such as
`1:30` (90), `0x10`, `1_000`, `017` or `yes`, is refused rather than guessed; dates stay text.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml
from yaml import events as ev
from yaml.resolver import Resolver

from calculator.data.errors import InputError, fail, too_large

# The bundled files hold at most ~3,000 values and a profile of 2,000 points ~20,000. The limit keeps the worst
# YAML (two bytes per value) within 3x the time of a valid CSV of the same size (benchmarks/bench_hostile.py).
MAX_YAML_NODES = 30_000
MAX_YAML_DEPTH = 64
MAX_NUMBER_DIGITS = 100

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # only its parser is used: libyaml's when built

_NULL = frozenset({"", "~", "null", "Null", "NULL"})
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_RADIX = re.compile(r"[-+]?0[oOxXbB][0-9a-fA-F_]+")
_NAN = frozenset({".nan", ".NaN", ".NAN"})
_YAML11_GUESSES = {
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
}


# First characters with which a plain scalar may be something other than text (here or in YAML 1.1).
_RESOLVED_STARTS = frozenset("~nNtTfFyYoO0123456789+-.") | {""}


class _Frame:
    """An open sequence or mapping; for a mapping, the key waiting for its value."""

    __slots__ = ("has_key", "key", "value")

    def __init__(self, value: list[Any] | dict[Any, Any]) -> None:
        self.value = value
        self.key: Any = None
        self.has_key = False


def _where(event: Any) -> str:
    mark = getattr(event, "start_mark", None)
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "file"


def read_yaml(text: str, file: str) -> Any:
    """The one document in `text` as Python lists, dicts and scalars; InputError (with line and column) otherwise."""
    parser = _Parser(text)
    try:
        return _build(parser, file)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "file"
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise fail(file, where, f"invalid YAML: {problem}") from None
    finally:
        parser.dispose()


def _build(parser: Any, file: str) -> Any:
    """Lists, dicts and scalars from the event stream, with a stack of open collections (no recursion)."""
    stack: list[_Frame] = []
    root: Any = None
    documents = nodes = 0
    get = parser.get_event
    scalar_event, sequence_start = ev.ScalarEvent, ev.SequenceStartEvent
    end_events = (ev.SequenceEndEvent, ev.MappingEndEvent)
    while True:
        event = get()
        cls = type(event)
        if cls is scalar_event:
            nodes += 1
            if nodes > MAX_YAML_NODES or event.anchor is not None or (event.tag is not None and event.tag != "!"):
                _refuse_node(event, nodes, file)
            value = _scalar(event, file)
        elif cls in end_events:
            value = stack.pop().value
        elif cls is sequence_start or cls is ev.MappingStartEvent:
            nodes += 1
            if nodes > MAX_YAML_NODES or event.anchor is not None or (event.tag is not None and event.tag != "!"):
                _refuse_node(event, nodes, file)
            if stack and isinstance(stack[-1].value, dict) and not stack[-1].has_key:
                raise fail(file, _where(event), "a list or mapping as a key is not accepted (keys are text)")
            if len(stack) >= MAX_YAML_DEPTH:
                raise too_large(file, _where(event), f"YAML nested more than {MAX_YAML_DEPTH} levels deep")
            stack.append(_Frame([] if cls is sequence_start else {}))
            continue
        elif event is None or cls is ev.StreamEndEvent:
            break
        elif cls is ev.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise fail(file, _where(event), "expected one YAML document, found more ('---')")
            continue
        elif cls is ev.AliasEvent:
            raise fail(file, _where(event), "invalid YAML: YAML aliases (*name) are not accepted")
        else:  # stream start, document end
            continue
        if not stack:
            root = value
            continue
        frame = stack[-1]
        container = frame.value
        if type(container) is list:
            container.append(value)
        elif not frame.has_key:
            if value in container:
                raise fail(
                    file,
                    _where(event),
                    f"invalid YAML: duplicate key {str(value)[:60]!r} (which of its values is meant?)",
                )
            frame.key, frame.has_key = value, True
        else:
            container[frame.key] = value
            frame.has_key = False
    if documents != 1:
        raise fail(file, "file", f"expected one YAML document, found {documents}")
    return root


def _refuse_node(event: Any, nodes: int, file: str) -> None:
    """InputError for a node over the limit, with an anchor or with a tag."""
    if nodes > MAX_YAML_NODES:
        raise too_large(
            file,
            _where(event),
            f"more than {MAX_YAML_NODES:,} YAML values: not read further (save large data as JSON or CSV)",
        )
    if event.anchor is not None:
        raise fail(file, _where(event), "invalid YAML: YAML anchors (&name) are not accepted")
    raise fail(file, _where(event), f"invalid YAML: YAML tags ({event.tag}) are not accepted")


def _scalar(event: Any, file: str) -> Any:
    """A scalar by YAML 1.2's core schema; quoted and block scalars (and `! x`) are text."""
    text: str = event.value
    if event.style or event.tag == "!" or not event.implicit[0]:  # plain style is None (PyYAML) or "" (libyaml)
        return text
    if text[:1] not in _RESOLVED_STARTS:  # most text: no rule below can apply
        return text
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        if len(text) > MAX_NUMBER_DIGITS:
            raise fail(file, _where(event), f"a number of {len(text.lstrip('+-'))} digits is out of range")
        return int(text)
    if _FLOAT.fullmatch(text) and ("." in text or "e" in text or "E" in text):
        if len(text) > MAX_NUMBER_DIGITS:
            raise fail(file, _where(event), f"a number of {len(text)} characters is out of range")
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if text in _NAN:
        return math.nan
    guess = _yaml11_guess(text)
    if guess is not None:
        number = guess != "true or false"
        raise fail(
            file,
            _where(event),
            f"{text[:40]!r} is not plain {'decimal' if number else 'true or false'}, yet some YAML readers take it "
            f"for {guess}: quote it if it is text, else write {'the number in decimal' if number else 'true or false'}",
        )
    return text


def _yaml11_guess(text: str) -> str | None:
    """What a YAML reader may make of a plain scalar that is not plain decimal or true/false: a number or a boolean
    by YAML 1.1's resolver (PyYAML's safe_load: 1:30 is 90, 017 is 15, 1_000 is 1000, yes is true), or a number by
    YAML 1.2's core schema (0o17, 0x10)."""
    if _RADIX.fullmatch(text):
        return "a number"
    for tag, pattern in Resolver.yaml_implicit_resolvers.get(text[:1], []):
        if tag in _YAML11_GUESSES and pattern.match(text):
            return _YAML11_GUESSES[tag]
    return None


__all__ = ["MAX_YAML_DEPTH", "MAX_YAML_NODES", "InputError", "read_yaml"]
