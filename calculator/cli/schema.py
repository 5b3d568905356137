"""`schema`: write the JSON Schemas of our file formats (profiles, forward-cost surfaces, GPUs, prices,
workload tables), generated from the pydantic models in calculator/data/schema.py, into a folder (docs/schema/).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from calculator.cli.common import EXIT_OK, UsageError
from calculator.data.schema import ForwardCost, GpuCatalog, PriceCatalog, Profile, ProfileSet, WorkloadTable

SCHEMAS: dict[str, type[BaseModel]] = {
    "profile.schema.json": ProfileSet,
    "profile-single.schema.json": Profile,
    "forward-cost.schema.json": ForwardCost,
    "gpus.schema.json": GpuCatalog,
    "prices.schema.json": PriceCatalog,
    "workloads.schema.json": WorkloadTable,
}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `schema` on the CLI's subparsers."""
    s: argparse.ArgumentParser = subparsers.add_parser("schema", help="write the JSON Schemas of our file formats")
    s.add_argument("--out", type=Path, default=Path("docs/schema"), metavar="DIR")
    return s


def schema_texts() -> dict[str, str]:
    """File name -> JSON Schema text, as `schema` writes them."""
    return {name: json.dumps(model.model_json_schema(), indent=2) + "\n" for name, model in SCHEMAS.items()}


def run(args: argparse.Namespace) -> int:
    """The `schema` command: write every schema into --out and name each file written."""
    if args.out.is_symlink() or (args.out.exists() and not args.out.is_dir()):
        raise UsageError(f"--out {args.out}: not a folder; name a folder (it is created if missing)")
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, text in schema_texts().items():
            (args.out / name).write_text(text, encoding="utf-8")
            print(f"wrote {args.out / name}")
    except OSError as e:
        raise UsageError(f"--out {args.out}: could not write ({e.strerror or e})") from None
    return EXIT_OK
