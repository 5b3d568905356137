"""InferenceX's tco-feed (issue 22): output tok/s per GPU at fixed tok/s-per-user tiers imports as uploaded curves.
The feed below has the shape of InferenceX-app's own tco-feed test fixture (`tcoFeed`/`tcoPoint` in its CLI
bundle fixtures: model dsv4, workload 1024x1024, tier 50, b200 1000 and mi355x 500 tok/s per GPU, an unreachable
row); no published feed response was found in a repository."""

from __future__ import annotations

import json

import pytest

from calculator.data.importers import Overrides, import_bytes


def point(hardware: str = "b200", **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "hardware": hardware, "workload": "1024x1024", "tier": 50, "output_tput_per_gpu": 1000,
        "boundary": "interpolated", "is_interpolated": True, "frontier_points": 3,
        "frontier_min_interactivity": 25, "frontier_max_interactivity": 100, "latest_date": "2026-09-05",
        "oldest_frontier_date": "2026-09-01", "evidence_date": {"from": "2026-09-02", "to": "2026-09-05"},
    }  # fmt: skip
    row.update(overrides)
    return row


FEED = {
    "model": "dsv4",
    "db_model_keys": ["dsv4"],
    "date": "2026-09-06",
    "workloads": ["1024x1024"],
    "tiers": [50, 100],
    "rows": [
        point(),
        point("b200", tier=100, output_tput_per_gpu=400),
        point("mi355x", output_tput_per_gpu=500),
        point("h200_sxm", boundary="unreachable", output_tput_per_gpu=0, evidence_date=None),
    ],
}


def test_a_tco_feed_imports_as_per_gpu_curves_at_its_interactivity_tiers() -> None:
    result = import_bytes(json.dumps(FEED).encode(), "tco-feed.json", Overrides())
    assert result.format == "inferencex" and not result.problems, result.problems
    curves = {p.gpu: p for p in result.profiles}
    assert set(curves) == {"b200", "mi355x"}
    b200 = curves["b200"]
    assert (b200.model, b200.gpus_per_replica, b200.workload.isl, b200.workload.osl) == ("dsv4", 1, 1024, 1024)
    by_tpot = {round(p.tpot_ms_p50 or 0, 6): p for p in b200.points}
    assert by_tpot[20.0].output_tok_s == 1000 and by_tpot[10.0].output_tok_s == 400  # 50 and 100 tok/s per user
    assert by_tpot[20.0].concurrency == 20  # 1000 tok/s / 50 tok/s per user (Little's law, noted)
    notes = b200.provenance.notes
    assert "tco-feed 2026-09-06" in notes and "evidence 2026-09-02 to 2026-09-05" in notes
    assert any("h200_sxm at 50 tok/s per user" in w.message for w in result.warnings)
    assert b200.provenance.kind == "uploaded"


def test_the_feed_as_csv_imports_the_same_curves() -> None:
    cols = ["hardware", "workload", "tier", "output_tput_per_gpu", "boundary", "frontier_points", "latest_date"]
    lines = [",".join(cols)] + [",".join(str(r[c]) for c in cols) for r in FEED["rows"]]  # type: ignore[attr-defined]
    result = import_bytes(("\n".join(lines) + "\n").encode(), "tco-feed.csv", Overrides(model="dsv4"))
    assert not result.problems, result.problems
    assert sorted(p.gpu for p in result.profiles) == ["b200", "mi355x"]
    assert sorted(pt.output_tok_s for p in result.profiles for pt in p.points) == pytest.approx([400, 500, 1000])
