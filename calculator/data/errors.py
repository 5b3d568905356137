"""The errors of reading untrusted input, shared by the loader, the YAML reader and the importers: a Problem (file,
where, message), InputError carrying every problem found, TooLarge for inputs over a reading limit, and the two
shorthands. Its own module so that loader and yaml_reader import it, not each other."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


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


class TooLarge(InputError):
    """Input over one of the reading limits (size, YAML values or depth, JSON objects): said as such, never
    mistaken for a syntax error by a caller that tries another format."""


def fail(file: str, where: str, message: str) -> InputError:
    """Shorthand for an InputError with one problem."""
    return InputError([Problem(file, where, message)])


def too_large(file: str, where: str, message: str) -> TooLarge:
    """Shorthand for a TooLarge with one problem."""
    return TooLarge([Problem(file, where, message)])
