"""The bare-forward model: the device time of one forward at batch B, q query tokens per sequence and context L, as
`python -m measurements forward` times it (CUDA events around the forward, no engine scheduling), for users to hold
against their own measured surfaces (`estimate --forward`, the Forward passes page).

    forward_ms = factor x (overhead + B x overhead_per_seq) + max(GEMM bytes / (HBM x η_bw), GEMM flops / (peak x η_fl))
                 + max(KV bytes / (HBM x η_kv), attention flops / (peak x η_fl))          (roofline.py)

with the GPU family's fitted efficiencies for the engine class of the forward-cost surface with the most points and
`factor` that surface's fitted factor on the fixed overheads (with the bundled data: the independent NLD-14B B200
per-forward device times, SGLang CUDA-graph replay); without any surface the reference engine's serving overheads
apply (an upper bound).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from calculator.data.catalog import Catalog
from calculator.data.schema import ModelEntry
from calculator.model.estimator.fitting import fit, model_entries
from calculator.model.estimator.roofline import (
    GB,
    bandwidth_text,
    model_cost,
    peak_flops,
    roofline_terms,
    streaming_bandwidth,
    sustained_bf16_flops,
    weight_only,
    weight_only_bits,
    weight_only_ratio,
)
from calculator.model.estimator.serving import usable_bytes

FORWARD_COLUMNS = [
    "gpu", "model", "precision", "batch", "query_tokens", "context_tokens", "attention", "forward_ms", "memory_ms",
    "compute_ms", "overhead_ms", "bound", "bytes_per_forward", "flops_per_forward", "weight_only", "provenance",
    "basis",
]  # fmt: skip


def forward_estimates(
    catalog: Catalog,
    gpu: str,
    model: str,
    *,
    precision: str = "bf16",
    batch: Sequence[int],
    query_tokens: int,
    context_tokens: int,
    attention: str = "causal",
    kv_precision: str = "bf16",
    models: Mapping[str, ModelEntry] | None = None,
) -> pd.DataFrame:
    """One estimated bare forward per batch size (FORWARD_COLUMNS); a batch whose weights + KV do not fit in memory
    is left out and named in df.attrs["skipped"]. Raises ValueError on a bad argument."""
    model_map = model_entries(models)
    specs = {g.id: g for g in catalog.gpu_specs}
    if gpu not in specs:
        raise ValueError(f"unknown gpu id {gpu!r}; known: {', '.join(specs)}")
    if model not in model_map:
        raise ValueError(f"unknown model {model!r}; known: {', '.join(sorted(model_map))}")
    if attention not in ("causal", "block"):
        raise ValueError(f"attention must be causal or block, got {attention!r}")
    sizes = [int(b) for b in batch]
    if not sizes or min(sizes) < 1 or int(query_tokens) < 1 or int(context_tokens) < 0:
        raise ValueError("batch and query tokens must be >= 1 and the context >= 0 tokens")
    spec, entry = specs[gpu], model_map[model]
    cost = model_cost(entry.arch, precision, tied_embeddings=entry.tied_embeddings, kv_precision=kv_precision)
    result = fit(catalog, model_map)
    reference = max(result.forward_overhead_factor, key=lambda s: result.forward_points.get(s, 0), default=None)
    factor = result.forward_overhead_factor[reference] if reference is not None else 1.0
    engine = result.forward_engines.get(reference) if reference is not None else None
    eff, fit_basis = result.efficiency(spec, engine)
    peak, peak_text = peak_flops(spec, cost.compute_class, result.fp8_gain)
    bits = weight_only_bits(spec, cost)
    gain = (
        peak / sustained_bf16_flops(spec) * (result.weight_only_factor[bits] * weight_only_ratio(spec) if bits else 1.0)
    )
    b = np.asarray(sizes, dtype=np.float64)
    q = float(query_tokens)
    ctx = float(context_tokens)
    gm, gf, am, af = roofline_terms(
        batch=b, query_tokens=q, context_tokens=ctx, block_attention=attention == "block",
        weight_bytes=cost.weight_bytes, kv_bytes_per_token=cost.kv_bytes_per_token,
        activation_bytes_per_token=cost.activation_bytes_per_token, dense_flops_per_token=cost.dense_flops_per_token,
        attention_flops_per_token_ctx=cost.attention_flops_per_token_ctx, hbm_bytes_s=streaming_bandwidth(spec),
        peak_flops_s=sustained_bf16_flops(spec), eta_bw=eff.eta_bw, eta_fl=eff.eta_fl, eta_kv=eff.eta_kv,
        gemm_gain=gain,
    )  # fmt: skip
    mem, fl = gm + am, gf + af
    overhead = factor * (eff.overhead_ms / 1e3 + b * eff.overhead_per_seq_us / 1e6)
    l_att = ctx + (q if attention == "block" else q / 2.0)
    nbytes = cost.weight_bytes + b * (ctx + q) * cost.kv_bytes_per_token + b * q * cost.activation_bytes_per_token
    flops = b * q * (cost.dense_flops_per_token + cost.attention_flops_per_token_ctx * l_att)
    fits = cost.memory_bytes + b * (ctx + q) * cost.kv_bytes_per_token <= usable_bytes(spec)
    calibration = (
        f"bare-forward overheads x {factor:.2f}, fitted on {reference.split(' (http')[0]}"
        if reference is not None
        else "no forward-cost surface: serving-engine overheads (an upper bound for a bare forward)"
    )
    basis = (
        f"estimated bare forward (roofline) on the {spec.id} spec ({bandwidth_text(spec)}, {spec.bf16_tflops:g} TFLOPS"
        f" bf16, peak {peak_text}); {eff.text()}, {fit_basis}; {calibration}"
    )
    df = pd.DataFrame(
        {
            "gpu": gpu, "model": model, "precision": precision, "batch": b.astype(np.int64),
            "query_tokens": int(query_tokens), "context_tokens": int(context_tokens), "attention": attention,
            "forward_ms": (overhead + np.maximum(gm, gf) + np.maximum(am, af)) * 1e3, "memory_ms": mem * 1e3,
            "compute_ms": fl * 1e3, "overhead_ms": overhead * 1e3,
            "bound": np.where(gm >= gf, "memory", "compute"),
            "bytes_per_forward": nbytes, "flops_per_forward": flops,
            "weight_only": weight_only(spec, cost.compute_class), "provenance": "estimated", "basis": basis,
        }
    )[FORWARD_COLUMNS]  # fmt: skip
    out = df[fits].reset_index(drop=True)
    out.attrs["skipped"] = [
        f"{gpu} batch {int(x)}: weights + KV of {int(x)} x {int(ctx + q)} tokens exceed"
        f" {usable_bytes(spec) / GB:.1f} GB usable"
        for x in b[~fits]
    ]
    return out


def estimated_forward_ms(catalog: Catalog, surface_points: pd.DataFrame) -> npt.NDArray[np.float64]:
    """The estimated bare-forward time (ms) of each row of a forward-points frame (catalog.forward_points_frame:
    gpu, model, precision, batch, query_tokens, context_tokens, attention), for drawing beside the measured one; NaN
    where the row's device has no gpu id, its model no architecture, or the shape does not fit in memory."""
    out = np.full(len(surface_points), np.nan)
    models = model_entries(None)
    keys = ["gpu", "model", "precision", "query_tokens", "context_tokens", "attention"]
    for key, group in surface_points.reset_index(drop=True).groupby(keys, sort=False):
        gpu, model, precision, q, ctx, attention = (str(k) for k in key)
        if not gpu or model not in models:
            continue
        try:
            df = forward_estimates(
                catalog, gpu, model, precision=precision, batch=[int(b) for b in group["batch"]],
                query_tokens=int(float(q)), context_tokens=int(float(ctx)), attention=attention,
            )  # fmt: skip
        except (ValueError, LookupError):
            continue
        by_batch = dict(zip(df["batch"].astype(int), df["forward_ms"], strict=True))
        out[group.index.to_numpy()] = [by_batch.get(int(b), np.nan) for b in group["batch"]]
    return out
