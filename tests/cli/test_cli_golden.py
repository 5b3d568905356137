"""The CLI gives the same numbers it gave before the layout refactor (issue 9): each command in
tests/golden/cli_golden.py against the JSON recorded from the code before it moved (floats to 0.2 %)."""

from __future__ import annotations

import json

import pytest

from tests.golden.cli_golden import COMMANDS, GOLDEN_DIR, differences, run


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_output_matches_the_recorded_golden_output(name):
    expected = json.loads((GOLDEN_DIR / f"{name}.json").read_text(encoding="utf-8"))
    diffs = differences(expected, run(COMMANDS[name]))
    assert not diffs, f"{name}: {len(diffs)} difference(s), first: " + "; ".join(diffs[:5])


def test_golden_comparison_catches_a_changed_number_and_a_changed_word():
    row = {"gpu": "h100-sxm", "output_tok_s": 1000.0, "basis": "η_bw 0.85, fitted on 12 points"}
    assert not differences(row, {**row, "output_tok_s": 1000.5})
    assert differences(row, {**row, "output_tok_s": 1010.0})
    assert not differences(row, {**row, "basis": "η_bw 0.86, fitted on 12 points"})  # last-place rounding
    assert differences(row, {**row, "basis": "η_bw 0.95, fitted on 12 points"})
    assert differences(row, {**row, "basis": "η_bw 0.85, fitted on 12 GPUs"})
