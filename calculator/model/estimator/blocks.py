"""The self-speculation block size per operating point: `estimate_points(block_size="auto")`.

A larger block accepts more tokens per draft+verify round, less than proportionally (block_curves.py: NLD-8B in
SGLang accepted 5.8 / 8.5 / 11.4 tokens per round at blocks 8 / 16 / 32), and each of the round's two forwards
carries block x running batch query tokens. At one request the forwards are memory-bound (the weights are read once
whatever the block): the larger block is nearly free and wins. At high concurrency they are compute-bound, a round's
time grows with the block, and the smaller block's higher acceptance per drafted token wins: what the independent
NLD-14B B200 sweep did by hand (block 32 at 1-4 requests, 16 at 8-32, 8 at 64-128). "auto" estimates every block of
AUTO_BLOCKS and keeps, per GPU and concurrency, the one with the highest output tok/s, and says so in the row's basis
and provenance notes (block_size is the block used).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from calculator.data.catalog import Catalog
from calculator.data.schema import slug
from calculator.model.estimator.fitting import fit, model_entries
from calculator.model.estimator.predict import estimate_points as estimate_fixed
from calculator.model.modes import DEFAULT_BLOCK_SIZE

AUTO = "auto"
AUTO_BLOCKS: tuple[int, ...] = (8, 16, 32)
"""The blocks "auto" chooses among: those both studies measured in SGLang (block_curves.py)."""


def estimate_points(
    catalog: Catalog,
    gpus: Sequence[str],
    model: str,
    mode: str,
    *,
    block_size: int | str | None = None,
    **kw: Any,
) -> pd.DataFrame:
    """predict.estimate_points, with block_size="auto" for self-speculation: per GPU and concurrency the block of
    AUTO_BLOCKS with the highest output tok/s (ties to the larger block). For diffusion "auto" is the default block
    (no acceptance-vs-block data for diffusion); with a user-given TPF, too (the TPF fixes the tokens per round). The
    rows of an auto estimate share one profile id ("-bauto"), so a curve stays one curve across its blocks."""
    if block_size != AUTO:
        if isinstance(block_size, str):
            raise ValueError(f"block size must be an integer or {AUTO!r}, got {block_size!r}")
        return estimate_fixed(catalog, gpus, model, mode, block_size=block_size, **kw)
    if mode not in ("self_spec", "diffusion"):
        return estimate_fixed(catalog, gpus, model, mode, block_size=None, **kw)
    if mode != "self_spec" or kw.get("tpf") is not None:
        out = estimate_fixed(catalog, gpus, model, mode, block_size=DEFAULT_BLOCK_SIZE, **kw)
        why = "diffusion has no acceptance-vs-block data" if mode != "self_spec" else "a given TPF fixes the round"
        return _say(out, f"block auto: {DEFAULT_BLOCK_SIZE}, the default ({why})")
    if kw.get("fitted") is None:
        kw["fitted"] = fit(catalog, model_entries(kw.get("models")))
    frames = {b: estimate_fixed(catalog, gpus, model, mode, block_size=b, **kw) for b in AUTO_BLOCKS}
    return choose_block(frames)


def choose_block(frames: dict[int, pd.DataFrame]) -> pd.DataFrame:
    """One row per (gpu, concurrency) from per-block estimates: the block with the highest output tok/s, its figures,
    and a basis that names the block and what the others would give."""
    blocks = sorted(frames)
    base = frames[blocks[-1]]
    keys = ["gpu", "concurrency"]
    table = pd.DataFrame({"gpu": base["gpu"].to_numpy(), "concurrency": base["concurrency"].to_numpy()})
    rates = np.column_stack(
        [
            table.merge(frames[b][[*keys, "output_tok_s"]], on=keys, how="left")["output_tok_s"].to_numpy(np.float64)
            for b in blocks
        ]
    )
    # Highest output tok/s; within 0.1 % of it, the larger block (fewer, longer rounds: the default's behaviour).
    best = np.nanmax(rates, axis=1, keepdims=True)
    ok = rates >= best * (1 - 1e-3)
    pick = np.array([blocks[int(np.flatnonzero(row)[-1])] for row in ok])
    rows = []
    for i, b in enumerate(pick):
        f = frames[int(b)]
        at = f[(f["gpu"] == table["gpu"].iloc[i]) & (f["concurrency"] == table["concurrency"].iloc[i])]
        rows.append(at.iloc[0])
    out = pd.DataFrame(rows).reset_index(drop=True)
    for col in base.columns:
        out[col] = out[col].astype(base[col].dtype) if str(base[col].dtype) != "object" else out[col]
    others = [", ".join(f"{b} → {r:,.0f}" for b, r in zip(blocks, row, strict=True) if np.isfinite(r)) for row in rates]
    texts = [
        f"block auto: {int(b)} of {'/'.join(str(x) for x in blocks)} (the highest output tok/s at this concurrency;"
        f" tok/s by block: {o})"
        for b, o in zip(pick, others, strict=True)
    ]
    out["basis"] = [f"{t}; {basis}" for t, basis in zip(texts, out["basis"], strict=True)]
    out["source"] = out["basis"]
    out["provenance_notes"] = [
        f"block {int(b)} chosen (auto); {n}" for b, n in zip(pick, out["provenance_notes"], strict=True)
    ]
    out["profile_id"] = [_auto_id(str(p), int(b)) for p, b in zip(out["profile_id"], pick, strict=True)]
    out.attrs["skipped"] = list(dict.fromkeys(s for b in blocks for s in frames[b].attrs.get("skipped", [])))
    out.attrs["blocks"] = {
        (str(g), int(c)): int(b) for g, c, b in zip(out["gpu"], out["concurrency"], pick, strict=True)
    }
    return out


def _auto_id(profile_id: str, block: int) -> str:
    return slug(profile_id.replace(f"-b{block}", "-bauto", 1))[:64]


def _say(df: pd.DataFrame, text: str) -> pd.DataFrame:
    out = df.copy()
    out["basis"] = [f"{text}; {b}" for b in out["basis"]]
    out["source"] = out["basis"]
    return out


__all__ = ["AUTO", "AUTO_BLOCKS", "choose_block", "estimate_points"]
