"""The command line, `python -m calculator` or `nld-cost`: table | plan | validate | schema | estimate | prices, one
per command over the shared parsing and output of calculator/cli/common.py.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from calculator.cli import estimate, plan, prices, schema, table, validate
from calculator.cli.common import EXIT_BAD_DATA, EXIT_OK, EXIT_USAGE, UsageError
from calculator.data.errors import InputError

PROG = "python -m calculator"
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "table": table.run,
    "plan": plan.run,
    "validate": validate.run,
    "schema": schema.run,
    "estimate": estimate.run,
    "prices": prices.run,
}


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argparse tree of every command."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Cost per million tokens for diffusion and autoregressive LLM serving.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in (table, plan, validate, schema, estimate, prices):
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = PROG) -> int:
    """Parse the command line and run the chosen command; returns the exit code (common.py says which)."""
    try:
        args = build_parser(prog).parse_args(argv)
    except SystemExit as e:  # argparse's usage errors (exit 2, already printed) and --help (0): returned, not raised
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    try:
        return COMMANDS[args.command](args)
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as e:
        for p in e.problems:
            print(p, file=sys.stderr)
        return EXIT_BAD_DATA
    except BrokenPipeError:  # `| head`
        return EXIT_OK


def script_main() -> int:
    """The `nld-cost` console script (installed by pip): `main` under that name."""
    return main(prog="nld-cost")


__all__ = ["build_parser", "main", "script_main"]
