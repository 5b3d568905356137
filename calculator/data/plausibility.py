"""What a GPU's memory can deliver: a per-user output rate beyond what its bandwidth allows for the model's weights is
refused (docs/formats.md, "Plausibility"), so an impossible upload is never priced or starred as the cheapest.

Every forward of a decoding step reads all the model's weights from memory at least once, so one sequence advances
at most `tokens_per_forward x HBM bandwidth x GPUs / weight bytes` tokens per second, however large the batch (a
batch shares the read; it does not make any one user faster). The bound takes each mode's largest tokens per forward
and a margin of BANDWIDTH_MARGIN; it applies only where the GPU and the model are ones the catalog knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from calculator.data.errors import InputError, Problem
from calculator.data.schema import GpuSpec, ModelEntry, Profile

BANDWIDTH_MARGIN = 2.0
# The least bytes a weight of each precision can take (int4/fp4 formats' scales are left out: a looser bound).
MIN_BYTES_PER_PARAM: dict[str, float] = {
    "fp32": 4.0,
    "fp16": 2.0,
    "bf16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4_awq": 0.5,
    "int4": 0.5,
    "fp4": 0.5,
    "nvfp4": 0.5,
}
# The most tokens one forward can commit, by mode: autoregressive 1; speculation its draft length + 1 (16 when not
# stated); block diffusion and self-speculation the block (64 when not stated); a mode of your own 64.
AR_TPF = 1.0
SPEC_TPF = 16.0
BLOCK_TPF = 64.0


def max_tokens_per_forward(profile: Profile) -> float:
    """The most tokens one forward of this profile's mode can commit (see the module's note)."""
    mp = profile.mode_params
    if profile.mode == "ar":
        return AR_TPF
    if profile.mode.startswith("spec"):
        return float(mp.draft_tokens + 1) if mp.draft_tokens else SPEC_TPF
    return float(max(mp.block_size or 0, BLOCK_TPF))


def max_tok_s_per_user(profile: Profile, gpu: GpuSpec, model: ModelEntry) -> float:
    """The highest output tokens/s one user can see on this replica, margin included."""
    weight_bytes = model.arch.params * MIN_BYTES_PER_PARAM[profile.precision]
    forwards_per_s = gpu.hbm_tb_s * 1e12 * profile.gpus_per_replica / weight_bytes
    return BANDWIDTH_MARGIN * max_tokens_per_forward(profile) * forwards_per_s


def screen(
    profiles: Sequence[Profile], file: str, gpus: Mapping[str, GpuSpec], models: Mapping[str, ModelEntry]
) -> tuple[list[Profile], list[Problem]]:
    """The profiles without their points beyond what memory bandwidth allows (a profile left with none is dropped),
    and a problem for each point refused, naming the profile, the concurrency and the field."""
    kept: list[Profile] = []
    problems: list[Problem] = []
    for p in profiles:
        gpu, model = gpus.get(p.gpu), models.get(p.model)
        if gpu is None or model is None:
            kept.append(p)
            continue
        ceiling = max_tok_s_per_user(p, gpu, model)
        good = []
        for pt in p.points:
            per_user = pt.output_tok_s / pt.concurrency
            if per_user <= ceiling:
                good.append(pt)
                continue
            problems.append(
                Problem(
                    file,
                    f"profile {p.id}, concurrency {pt.concurrency}, output_tok_s",
                    f"{per_user:,.4g} tok/s per user is beyond what {gpu.id}'s memory allows for {p.model} in"
                    f" {p.precision} (at most {ceiling:,.4g}: {max_tokens_per_forward(p):g} token(s) per forward x"
                    f" {gpu.hbm_tb_s:g} TB/s x {p.gpus_per_replica} GPU(s) / {model.arch.params:.3g} weights"
                    f" x {MIN_BYTES_PER_PARAM[p.precision]:g} B, x{BANDWIDTH_MARGIN:g} margin)",
                )
            )
        if len(good) == len(p.points):
            kept.append(p)
        elif good:
            kept.append(p.model_copy(update={"points": good}))
    return kept, problems


@cache
def bundled_specs() -> tuple[dict[str, GpuSpec], dict[str, ModelEntry]]:
    """The catalog's GPUs and models by id (empty when the bundled files cannot be read: nothing is screened)."""
    from calculator.data.catalog import load_gpu_specs, load_models

    try:
        return {g.id: g for g in load_gpu_specs()}, load_models()
    except InputError:
        return {}, {}
