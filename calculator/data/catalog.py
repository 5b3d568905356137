"""Load and validate the bundled data (GPUs, prices, throughput profiles, forward-cost surfaces,
workload tables) and users' extra files into typed objects and flat DataFrames.

The DataFrames are what cost.py, frontier.py and the app work on; one row per profile point.
"""

from __future__ import annotations

import functools
import operator
import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from calculator.data.errors import InputError, Problem, fail
from calculator.data.loader import (
    decode_text,
    file_kind,
    parse_structured,
    read_bytes,
    validate_as,
)
from calculator.data.schema import (
    ForwardCost,
    GpuCatalog,
    GpuSpec,
    ModelCatalog,
    ModelEntry,
    PriceCatalog,
    PriceOffer,
    Profile,
    ProfileSet,
    WorkloadTable,
)

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # calculator/
# The bundled data: inside the package when pip installed it (pyproject.toml ships hardware_profiles/ as
# calculator/hardware_profiles, so `nld-cost` reads it from any directory), else beside it in the checkout.
BUNDLED_DIR = next(
    (d for d in (_PACKAGE_DIR / "hardware_profiles", _PACKAGE_DIR.parent / "hardware_profiles") if d.is_dir()),
    _PACKAGE_DIR.parent / "hardware_profiles",
)
PROFILE_DIRS = ("vendor", "vendor_internal", "community", "measured")
DATA_SUFFIXES = (".yaml", ".yml", ".json")

# Columns of the points table, in display order. Profile-level fields first, then point fields.
PROFILE_COLUMNS = [
    "profile_id",
    "gpu",
    "gpus_per_replica",
    "engine",
    "engine_version",
    "model",
    "precision",
    "mode",
    "block_size",
    "threshold",
    "lora",
    "draft_tokens",
    "algorithm",
    "dataset",
    "category",
    "isl",
    "osl",
    "provenance",
    "source",
    "as_of",
    "provenance_notes",
    "file",
]
POINT_COLUMNS = [
    "concurrency",
    "output_tok_s",
    "total_tok_s",
    "input_tok_s",
    "ttft_ms_p50",
    "ttft_ms_p99",
    "tpot_ms_p50",
    "tpot_ms_p99",
    "e2e_ms_p50",
    "tokens_per_forward",
    "accept_length",
    "requests_completed",
    "requests_failed",
    "joules_per_output_token",
    "goodput_req_s",
    "slo_attainment",
    "goodput_slo_ttft_ms",
    "goodput_slo_tpot_ms",
    "goodput_slo_e2el_ms",
    "prefix_hit_rate",
]
POINTS_COLUMNS = PROFILE_COLUMNS + POINT_COLUMNS


def document_kind(data: Any) -> str:
    """Which of our document kinds a parsed file is, by its top-level keys."""
    if not isinstance(data, dict):
        return "unknown"
    if data.get("kind") == "forward_cost":
        return "forward_cost"
    if "gpus" in data:
        return "gpus"
    if "offers" in data:
        return "offers"
    if "profiles" in data:
        return "profiles"
    if "tpf" in data or "accuracy" in data or "block_acceptance" in data:
        return "workloads"
    if "models" in data:
        return "models"
    if "points" in data and "mode" in data:
        return "profile"
    return "unknown"


_KIND_MODELS: dict[str, type[BaseModel]] = {
    "gpus": GpuCatalog,
    "offers": PriceCatalog,
    "profiles": ProfileSet,
    "profile": Profile,
    "forward_cost": ForwardCost,
    "workloads": WorkloadTable,
    "models": ModelCatalog,
}


def load_document(path: Path, *, expect: str | None = None) -> tuple[str, BaseModel]:
    """Read, parse and validate one of our own files; raises InputError naming file and field."""
    name = str(path)
    data = parse_structured(decode_text(read_bytes(path), name), name)
    kind = document_kind(data)
    if kind == "unknown":
        raise fail(
            name,
            "file",
            "not one of our data files (expected top-level 'gpus', 'offers', 'profiles', 'tpf', "
            "a profile with 'points' and 'mode', or 'kind: forward_cost')",
        )
    if expect is not None and kind != expect and not (expect == "profiles" and kind == "profile"):
        raise fail(name, "file", f"expected a {expect} file, found a {kind} file")
    return kind, validate_as(_KIND_MODELS[kind], data, name)


def validate_document(kind: str, data: Any, name: str, gpus: set[str]) -> tuple[str, list[Problem]]:
    """One of our own data documents (parsed, of `document_kind` kind) validated: a summary of what it holds and
    the problems past validation (a price for a gpu id gpus.yaml lacks; `gpus` empty: not checked). Raises
    InputError with every validation problem."""
    doc = validate_as(_KIND_MODELS[kind], data, name)
    problems: list[Problem] = []
    if isinstance(doc, ProfileSet | Profile):
        profiles = doc.profiles if isinstance(doc, ProfileSet) else [doc]
        summary = f"{len(profiles)} profiles, {sum(len(p.points) for p in profiles)} points"
    elif isinstance(doc, PriceCatalog):
        problems = [
            Problem(name, f"offers[{i}].gpu", f"unknown gpu id {o.gpu!r} (not in gpus.yaml)")
            for i, o in enumerate(doc.offers)
            if gpus and o.gpu not in gpus
        ]
        summary = f"{len(doc.offers)} offers"
    elif isinstance(doc, GpuCatalog):
        summary = f"{len(doc.gpus)} gpus"
    elif isinstance(doc, WorkloadTable):
        summary = f"{len(doc.tpf)} tokens-per-forward entries, {len(doc.accuracy)} accuracy entries"
    elif isinstance(doc, ModelCatalog):
        summary = f"{len(doc.models)} model architectures"
    elif isinstance(doc, ForwardCost):
        summary = f"forward-cost surface, {len(doc.points)} points"
    else:
        summary = kind
    return summary, problems


def data_files(paths: Iterable[Path], skipped: list[Problem] | None = None) -> list[Path]:
    """Expand folders into their data files (sorted, recursive; see folder_files); keep files as given. What a
    folder holds that is not read is appended to `skipped` when given."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            files, notes = folder_files(p, DATA_SUFFIXES)
            out.extend(files)
            if skipped is not None:
                skipped.extend(notes)
        else:
            out.append(p)
    return out


def folder_files(folder: Path, suffixes: Sequence[str]) -> tuple[list[Path], list[Problem]]:
    """A folder's regular files with these suffixes, recursively and sorted, never following a symbolic link (to
    a file or a folder, inside or out: a link to /etc/shadow is not read), and what was not read: each link
    (dangling or not), FIFO, device or socket by name, and the count of files with other suffixes."""
    files: list[Path] = []
    skipped: list[Problem] = []
    other = 0
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(names) + sorted(d for d in dirs if (Path(root) / d).is_symlink()):
            path = Path(root) / name
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                what = "a symbolic link" if path.exists() else "a dangling symbolic link"
                skipped.append(Problem(str(path), "file", f"skipped: {what} (links in a folder are not followed)"))
            elif not stat.S_ISREG(mode):
                skipped.append(Problem(str(path), "file", f"skipped: {file_kind(mode)}, not a regular file"))
            elif path.suffix.lower() in suffixes:
                files.append(path)
            else:
                other += 1
    if other:
        said = ", ".join(suffixes)
        skipped.append(Problem(str(folder), "folder", f"{other} other file(s) not read (suffix none of {said})"))
    return files, skipped


# ---------------------------------------------------------------------------------------------
# Typed loaders


def load_gpu_specs(path: Path | None = None) -> list[GpuSpec]:
    _, doc = load_document(path or BUNDLED_DIR / "gpus.yaml", expect="gpus")
    assert isinstance(doc, GpuCatalog)
    return doc.gpus


@functools.cache
def bundled_gpu_names() -> dict[str, str]:
    """The bundled GPUs' display names by id (gpus.yaml: "h100-sxm" -> "H100 SXM"), read once."""
    return {g.id: g.name for g in load_gpu_specs()}


def gpu_label(gpu: str) -> str:
    """A GPU's display name where gpus.yaml knows it, else the id as given (an upload's own GPU)."""
    return bundled_gpu_names().get(gpu, gpu)


def load_offers(path: Path | None = None) -> list[PriceOffer]:
    _, doc = load_document(path or BUNDLED_DIR / "prices.yaml", expect="offers")
    assert isinstance(doc, PriceCatalog)
    return doc.offers


def load_workloads(path: Path | None = None) -> WorkloadTable:
    files = [path] if path else data_files([BUNDLED_DIR / "workloads"])
    tpf, acc, blocks = [], [], []
    for f in files:
        _, doc = load_document(f, expect="workloads")
        assert isinstance(doc, WorkloadTable)
        tpf.extend(doc.tpf)
        acc.extend(doc.accuracy)
        blocks.extend(doc.block_acceptance)
    return WorkloadTable(tpf=tpf, accuracy=acc, block_acceptance=blocks)


@dataclass
class LoadedProfiles:
    """Profiles and forward-cost surfaces from a set of files, with the file each came from."""

    profiles: list[Profile] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # parallel to profiles
    forward_costs: list[ForwardCost] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)  # what folders held that was not read (links, FIFOs, ...)


def load_profile_files(
    paths: Sequence[Path], *, strict: bool = True, taken: dict[str, str] | None = None
) -> LoadedProfiles:
    """Load Profile / ProfileSet / ForwardCost files. strict: raise on the first bad file; else collect problems.
    taken: profile ids already loaded elsewhere (id -> file), which these files may not reuse."""
    out = LoadedProfiles()
    seen: dict[str, str] = dict(taken or {})
    for f in data_files(paths, out.skipped):
        try:
            kind, doc = load_document(f)
            if kind not in ("profiles", "profile", "forward_cost"):
                raise fail(str(f), "file", f"expected a profile or forward-cost file, found a {kind} file")
        except InputError as e:
            if strict:
                raise
            out.problems.extend(e.problems)
            continue
        if isinstance(doc, ForwardCost):
            out.forward_costs.append(doc)
            continue
        profiles = doc.profiles if isinstance(doc, ProfileSet) else [doc]
        for p in profiles:
            assert isinstance(p, Profile)
            if p.id in seen:
                problem = Problem(str(f), f"profile {p.id}", f"duplicate profile id (also in {seen[p.id]})")
                if strict:
                    raise InputError([problem])
                out.problems.append(problem)
                continue
            seen[p.id] = str(f)
            out.profiles.append(p)
            out.files.append(str(f))
    return out


# ---------------------------------------------------------------------------------------------
# DataFrames


def gpus_frame(specs: Sequence[GpuSpec]) -> pd.DataFrame:
    return pd.DataFrame([s.model_dump() for s in specs], columns=list(GpuSpec.model_fields))


def prices_frame(offers: Sequence[PriceOffer]) -> pd.DataFrame:
    return pd.DataFrame([o.model_dump() for o in offers], columns=list(PriceOffer.model_fields))


def profiles_to_points(profiles: Sequence[Profile], files: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per profile point, profile metadata repeated on each row (columns: POINTS_COLUMNS).

    Built column-wise: metadata once per profile then repeated by index, point fields as float arrays
    (None becomes NaN). 100,000 uploaded points take a fraction of a second.
    """
    meta_rows = [
        {
            "profile_id": p.id,
            "gpu": p.gpu,
            "gpus_per_replica": p.gpus_per_replica,
            "engine": p.engine,
            "engine_version": p.engine_version,
            "model": p.model,
            "precision": p.precision,
            "mode": p.mode,
            "block_size": p.mode_params.block_size,
            "threshold": p.mode_params.threshold,
            "lora": p.mode_params.lora,
            "draft_tokens": p.mode_params.draft_tokens,
            "algorithm": p.mode_params.algorithm,
            "dataset": p.workload.dataset,
            "category": p.workload.category,
            "isl": p.workload.isl,
            "osl": p.workload.osl,
            "provenance": p.provenance.kind,
            "source": p.provenance.source,
            "as_of": p.provenance.date,
            "provenance_notes": p.provenance.notes,
            "file": files[i] if files is not None else "",
        }
        for i, p in enumerate(profiles)
    ]
    meta = pd.DataFrame(meta_rows, columns=PROFILE_COLUMNS)
    repeat = np.repeat(np.arange(len(profiles)), [len(p.points) for p in profiles])
    expanded = meta.take(repeat).reset_index(drop=True)
    fields = operator.attrgetter(*POINT_COLUMNS)
    values = np.array([fields(pt) for p in profiles for pt in p.points], dtype="float64").reshape(
        -1, len(POINT_COLUMNS)
    )
    points = pd.DataFrame(values, columns=POINT_COLUMNS, index=expanded.index)
    return normalise_points(pd.concat([expanded, points], axis=1))


_FLOAT_COLS = [
    "threshold",
    "output_tok_s",
    "total_tok_s",
    "input_tok_s",
    "ttft_ms_p50",
    "ttft_ms_p99",
    "tpot_ms_p50",
    "tpot_ms_p99",
    "e2e_ms_p50",
    "tokens_per_forward",
    "accept_length",
    "joules_per_output_token",
    "goodput_req_s",
    "slo_attainment",
    "goodput_slo_ttft_ms",
    "goodput_slo_tpot_ms",
    "goodput_slo_e2el_ms",
    "prefix_hit_rate",
]
_INT_COLS = ["gpus_per_replica", "concurrency"]
_NULLABLE_INT_COLS = ["block_size", "draft_tokens", "isl", "osl", "requests_completed", "requests_failed"]


def normalise_points(df: pd.DataFrame) -> pd.DataFrame:
    """Give a points frame the canonical columns and dtypes (missing columns become empty)."""
    out = df.reindex(columns=POINTS_COLUMNS)
    for c in _FLOAT_COLS:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    for c in _INT_COLS:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("int64")
    for c in _NULLABLE_INT_COLS:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("Int64")
    out["lora"] = out["lora"].astype("boolean")
    text_cols = [c for c in POINTS_COLUMNS if c not in _FLOAT_COLS + _INT_COLS + _NULLABLE_INT_COLS + ["lora"]]
    for c in text_cols:
        if pd.api.types.is_string_dtype(out[c]) and not out[c].hasnans:
            continue
        col = out[c].astype(object)
        out[c] = col.where(col.notna(), "").astype(str)
    return out.reset_index(drop=True)


def concat_points(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate points frames into canonical columns, keeping extra columns (e.g. the estimator's basis)."""
    frames = [f for f in frames if f is not None and not f.empty]
    if not frames:
        return normalise_points(pd.DataFrame())
    raw = pd.concat(frames, ignore_index=True)
    out = normalise_points(raw)
    for col in raw.columns:
        if col not in out:
            out[col] = raw[col].to_numpy()
    return out


@dataclass
class Catalog:
    """Everything the app and CLI price from: bundled data plus any extra files."""

    gpu_specs: list[GpuSpec]
    offers: list[PriceOffer]
    profiles: list[Profile]
    forward_costs: list[ForwardCost]
    workloads: WorkloadTable
    gpus: pd.DataFrame
    prices: pd.DataFrame
    points: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)  # files skipped (hardware_profiles/measured/ only)
    skipped: list[Problem] = field(default_factory=list)  # what the extra folders held that was not read

    def gpu(self, gpu_id: str) -> GpuSpec:
        for g in self.gpu_specs:
            if g.id == gpu_id:
                return g
        raise KeyError(f"unknown gpu id {gpu_id!r}; known: {', '.join(g.id for g in self.gpu_specs)}")


def bundled_profile_paths() -> list[Path]:
    return [BUNDLED_DIR / d for d in PROFILE_DIRS if (BUNDLED_DIR / d).is_dir()]


def load_catalog(extra_paths: Sequence[Path] = (), *, strict_bundled: bool = True) -> Catalog:
    """Load the bundled data (always validated; a broken bundled file is a bug) plus extra profile files."""
    specs = load_gpu_specs()
    offers = load_offers()
    curated = [d for d in bundled_profile_paths() if d.name != "measured"]
    loaded = load_profile_files(curated, strict=strict_bundled)
    problems = list(loaded.problems)
    measured = BUNDLED_DIR / "measured"
    if measured.is_dir():
        # Files this machine's runs (or a user) put there: a bad or clashing one is skipped and reported in
        # `problems`, never fatal, so one broken run cannot take the app or the CLI down.
        own = load_profile_files([measured], strict=False, taken=dict(zip((p.id for p in loaded.profiles),
                                                                             loaded.files, strict=True)))
        problems += own.problems
        loaded.profiles.extend(own.profiles)
        loaded.files.extend(own.files)
        loaded.forward_costs.extend(own.forward_costs)
    skipped: list[Problem] = []
    if extra_paths:
        extra = load_profile_files(list(extra_paths), strict=True)
        skipped = extra.skipped
        loaded.profiles.extend(extra.profiles)
        loaded.files.extend(extra.files)
        loaded.forward_costs.extend(extra.forward_costs)
    return Catalog(
        gpu_specs=specs,
        offers=offers,
        profiles=loaded.profiles,
        forward_costs=loaded.forward_costs,
        workloads=load_workloads(),
        gpus=gpus_frame(specs),
        prices=prices_frame(offers),
        points=profiles_to_points(loaded.profiles, loaded.files),
        problems=problems,
        skipped=skipped,
    )


def unknown_gpu_problems(catalog: Catalog) -> list[Problem]:
    """Profiles and offers naming a gpu id that gpus.yaml does not know."""
    known = {g.id for g in catalog.gpu_specs}
    out = [
        Problem("prices.yaml", f"offers[{i}].gpu", f"unknown gpu id {o.gpu!r}")
        for i, o in enumerate(catalog.offers)
        if o.gpu not in known
    ]
    out += [
        Problem("profiles", f"profile {p.id}.gpu", f"unknown gpu id {p.gpu!r}")
        for p in catalog.profiles
        if p.gpu not in known
    ]
    return out


def load_models(path: Path | None = None) -> dict[str, ModelEntry]:
    """Model architectures by model id (hardware_profiles/models.yaml), for the estimator."""
    _, doc = load_document(path or BUNDLED_DIR / "models.yaml", expect="models")
    assert isinstance(doc, ModelCatalog)
    return {m.id: m for m in doc.models}


FORWARD_COLUMNS = [
    "surface_id",
    "device",
    "gpu",
    "model",
    "precision",
    "weights",
    "date",
    "source",
    "batch",
    "query_tokens",
    "context_tokens",
    "attention",
    "time_ms_median",
    "time_ms_p10",
    "time_ms_p90",
    "bytes_per_forward",
    "flops_per_forward",
    "achieved_tb_s",
    "achieved_tflops",
    "hbm_roofline_fraction",
]


def forward_points_frame(surfaces: Sequence[ForwardCost], specs: Sequence[GpuSpec] = ()) -> pd.DataFrame:
    """One row per measured forward pass, with achieved bandwidth and FLOP rate.

    achieved_tb_s = bytes_per_forward / time; hbm_roofline_fraction = achieved / the GPU's peak HBM
    bandwidth (only where the device maps to a gpu id in gpus.yaml; empty on a CPU or unknown device).
    """
    hbm = {g.id: g.hbm_tb_s for g in specs}
    rows = [
        {
            "surface_id": fc.id,
            "device": fc.device.name,
            "gpu": fc.gpu or "",
            "model": fc.model,
            "precision": fc.precision,
            "weights": fc.weights,
            "date": fc.provenance.date,
            "source": fc.provenance.source,
            **pt.__dict__,
        }
        for fc in surfaces
        for pt in fc.points
    ]
    df = pd.DataFrame(rows).reindex(columns=[*FORWARD_COLUMNS[:-3], "repeats"])
    seconds = pd.to_numeric(df["time_ms_median"]) / 1e3
    df["achieved_tb_s"] = pd.to_numeric(df["bytes_per_forward"]) / seconds / 1e12
    df["achieved_tflops"] = pd.to_numeric(df["flops_per_forward"]) / seconds / 1e12
    peak = df["gpu"].map(hbm).astype("float64")
    df["hbm_roofline_fraction"] = df["achieved_tb_s"] / peak
    return df[FORWARD_COLUMNS]
