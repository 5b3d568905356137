"""calculator/cli/schema.py: the JSON Schemas in docs/schema/ are the ones the models generate."""

from __future__ import annotations

from pathlib import Path

from calculator.cli.schema import schema_texts

ROOT = Path(__file__).resolve().parents[2]


def test_docs_schema_is_up_to_date():
    """docs/schema/*.json must match the models (regenerate: python -m calculator schema)."""
    for name, text in schema_texts().items():
        path = ROOT / "docs" / "schema" / name
        assert path.exists(), f"missing {path}: run python -m calculator schema"
        assert path.read_text() == text, f"{path} is stale: run python -m calculator schema"
