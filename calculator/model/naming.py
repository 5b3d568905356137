"""What a curve is called: one name per profile (curve and option labels, provenance in words, badges, the
pre-release flag, the block as text), computed once for a pool of profiles (curve_names) and mapped onto any frame of
their rows (with_names). An answer names its pool once and attaches the names to its final frames.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd

from calculator.data.catalog import gpu_label
from calculator.data.vocabulary import PRERELEASE_LABEL, PROVENANCE_LABELS, TIER_LABELS
from calculator.model import frontier

# ---------------------------------------------------------------------------------------------
# Curve labels (one per profile, mapped onto its rows)


def prerelease_mask(df: pd.DataFrame) -> np.ndarray:
    """True for Nemotron-Labs-Diffusion rows whose source says they come from a pre-release checkpoint."""
    if df.empty or "provenance_notes" not in df or "model" not in df:
        return np.zeros(len(df), dtype=bool)
    notes = df["provenance_notes"].astype(str).str.contains("pre-release", case=False, regex=False)
    nld = df["model"].astype(str).str.startswith("nld-")
    return (notes & nld).to_numpy(dtype=bool)


def block_text(df: pd.DataFrame) -> pd.Series:
    """The block size as text for tables: "32", or "—" where the mode has none (never "None")."""
    if "block_size" not in df:
        return pd.Series("—", index=df.index, dtype=object)
    b = pd.to_numeric(df["block_size"], errors="coerce")
    return pd.Series(np.where(b.notna(), b.fillna(0).astype("int64").astype(str), "—"), index=df.index, dtype=object)


LABEL_COLUMNS = ("curve", "prerelease", "option", "provenance_label", "badge", "block")


def _profile_labels(first: pd.DataFrame) -> pd.DataFrame:
    """Name columns for one row per profile (see curve_names)."""
    out = pd.DataFrame(index=first.index)

    def text(values: pd.Series[Any]) -> np.ndarray:
        return values.astype(str).to_numpy(dtype=object)

    pre = prerelease_mask(first)
    curve = text(frontier.curve_label(first))
    curve = np.where((first["provenance"] == "estimated").to_numpy(), curve + " (estimated)", curve)
    # Two profiles with one label (e.g. stock vs custom kernels): tell them apart by engine, else by id.
    key = text(first["gpu"]) + curve
    clash = pd.Series(key).duplicated(keep=False).to_numpy()
    if clash.any():
        eng_clash = (first.groupby(key)["engine"].transform("nunique") > 1).to_numpy()
        # Otherwise by the file an upload came from, else by the profile id (never shown where a name exists).
        ids = text(first["profile_id"])
        files = text(first["file"].map(lambda f: PurePath(str(f)).name)) if "file" in first else None
        fallback = ids if files is None else np.where(files != "", files, ids)
        extra = np.where(eng_clash, text(first["engine"]), fallback)
        curve = np.where(clash, curve + " (" + extra + ")", curve)
    curve = np.where(pre, curve + " (pre-release)", curve)
    out["curve"] = curve
    out["prerelease"] = pre
    out["option"] = text(first["gpu"].astype(str).map(gpu_label)) + " · " + curve  # the GPU by its name
    prov = first["provenance"].astype(object)
    label = prov.map(PROVENANCE_LABELS).fillna(prov).astype(str)
    out["provenance_label"] = label
    out["badge"] = [[p, PRERELEASE_LABEL] if x else [p] for p, x in zip(label, pre, strict=True)]
    out["block"] = block_text(first)
    return out


def curve_names(points: pd.DataFrame) -> pd.DataFrame:
    """The names of a pool's curves, one row per profile (indexed by profile_id): curve label, option label
    (GPU name · curve), provenance in words, badges (provenance, plus "pre-release checkpoint" where it applies),
    `prerelease` and `block` (text). Two curves of one name in the pool are told apart (by engine, file or id), so
    name the whole pool once and map the names onto every frame drawn from it (with_names)."""
    if points.empty:
        return pd.DataFrame({c: pd.Series(dtype=bool if c == "prerelease" else object) for c in LABEL_COLUMNS})
    first = points.drop_duplicates("profile_id").set_index("profile_id", drop=False)
    return _profile_labels(first)


def with_names(df: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """`df` with its curves' names (curve_names of a pool holding its profiles) mapped onto its rows, and the tier in
    words where it has a tier. Replaces any names it had."""
    out = df.drop(columns=[c for c in (*LABEL_COLUMNS, "tier_label") if c in df.columns])
    if out.empty:
        for col in LABEL_COLUMNS:
            out[col] = pd.Series(dtype=bool if col == "prerelease" else object)
    else:
        codes = names.index.get_indexer(pd.Index(out["profile_id"]))
        if (codes < 0).any():
            missing = sorted(set(out["profile_id"].astype(str)[codes < 0]))[:3]
            raise KeyError(f"curves not in the named pool: {missing}")
        for col in LABEL_COLUMNS:
            vals = names[col].to_numpy()[codes]
            out[col] = vals.astype(bool) if col == "prerelease" else vals
    if "tier" in out:
        tier = out["tier"].astype(object)
        out["tier_label"] = tier.map(TIER_LABELS).fillna(tier)
    return out


def add_labels(df: pd.DataFrame) -> pd.DataFrame:
    """`df` named by its own curves: with_names(df, curve_names(df)). Computed once per profile and mapped onto the
    rows (a priced curve grid has hundreds of rows per profile)."""
    return with_names(df, curve_names(df))


def without_labels(df: pd.DataFrame) -> pd.DataFrame:
    """The frame without the names with_names adds (before pricing or concatenating)."""
    return df.drop(columns=[c for c in (*LABEL_COLUMNS, "tier_label") if c in df.columns])
