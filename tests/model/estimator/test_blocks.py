"""The self-speculation block per operating point (estimate_points(block_size="auto")): a larger block is nearly free
while the round's forwards are memory-bound (one request) and costs compute in proportion when they are compute-bound
(many requests), so auto picks the larger block at concurrency 1 and a smaller one at high concurrency; every row
says which block it used."""

from __future__ import annotations

import pandas as pd
import pytest

from calculator.data.catalog import load_catalog
from calculator.model.estimator import AUTO_BLOCKS, estimate_points

CATALOG = load_catalog()
CONC = [1, 8, 64, 256]


def auto(gpu: str, precision: str = "bf16", **kw) -> pd.DataFrame:
    return estimate_points(
        CATALOG, [gpu], "nld-8b", "self_spec", concurrency=CONC, isl=1024, osl=512, precision=precision,
        block_size="auto", **kw,
    )  # fmt: skip


def fixed(gpu: str, block: int, precision: str = "bf16") -> pd.DataFrame:
    return estimate_points(
        CATALOG, [gpu], "nld-8b", "self_spec", concurrency=CONC, isl=1024, osl=512, precision=precision,
        block_size=block,
    )  # fmt: skip


@pytest.mark.parametrize("gpu", ["h100-sxm", "a100-80gb"])
def test_compute_bound_high_concurrency_picks_a_smaller_block_than_concurrency_one(gpu):
    df = auto(gpu).set_index("concurrency")
    assert df.loc[1, "block_size"] == 32
    assert df.loc[256, "block_size"] < df.loc[1, "block_size"]


def test_auto_is_the_best_fixed_block_at_every_operating_point():
    df = auto("h100-sxm", "fp8").set_index("concurrency")
    by_block = {b: fixed("h100-sxm", b, "fp8").set_index("concurrency")["output_tok_s"] for b in AUTO_BLOCKS}
    for c in CONC:
        best = max(by_block[b][c] for b in AUTO_BLOCKS)
        assert df.loc[c, "output_tok_s"] == pytest.approx(best, rel=1e-3)
        assert df.loc[c, "output_tok_s"] == pytest.approx(by_block[int(df.loc[c, "block_size"])][c], rel=1e-9)


def test_the_larger_block_costs_more_per_round_when_compute_bound():
    """The mechanism: at 256 requests a block-32 round takes far longer than a block-8 round; at 1 it hardly does."""
    t = {b: fixed("h100-sxm", b).set_index("concurrency") for b in (8, 32)}

    def round_ms(b: int, c: int) -> float:
        row = t[b].loc[c]
        return float(row["tpot_ms_p50"] * row["accept_length"])

    assert round_ms(32, 1) / round_ms(8, 1) < 1.3
    assert round_ms(32, 256) / round_ms(8, 256) > 1.6  # the engine time per sequence per round does not grow


def test_every_auto_row_states_the_block_it_used():
    df = auto("b200")
    for _, row in df.iterrows():
        b = int(row["block_size"])
        assert row["basis"].startswith(f"block auto: {b} of 8/16/32")
        assert f"over a {b}-token block" in row["basis"]
        assert row["provenance_notes"].startswith(f"block {b} chosen (auto)")
    assert len(set(df["profile_id"])) == 1 and df["profile_id"].iloc[0].endswith("-bauto")


def test_auto_for_other_modes_and_bad_blocks():
    ar = estimate_points(CATALOG, ["h100-sxm"], "qwen3-8b", "ar", concurrency=[1], isl=512, osl=512, block_size="auto")
    assert ar["block_size"].isna().all()
    diff = estimate_points(
        CATALOG, ["h100-sxm"], "nld-8b", "diffusion", concurrency=[1], isl=512, osl=512, block_size="auto"
    )
    assert (diff["block_size"] == 32).all() and diff["basis"].iloc[0].startswith("block auto: 32, the default")
    with pytest.raises(ValueError, match="auto"):
        estimate_points(CATALOG, ["h100-sxm"], "nld-8b", "self_spec", concurrency=[1], isl=8, osl=8, block_size="big")
