"""`validate`: check data files, ours or foreign result files, one line per problem (FILE:WHERE: message), one
per warning (FILE:WHERE: warning: message; the file stays valid), the fields not read (FILE: ignored: ...) and a
one-line summary for each file that is fine; exit 1 when any file is invalid. Files are read by
common.check_file, as `table --data` reads them: one reader, one verdict.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from calculator.cli.common import (
    EXIT_BAD_DATA,
    EXIT_OK,
    add_override_flags,
    check_file,
    expand_paths,
    known_gpus,
    known_models,
    overrides_from,
)
from calculator.data.catalog import BUNDLED_DIR
from calculator.data.errors import InputError


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `validate` on the CLI's subparsers."""
    v: argparse.ArgumentParser = subparsers.add_parser(
        "validate", help="check data files; one line per problem: FILE:WHERE: message"
    )
    v.add_argument("files", nargs="*", type=Path, metavar="FILE", help="files or folders (default: the bundled data)")
    add_override_flags(v)
    return v


def run(args: argparse.Namespace) -> int:
    """The `validate` command: 0 when every file is valid, 1 otherwise (problems on stdout, count on stderr).
    What a folder held that was not read (links, FIFOs, other suffixes) is said on stdout, and is no error."""
    targets = args.files or [BUNDLED_DIR]
    try:
        files, skipped = expand_paths(targets)
        if not args.files:  # the bundled data; templates are blank forms, not data
            files = [f for f in files if "templates" not in f.relative_to(BUNDLED_DIR).parts]
            skipped = []
    except InputError as e:
        for p in e.problems:
            print(p)
        return EXIT_BAD_DATA
    try:
        known = known_gpus()
    except InputError:
        known = set()
    models = known_models()
    overrides = overrides_from(args)
    bad = 0
    for f in files:
        check = check_file(f, overrides, known, models)
        for line in check.lines():
            print(line)
        bad += not check.ok
    for note in skipped:
        print(note)
    print(f"{len(files) - bad} of {len(files)} files valid", file=sys.stderr)
    return EXIT_BAD_DATA if bad else EXIT_OK
