"""calculator/data/uploads.py: one uploaded file's import as the app's upload form holds it."""

from __future__ import annotations

import pytest

from calculator.data.importers import Overrides
from calculator.data.uploads import run_import

CSV = b"gpu,model,mode,precision,concurrency,output_tok_s\nh100-sxm,nld-8b,ar,bf16,1,100\n"


@pytest.mark.parametrize("name", ["notes.txt", "results", "blob.bin"])
def test_an_upload_whose_name_has_no_suffix_we_read_is_not_read(name: str) -> None:
    pending = run_import(name, CSV, Overrides())  # valid CSV content: the name alone decides
    assert pending.result is not None and not pending.result.profiles
    (problem,) = pending.result.problems
    assert problem.file == name and problem.message.startswith("not read: ")
    assert ".yaml, .yml, .json, .jsonl, .csv" in problem.message


def test_an_upload_with_a_suffix_we_read_is_read() -> None:
    pending = run_import("runs.CSV", CSV, Overrides())
    assert pending.result is not None and pending.result.ok
