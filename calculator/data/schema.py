"""The one contract for every file the product reads or writes: pydantic v2 models with units in names.

Our own files are strict (`extra="forbid"`); importers of foreign formats map onto these models.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1

ProvenanceKind = Literal["measured", "uploaded", "vendor", "vendor_internal", "community", "estimated"]
PROVENANCE_KINDS: tuple[str, ...] = (
    "measured",
    "uploaded",
    "vendor",
    "vendor_internal",
    "community",
    "estimated",
)
Tier = Literal["on_demand", "spot", "reserved_1y", "reserved_3y", "owned", "rental_3y"]
TIERS: tuple[str, ...] = ("on_demand", "spot", "reserved_1y", "reserved_3y", "owned", "rental_3y")
Precision = Literal["fp32", "fp16", "bf16", "fp8", "int8", "int4_awq", "int4", "fp4", "nvfp4"]
PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "bf16", "fp8", "int8", "int4_awq", "int4", "fp4", "nvfp4")
Attention = Literal["causal", "block"]

# Mode ids we know and explain in the UI; other lowercase ids are accepted (a user's own engine).
KNOWN_MODES: dict[str, str] = {
    "ar": "autoregressive, one token per forward",
    "diffusion": "block diffusion (FastDiffuser): denoise forwards over a block + one commit forward",
    "self_spec": "linear self-speculation (LinearSpec): draft forward + verify forward per cycle",
    "spec_eagle3": "autoregressive with an EAGLE-3 draft model",
    "spec_mtp": "autoregressive with multi-token-prediction heads",
}
KNOWN_MODELS: dict[str, str] = {
    "qwen3-8b": "Qwen3-8B (autoregressive baseline)",
    "qwen3.5-9b": "Qwen3.5-9B (MTP baseline)",
    "nld-3b": "Nemotron-Labs-Diffusion-3B",
    "nld-8b": "Nemotron-Labs-Diffusion-8B",
    "nld-14b": "Nemotron-Labs-Diffusion-14B",
    "llama-3-8b": "Llama-3-8B-Instruct (autoregressive baseline)",
    "llama-3.1-8b": "Llama-3.1-8B-Instruct (autoregressive baseline)",
}

_ID_RE = r"^[a-z0-9][a-z0-9._-]*$"
_MODE_RE = r"^[a-z][a-z0-9_]*$"
# A date as precise as the source gives it: 2026, 2026-06 or 2026-11-09.
_AS_OF_RE = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"

# What each pattern asks for, in words (validation messages name this, never the regular expression).
PATTERN_WORDS: dict[str, str] = {
    _ID_RE: "an id of lower-case letters, digits, '.', '_' and '-', starting with a letter or digit",
    _MODE_RE: "a mode id of lower-case letters, digits and '_', starting with a letter",
    _AS_OF_RE: "a date as YYYY, YYYY-MM or YYYY-MM-DD (a real month 01-12 and day 01-31)",
}

Id = Annotated[str, Field(pattern=_ID_RE, min_length=1, max_length=64)]
ModeId = Annotated[str, Field(pattern=_MODE_RE, min_length=1, max_length=40)]
AsOf = Annotated[
    str, Field(pattern=_AS_OF_RE, description="date as precise as the source: YYYY, YYYY-MM or YYYY-MM-DD")
]
Text = Annotated[str, Field(max_length=2000)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]

# Physical bounds of a measured operating point (docs/formats.md, "Plausibility"): beyond them a figure is nonsense
# (1e308 tok/s priced at $0.000/M, 5e-324 tok/s at inf $/M, 1e20 requests past int64), not a measurement.
MIN_TOK_S = 0.01  # one token per 100 s from a whole replica
MAX_TOK_S = 1e9  # 4096 GPUs x ~250,000 tok/s each, far above any engine
MAX_MS = 86_400_000.0  # a day, for TTFT, TPOT and end-to-end latency
MAX_TOKENS_PER_FORWARD = 4096  # the largest block size we accept
MAX_REQUESTS = 10**12  # completed or failed requests in one run
# Output tok/s of a replica vs concurrency x 1000 / TPOT p50 (every user's decode rate): the allowed ratio.
TPOT_RATE_FACTOR = 3.0
TokS = Annotated[float, Field(ge=MIN_TOK_S, le=MAX_TOK_S, allow_inf_nan=False)]
Ms = Annotated[float, Field(gt=0, le=MAX_MS, allow_inf_nan=False)]
Tpf = Annotated[float, Field(gt=0, le=MAX_TOKENS_PER_FORWARD, allow_inf_nan=False)]
Requests = Annotated[int, Field(ge=0, le=MAX_REQUESTS)]
# A GPU-hour below $0.0001 (less than its electricity) or above $1,000 is a typo ($1e308 priced at inf, $5e-324 at $0).
MIN_USD_PER_GPU_HOUR, MAX_USD_PER_GPU_HOUR = 0.0001, 1000.0
UsdPerGpuHour = Annotated[float, Field(ge=MIN_USD_PER_GPU_HOUR, le=MAX_USD_PER_GPU_HOUR, allow_inf_nan=False)]


class Strict(BaseModel):
    """Base of our own file formats: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, str_strip_whitespace=True)


def _coerce_as_of(value: Any) -> Any:
    """YAML turns 2026-11-09 into a date; keep the as-given string form."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and 1900 < value < 3000:
        return str(value)
    return value


# ---------------------------------------------------------------------------------------------
# Hardware and prices


class GpuSpec(Strict):
    """One accelerator's datasheet figures (dense TFLOPS, usable memory)."""

    id: Id = Field(description="our gpu id, e.g. h100-sxm")
    name: Text
    vendor: Literal["nvidia", "amd", "intel", "other"]
    memory_gb: PositiveFloat
    hbm_tb_s: PositiveFloat = Field(description="peak memory bandwidth, TB/s")
    bf16_tflops: PositiveFloat = Field(description="dense BF16 TFLOPS")
    fp8_tflops: PositiveFloat | None = Field(default=None, description="dense FP8 TFLOPS; None if unsupported")
    fp4_tflops: PositiveFloat | None = Field(default=None, description="dense FP4 TFLOPS; None if unsupported")
    fp16_accumulate_tflops: PositiveFloat | None = Field(
        default=None,
        description="dense FP16 tensor TFLOPS with FP16 accumulate, where it exceeds bf16_tflops (GeForce cards run"
        " FP32 accumulate at half rate); quantised weight-only kernels on fp16 activations run at it",
    )
    tdp_w: PositiveFloat
    sm_count: int | None = Field(
        default=None,
        ge=1,
        description="streaming multiprocessors, where known; a part with fewer SMs than its architecture's flagship may"
        " not issue enough loads to saturate its memory (estimator.roofline.streaming_bandwidth)",
    )
    interconnect: Text
    all_in_power_kw: PositiveFloat | None = Field(
        default=None, description="all-in power per GPU incl. host and cooling share, kW (TCO input)"
    )
    approximate: bool = Field(default=False, description="figures are rounded public numbers")
    source: Text
    as_of: AsOf
    notes: Text = ""

    _as_of = field_validator("as_of", mode="before")(_coerce_as_of)


class PriceOffer(Strict):
    """One price for one GPU at one provider and tier, with its date and source."""

    id: Id = Field(description="unique offer id, e.g. aws-p5-48xlarge-on_demand")
    provider: Text
    instance: Text
    gpu: Id
    gpus_per_instance: int = Field(ge=1, le=1024)
    tier: Tier
    usd_per_gpu_hour: UsdPerGpuHour = Field(description="the price used; the midpoint where the source gives a range")
    usd_per_gpu_hour_low: UsdPerGpuHour | None = None
    usd_per_gpu_hour_high: UsdPerGpuHour | None = None
    region: Text = ""
    as_of: AsOf
    source: Text
    notes: Text = ""

    _as_of = field_validator("as_of", mode="before")(_coerce_as_of)

    @model_validator(mode="after")
    def _range_brackets_price(self) -> PriceOffer:
        lo, hi = self.usd_per_gpu_hour_low, self.usd_per_gpu_hour_high
        if (lo is None) != (hi is None):
            raise ValueError("give both usd_per_gpu_hour_low and usd_per_gpu_hour_high, or neither")
        if lo is not None and hi is not None and not lo <= self.usd_per_gpu_hour <= hi:
            raise ValueError(f"usd_per_gpu_hour {self.usd_per_gpu_hour} lies outside its range {lo}-{hi}")
        return self


class OwnedTco(Strict):
    """Inputs for owning hardware: capex spread over its life plus power and hosting."""

    capex_usd_per_gpu: PositiveFloat = Field(
        description="purchase price per GPU incl. its share of the server and network"
    )
    life_years: PositiveFloat = Field(default=4.0, le=15)
    power_kw_per_gpu: NonNegFloat = Field(default=1.73, le=20, description="all-in power per GPU, kW")
    pue: float = Field(default=1.3, ge=1.0, le=3.0)
    usd_per_kwh: NonNegFloat = Field(default=0.08, le=2)
    hosting_usd_per_gpu_hour: NonNegFloat = Field(default=0.0, description="colocation, staff, maintenance")


class GpuCatalog(Strict):
    schema_version: Literal[1] = 1
    gpus: list[GpuSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> GpuCatalog:
        _require_unique([g.id for g in self.gpus], "gpus", "id")
        return self


class PriceCatalog(Strict):
    schema_version: Literal[1] = 1
    offers: list[PriceOffer] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> PriceCatalog:
        _require_unique([o.id for o in self.offers], "offers", "id")
        return self


# ---------------------------------------------------------------------------------------------
# Throughput profiles


class Provenance(Strict):
    """Where a number came from. Never drop it; the UI shows it beside every figure."""

    kind: ProvenanceKind
    source: Text = Field(min_length=1, description="URL, paper table, or tool + host that produced it")
    date: AsOf
    notes: Text = ""

    _date = field_validator("date", mode="before")(_coerce_as_of)


class Workload(Strict):
    """What was served: lengths (tokens), dataset and category."""

    isl: int | None = Field(default=None, ge=1, le=10_000_000, description="input sequence length, tokens")
    osl: int | None = Field(default=None, ge=1, le=10_000_000, description="output sequence length, tokens")
    dataset: Text = ""
    category: Text = ""


class ModeParams(Strict):
    """Parameters of the decoding mode; unset ones do not apply."""

    block_size: int | None = Field(default=None, ge=1, le=4096)
    threshold: float | None = Field(default=None, gt=0, le=1)
    lora: bool | None = None
    draft_tokens: int | None = Field(default=None, ge=1, le=64, description="speculative draft length (EAGLE/MTP)")
    algorithm: Text = ""


class ProfilePoint(Strict):
    """One operating point: a concurrency and what the engine delivered there."""

    concurrency: int = Field(ge=1, le=1_000_000)
    output_tok_s: TokS = Field(description="output tokens/s of the whole replica")
    total_tok_s: TokS | None = Field(default=None, description="input + output tokens/s of the replica")
    input_tok_s: float | None = Field(default=None, ge=0, le=MAX_TOK_S, allow_inf_nan=False)
    ttft_ms_p50: Ms | None = None
    ttft_ms_p99: Ms | None = None
    tpot_ms_p50: Ms | None = None
    tpot_ms_p99: Ms | None = None
    e2e_ms_p50: Ms | None = None
    tokens_per_forward: Tpf | None = None
    accept_length: Tpf | None = None
    requests_completed: Requests | None = None
    requests_failed: Requests | None = None
    joules_per_output_token: float | None = Field(
        default=None,
        gt=0,
        le=1e6,
        allow_inf_nan=False,
        description="measured energy of the replica per output token (InferenceX power_valid rows)",
    )
    goodput_req_s: float | None = Field(
        default=None,
        ge=0,
        le=1e9,
        allow_inf_nan=False,
        description="requests/s that met the run's SLOs (GuideLLM goodput profiles)",
    )
    slo_attainment: float | None = Field(
        default=None, ge=0, le=1, allow_inf_nan=False, description="share of requests that met the run's SLOs"
    )
    # The run's own objectives that goodput_req_s / slo_attainment were measured against (per request, ms; GuideLLM's
    # config.slo): a plan is sized on the goodput only where they are at least as strict as the user's targets.
    goodput_slo_ttft_ms: Ms | None = Field(default=None, description="the run's SLO: TTFT limit per request (ms)")
    goodput_slo_tpot_ms: Ms | None = Field(default=None, description="the run's SLO: TPOT limit per request (ms)")
    goodput_slo_e2el_ms: Ms | None = Field(
        default=None, description="the run's SLO: end-to-end latency limit per request (ms)"
    )
    prefix_hit_rate: float | None = Field(
        default=None,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="measured share of prompt tokens served from the prefix cache (AIPerf cache-read tokens)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> ProfilePoint:
        if self.total_tok_s is not None and self.total_tok_s < self.output_tok_s * (1 - 1e-9):
            raise ValueError(
                f"total_tok_s {self.total_tok_s} is below output_tok_s {self.output_tok_s}; total includes output"
            )
        for lo, hi in (("ttft_ms_p50", "ttft_ms_p99"), ("tpot_ms_p50", "tpot_ms_p99")):
            a, b = getattr(self, lo), getattr(self, hi)
            if a is not None and b is not None and b < a * (1 - 1e-9):
                raise ValueError(f"{hi} {b} is below {lo} {a}")
        over = tpot_rate_excess(self.output_tok_s, self.concurrency, self.tpot_ms_p50)
        if over is not None:
            raise ValueError(over)
        return self


class Profile(Strict):
    """Throughput of one hardware x engine x model x precision x mode x workload, across concurrency."""

    id: Id = Field(description="unique profile id")
    gpu: Id
    gpus_per_replica: int = Field(default=1, ge=1, le=4096, description="TP x PP x DP GPUs serving one replica")
    tp: int = Field(default=1, ge=1)
    pp: int = Field(default=1, ge=1)
    dp: int = Field(default=1, ge=1)
    engine: Text = Field(min_length=1)
    engine_version: Text = ""
    model: Id
    precision: Precision
    mode: ModeId
    mode_params: ModeParams = Field(default_factory=ModeParams)
    workload: Workload = Field(default_factory=Workload)
    kv_cache_precision: Literal["bf16", "fp16", "fp8"] | None = Field(
        default=None, description="KV cache precision the engine ran (None: the 16-bit default, or not stated)"
    )
    provenance: Provenance
    points: list[ProfilePoint] = Field(min_length=1, max_length=100_000)

    @model_validator(mode="after")
    def _check(self) -> Profile:
        if self.tp * self.pp * self.dp != self.gpus_per_replica:
            raise ValueError(f"gpus_per_replica {self.gpus_per_replica} != tp {self.tp} x pp {self.pp} x dp {self.dp}")
        _require_unique([p.concurrency for p in self.points], "points", "concurrency")
        return self


class ProfileSet(Strict):
    """A file holding several profiles (e.g. one vendor table); a single Profile file is also accepted."""

    schema_version: Literal[1] = 1
    profiles: list[Profile] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> ProfileSet:
        _require_unique([p.id for p in self.profiles], "profiles", "id")
        return self


# ---------------------------------------------------------------------------------------------
# Forward-pass cost surfaces (measurement tool output; estimator input)


class DeviceInfo(Strict):
    name: Text = Field(description="device name as the driver reports it, verbatim")
    gpu: Id | None = Field(default=None, description="our gpu id, when the name maps to one; never guessed")
    memory_gb: NonNegFloat | None = None
    count: int = Field(default=1, ge=0)
    driver: Text = ""
    torch_version: Text = ""
    cuda_version: Text = ""
    host: Text = ""


class ModelArch(Strict):
    """The architecture numbers the cost of a forward depends on (config.json subset)."""

    name: Text
    num_layers: int = Field(ge=1)
    hidden_size: int = Field(ge=1)
    intermediate_size: int = Field(ge=1)
    num_attention_heads: int = Field(ge=1)
    num_kv_heads: int = Field(ge=1)
    head_dim: int = Field(ge=1)
    vocab_size: int = Field(ge=1)
    params: PositiveFloat = Field(description="parameter count")


class ForwardPoint(Strict):
    batch: int = Field(ge=1)
    query_tokens: int = Field(ge=1, description="new tokens per sequence in this forward")
    context_tokens: int = Field(ge=0, description="tokens already in the KV cache per sequence")
    attention: Attention
    time_ms_median: PositiveFloat
    time_ms_p10: PositiveFloat | None = None
    time_ms_p90: PositiveFloat | None = None
    repeats: int = Field(default=1, ge=1)
    bytes_per_forward: NonNegFloat | None = None
    flops_per_forward: NonNegFloat | None = None


class ForwardCost(Strict):
    """Time of one forward over a grid of batch x query tokens x context, on one device."""

    schema_version: Literal[1] = 1
    kind: Literal["forward_cost"] = "forward_cost"
    id: Id
    gpu: Id | None = Field(default=None, description="our gpu id, or None for an unmapped device (see device.name)")
    device: DeviceInfo
    model: Id = Field(description="model config id, e.g. nld-8b or tiny")
    arch: ModelArch
    precision: Precision
    weights: Literal["random", "real"] = "random"
    provenance: Provenance
    command: Text = ""
    skipped: list[Text] = Field(default_factory=list, description="grid points not run, with why")
    points: list[ForwardPoint] = Field(default_factory=list, max_length=100_000)


# ---------------------------------------------------------------------------------------------
# Workload tables: tokens per forward and accuracy, per model/mode/benchmark


class TpfEntry(Strict):
    """A published or measured tokens-per-forward (or acceptance length) figure."""

    model: Id
    mode: ModeId
    metric: Literal["tokens_per_forward", "accept_length"]
    value: PositiveFloat
    benchmark: Text = Field(min_length=1, description="benchmark, SPEED-Bench category, or 'average'")
    block_size: int | None = Field(default=None, ge=1)
    lora: bool | None = None
    notes: Text = ""
    provenance: Provenance


class AccuracyEntry(Strict):
    model: Id
    mode: ModeId
    benchmark: Text = Field(min_length=1)
    accuracy_pct: float = Field(ge=0, le=100)
    lora: bool | None = None
    provenance: Provenance


class BlockAcceptanceEntry(Strict):
    """Tokens accepted per draft+verify round (or tokens per forward) of self-speculation at one block size, as a
    study measured it at several block sizes on the same prompts: the shape of acceptance against block size (how much
    a larger block buys), per engine and benchmark (or a mean over a named set of benchmarks)."""

    model: Id
    mode: ModeId = "self_spec"
    engine: Literal["sglang", "pytorch"] = Field(description="what ran the rounds (SGLang serving or native PyTorch)")
    benchmark: Text = Field(min_length=1, description="benchmark (e.g. gsm8k), or 'average' over the study's set")
    block_size: int = Field(ge=1, le=4096)
    metric: Literal["accepted_per_round", "tokens_per_forward"]
    value: PositiveFloat
    rounds: int | None = Field(default=None, ge=1, description="rounds (or requests) the figure is a mean over")
    notes: Text = ""
    provenance: Provenance


class WorkloadTable(Strict):
    schema_version: Literal[1] = 1
    tpf: list[TpfEntry] = Field(default_factory=list)
    accuracy: list[AccuracyEntry] = Field(default_factory=list)
    block_acceptance: list[BlockAcceptanceEntry] = Field(
        default_factory=list, description="acceptance vs block size (self-speculation), by engine and benchmark"
    )


# ---------------------------------------------------------------------------------------------
# Helpers


def _require_unique(values: list[Any], where: str, field: str) -> None:
    seen: dict[Any, int] = {}
    for i, v in enumerate(values):
        if v in seen:
            raise ValueError(f"{where}[{i}].{field}: duplicate {v!r} (first at {where}[{seen[v]}])")
        seen[v] = i


def tpot_rate_excess(output_tok_s: float, concurrency: int, tpot_ms_p50: float | None) -> str | None:
    """Why output tok/s contradicts the point's own TPOT (each of `concurrency` users decodes at most about
    1000 / TPOT tokens/s, so the replica at most concurrency x that), or None when it does not (or no TPOT)."""
    if tpot_ms_p50 is None:
        return None
    ceiling = concurrency * 1000.0 / tpot_ms_p50
    if output_tok_s <= TPOT_RATE_FACTOR * ceiling:
        return None
    return (
        f"output_tok_s {output_tok_s:g} contradicts tpot_ms_p50 {tpot_ms_p50:g} at concurrency {concurrency}: "
        f"{concurrency} user(s) at {tpot_ms_p50:g} ms per token make at most {ceiling:,.4g} tok/s "
        f"(x{TPOT_RATE_FACTOR:g} allowed)"
    )


def finite(x: float) -> bool:
    """True for a real number (not NaN, not infinite)."""
    return not (math.isnan(x) or math.isinf(x))


def slug(text: str) -> str:
    """A safe id fragment from free text: lowercase, [a-z0-9._-] only."""
    s = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-.")
    return s or "x"


# The document kinds a file may hold, keyed by how they are recognised.
DOCUMENT_MODELS: dict[str, type[BaseModel]] = {
    "gpus": GpuCatalog,
    "offers": PriceCatalog,
    "profiles": ProfileSet,
    "profile": Profile,
    "forward_cost": ForwardCost,
    "workloads": WorkloadTable,
}


# ---------------------------------------------------------------------------------------------
# Model architectures (hardware_profiles/models.yaml): what the estimator needs per model id


class ModelEntry(Strict):
    """One model id with its architecture, for the estimator: weights, KV cache and FLOPs per token."""

    id: Id = Field(description="our model id, e.g. nld-8b")
    arch: ModelArch
    tied_embeddings: bool = Field(default=False, description="input embedding and LM head share one matrix")
    kv_bytes_per_token_bf16: PositiveFloat = Field(
        description="K and V cache of one token over all layers in bf16, bytes (2 x layers x kv_heads x head_dim x 2)"
    )
    modes: list[ModeId] = Field(min_length=1, description="decoding modes the model can serve")
    max_context_tokens: int | None = Field(default=None, ge=1, description="max positions of the config")
    source: Text = Field(min_length=1)
    notes: Text = ""

    @model_validator(mode="after")
    def _kv_matches_arch(self) -> ModelEntry:
        a = self.arch
        derived = 2 * a.num_layers * a.num_kv_heads * a.head_dim * 2
        if abs(self.kv_bytes_per_token_bf16 - derived) > 0.01 * derived:
            raise ValueError(
                f"kv_bytes_per_token_bf16 {self.kv_bytes_per_token_bf16:g} != 2 x layers x kv_heads x head_dim x 2 B"
                f" = {derived} from arch"
            )
        return self


class ModelCatalog(Strict):
    schema_version: Literal[1] = 1
    models: list[ModelEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> ModelCatalog:
        _require_unique([m.id for m in self.models], "models", "id")
        return self


DOCUMENT_MODELS["models"] = ModelCatalog
