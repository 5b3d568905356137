"""calculator/cli/common.py and cli/__init__.py: what every command shares (concurrency lists, the override
flags, output to stdout or --out) and the exit codes main returns."""

from __future__ import annotations

import argparse

import pytest

from calculator.cli import build_parser, main
from calculator.cli.common import (
    EXIT_BAD_DATA,
    EXIT_USAGE,
    add_override_flags,
    overrides_from,
    parse_concurrency,
    write_output,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("1,4,16", [1, 4, 16]), (["1", "4", "16"], [1, 4, 16]), (["1,", "4,16"], [1, 4, 16]), ("8", [8])],
)
def test_concurrency_lists_take_commas_spaces_or_both(given, expected):
    assert parse_concurrency(given) == expected


@pytest.mark.parametrize(("given", "message"), [("1,x", "separated by commas"), ("0", ">= 1"), ("", ">= 1")])
def test_bad_concurrency_lists_say_what_is_expected(given, message):
    with pytest.raises(ValueError, match=message):
        parse_concurrency(given)


def test_on_table_a_filter_never_serves_as_an_override():
    p = argparse.ArgumentParser()
    p.add_argument("--gpu", nargs="+", default=[])
    add_override_flags(p, prefix="data-")
    one = overrides_from(p.parse_args(["--gpu", "h100-sxm"], argparse.Namespace(command="table")))
    assert one.gpu is None  # a filter filters (issue 13, item 6)
    given = overrides_from(p.parse_args(["--gpu", "b200", "--data-gpu", "h200"], argparse.Namespace(command="table")))
    assert given.gpu == "h200"


def test_output_ends_with_a_newline_on_stdout_and_is_written_as_is_to_a_file(tmp_path, capsys):
    write_output('[{"a": 1}]')
    assert capsys.readouterr().out == '[{"a": 1}]\n'
    out = tmp_path / "t.json"
    write_output('[{"a": 1}]', out, rows=1)
    assert out.read_text() == '[{"a": 1}]' and "wrote 1 rows to" in capsys.readouterr().err


def test_exit_codes_usage_2_and_bad_data_1(tmp_path, capsys):
    assert main(["table", "--isl", "0"]) == EXIT_USAGE
    assert "argument --isl: expected an integer at least 1 and at most 10,000,000" in capsys.readouterr().err
    assert main(["estimate", "--data", str(tmp_path / "missing.yaml"), "--validate"]) == EXIT_BAD_DATA


def test_the_console_script_names_itself_in_usage(capsys):
    assert build_parser("nld-cost").format_usage().startswith("usage: nld-cost ")
    assert build_parser().format_usage().startswith("usage: python -m calculator ")
