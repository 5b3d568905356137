"""Decoding modes as cycles of forward passes (DESIGN.md §4), and tokens per forward (TPF) by workload.

A mode repeats a cycle of forwards and emits `a` tokens per cycle on average. With t(B, q, L) the time
of one forward at batch B, q new tokens per sequence and KV context L (calculator/model/estimator/, or a
measured surface):

    cycle_time(B, L)            = Σ_forwards count x scale x t(B, q, L)       (scale < 1 for draft models)
    output tok/s at concurrency = B x a / cycle_time
    request latency             = TTFT + OSL x cycle_time / a

In steady state each cycle also prefills B x a x ISL / OSL prompt tokens (prefill_tokens_per_cycle), which
chunked-prefill engines run inside the cycle's forwards; calculator/model/estimator/ adds their cost there.

The cycles (count x forward):
- ar:          1 x (q=1, causal); a = 1; TPF = 1.
- diffusion:   s x (q=b, block) denoise + 1 x (q=b, causal) commit per block of b; a = b;
               TPF = b / (s + 1), so s = b / TPF - 1 (a fractional s is an average over blocks).
- self_spec:   1 x (q=k, block) draft (LoRA on) + 1 x (q=k, causal) verify per cycle; a = acceptance
               length in 1..k (accepted prefix + bonus token). Convention: TPF = a / 2 (generated tokens /
               forward passes, prefill not counted), i.e. acceptance length = 2 x TPF, as in the paper and
               in the B200 sweep (tok/FP vs tok/blk).
- spec_eagle3: 1 x (q=verify_tokens, causal) target verify + steps x (q=topk) draft-model forwards, each
               costing `draft_fraction` of a target forward of the same shape; a = acceptance length from
               the tables. TPF here = a per target forward.
- spec_mtp:    as spec_eagle3 with the model's own MTP head as the draft.

TPF comes from the bundled WorkloadTable (per benchmark, per SPEED-Bench category, per block size) or
from the user; `resolve_tpf` says where each figure came from and whether it is assumed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from calculator.data.schema import Attention, TpfEntry, WorkloadTable
from calculator.model.block_curves import block_curves, curve_scale

FloatArray = npt.NDArray[np.float64]
Role = Literal["target", "draft_eagle3", "draft_mtp"]
ForwardTimeFn = Callable[[FloatArray, FloatArray, FloatArray, Attention], FloatArray]
"""t(batch, query_tokens, context_tokens, attention) -> seconds, vectorised over numpy arrays."""

MODEL_MODES: tuple[str, ...] = ("ar", "diffusion", "self_spec", "spec_eagle3", "spec_mtp")
DEFAULT_BLOCK_SIZE = 32  # model-card default for diffusion and self-speculation
# EAGLE-3 as the B200 sweep ran it in SGLang: --speculative-num-steps 4 --speculative-eagle-topk 4
# --speculative-num-draft-tokens 15 (the verify forward scores the 15-token draft tree).
EAGLE3_STEPS = 4
EAGLE3_TOPK = 4
EAGLE3_VERIFY_TOKENS = 15
# MTP as the sweep ran Qwen3.5-9B: --speculative-num-steps 3 --speculative-num-draft-tokens 3, chain (topk 1).
MTP_STEPS = 3
MTP_VERIFY_TOKENS = 4  # 3 drafted tokens + the last accepted one
SPEED_BENCH = "speed-bench"  # the workload name meaning "SPEED-Bench average" (the default)


PUBLISHED_CONTEXT_TOKENS = 16384  # no TPF or throughput is published beyond ~16K context (facts/nemotron.md §8)


def long_context_note(context_tokens: int) -> str:
    """What a context beyond any published figure means for the answer ("" within it)."""
    if context_tokens <= PUBLISHED_CONTEXT_TOKENS:
        return ""
    return (
        f"Context {context_tokens:,} tokens is beyond any published tokens-per-forward or throughput (~16K): "
        "estimated curves there assume the published TPF still holds; data curves are at their own (shorter) "
        "workload."
    )


def decode_context_tokens(isl: int, override: int | None = None) -> int:
    """The KV context per sequence when decoding starts: the prompt (ISL), or an explicit longer context (a cached
    conversation or document the prompt extends; never below ISL). One rule for every page, the CLI and the
    estimator; a decode step then reads on average this + OSL / 2 tokens of KV (mean_decode_kv_tokens)."""
    return max(int(override), int(isl)) if override is not None else int(isl)


def mean_decode_kv_tokens(context_tokens: float, osl: float) -> float:
    """KV tokens a decode step reads per sequence, averaged over a request: context + OSL / 2."""
    return float(context_tokens) + float(osl) / 2.0


# Preference among sources for the same figure: our own measurements first, then the vendor's.
_PROVENANCE_RANK = {"measured": 0, "uploaded": 1, "vendor": 2, "vendor_internal": 3, "community": 4, "estimated": 5}
# A model without a figure for some workload borrows its sibling's, scaled by the ratio of their averages.
_SIBLING = {"nld-3b": "nld-8b", "nld-14b": "nld-8b"}


@dataclass(frozen=True)
class Forward:
    """One kind of forward pass in a cycle: q new tokens per sequence, its mask, how many per cycle."""

    query_tokens: int
    attention: Attention
    count: float
    role: Role = "target"
    label: str = ""


@dataclass(frozen=True)
class Cycle:
    """A decoding mode as the forwards it repeats and the tokens it emits per repetition."""

    mode: str
    forwards: tuple[Forward, ...]
    tokens_per_cycle: float
    tokens_per_forward: float
    block_size: int | None = None
    description: str = ""

    @property
    def target_forwards(self) -> float:
        """Forwards of the target model per cycle (draft-model forwards not counted)."""
        return sum(f.count for f in self.forwards if f.role == "target")

    @property
    def max_query_tokens(self) -> int:
        """The largest q in the cycle: the extra KV slots a sequence needs while it decodes."""
        return max(f.query_tokens for f in self.forwards)

    def time_s(
        self,
        forward_time: ForwardTimeFn,
        batch: npt.ArrayLike,
        context_tokens: npt.ArrayLike,
        *,
        draft_fraction: Mapping[str, float] | None = None,
    ) -> FloatArray:
        """Σ count x scale x t(B, q, L) over the cycle's forwards; scale = draft_fraction[role] for drafts."""
        b = np.asarray(batch, dtype=np.float64)
        ctx = np.asarray(context_tokens, dtype=np.float64)
        fractions = dict(DEFAULT_DRAFT_FRACTION) | dict(draft_fraction or {})
        total = np.zeros(np.broadcast(b, ctx).shape, dtype=np.float64)
        for f in self.forwards:
            scale = 1.0 if f.role == "target" else fractions[f.role]
            q = np.full_like(total, float(f.query_tokens))
            total = total + f.count * scale * forward_time(b, q, ctx, f.attention)
        return total


# A draft-model forward costs this fraction of a target forward of the same shape (an approximation):
# EAGLE-3's head is one decoder layer + a fused projection + a small-vocabulary LM head, ~5 % of
# Qwen3-8B's bytes, but a step also pays launch/sampling time, so 0.15 is the prior; estimate.fit refits it.
# An MTP head is one layer plus the full LM head (~10 % of the bytes): also 0.15.
DEFAULT_DRAFT_FRACTION: dict[str, float] = {"draft_eagle3": 0.15, "draft_mtp": 0.15}


def ar_cycle() -> Cycle:
    """Autoregressive: one causal forward with one new token per sequence; a = TPF = 1."""
    return Cycle("ar", (Forward(1, "causal", 1.0, label="decode"),), 1.0, 1.0, None, "1 causal forward, 1 token")


def diffusion_cycle(block_size: int, tokens_per_forward: float) -> Cycle:
    """Block diffusion: s = b / TPF - 1 denoise forwards (q=b, block mask) + 1 commit (q=b, causal); a = b."""
    b = _check_block(block_size)
    tpf = _check_positive(tokens_per_forward, "tokens per forward")
    if tpf > b:
        raise ValueError(f"diffusion tokens per forward {tpf:g} exceeds the block size {b}")
    s = b / tpf - 1.0
    forwards = (
        Forward(b, "block", s, label="denoise"),
        Forward(b, "causal", 1.0, label="commit"),
    )
    return Cycle("diffusion", forwards, float(b), tpf, b, f"{s:.2f} denoise + 1 commit forwards over a {b}-token block")


def self_spec_cycle(
    block_size: int, *, tokens_per_forward: float | None = None, accept_length: float | None = None
) -> Cycle:
    """Linear self-speculation: draft (q=k, block) + verify (q=k, causal); a = acceptance length = 2 x TPF, in 1..k."""
    k = _check_block(block_size)
    if accept_length is None:
        if tokens_per_forward is None:
            raise ValueError("self_spec needs tokens_per_forward or accept_length")
        accept_length = 2.0 * _check_positive(tokens_per_forward, "tokens per forward")
    a = min(max(_check_positive(accept_length, "acceptance length"), 1.0), float(k))
    forwards = (
        Forward(k, "block", 1.0, label="draft"),
        Forward(k, "causal", 1.0, label="verify"),
    )
    return Cycle(
        "self_spec", forwards, a, a / 2.0, k, f"draft + verify over a {k}-token block, {a:.2f} tokens accepted"
    )


def spec_cycle(
    mode: Literal["spec_eagle3", "spec_mtp"],
    accept_length: float,
    *,
    verify_tokens: int | None = None,
    draft_steps: int | None = None,
    draft_topk: int | None = None,
) -> Cycle:
    """Draft-model speculation: 1 target verify (q=verify_tokens) + steps draft forwards (q=topk); a from the tables."""
    a = _check_positive(accept_length, "acceptance length")
    if mode == "spec_eagle3":
        q_verify, steps, topk, role = EAGLE3_VERIFY_TOKENS, EAGLE3_STEPS, EAGLE3_TOPK, "draft_eagle3"
    elif mode == "spec_mtp":
        q_verify, steps, topk, role = MTP_VERIFY_TOKENS, MTP_STEPS, 1, "draft_mtp"
    else:  # pragma: no cover - guarded by the Literal
        raise ValueError(f"not a draft-model speculation mode: {mode!r}")
    q_verify = verify_tokens or q_verify
    steps = draft_steps or steps
    topk = draft_topk or topk
    a = min(max(a, 1.0), float(q_verify))
    r: Role = "draft_eagle3" if role == "draft_eagle3" else "draft_mtp"
    forwards = (
        Forward(q_verify, "causal", 1.0, label="verify"),
        Forward(topk, "causal", float(steps), role=r, label="draft"),
    )
    text = f"{steps} draft steps (top-{topk}) + 1 verify over {q_verify} tokens, {a:.2f} tokens accepted"
    return Cycle(mode, forwards, a, a, None, text)


def cycle_for(
    mode: str,
    *,
    tokens_per_forward: float = 1.0,
    accept_length: float | None = None,
    block_size: int | None = None,
    draft_tokens: int | None = None,
) -> Cycle:
    """The cycle of `mode` with its TPF (self_spec: TPF = a / 2; spec_*: TPF = a per target forward)."""
    if mode == "ar":
        return ar_cycle()
    if mode == "diffusion":
        return diffusion_cycle(block_size or DEFAULT_BLOCK_SIZE, tokens_per_forward)
    if mode == "self_spec":
        return self_spec_cycle(
            block_size or DEFAULT_BLOCK_SIZE, tokens_per_forward=tokens_per_forward, accept_length=accept_length
        )
    if mode in ("spec_eagle3", "spec_mtp"):
        a = accept_length if accept_length is not None else tokens_per_forward
        verify = draft_tokens + 1 if (draft_tokens and mode == "spec_mtp") else None
        steps = draft_tokens if (draft_tokens and mode == "spec_mtp") else None
        return spec_cycle(mode, a, verify_tokens=verify, draft_steps=steps)  # type: ignore[arg-type]
    raise ValueError(f"no cycle model for mode {mode!r}; known: {', '.join(MODEL_MODES)}")


# ---------------------------------------------------------------------------------------------
# Throughput and latency from a cycle time


def _f(x: npt.ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


def decode_tok_s(batch: npt.ArrayLike, tokens_per_cycle: npt.ArrayLike, cycle_s: npt.ArrayLike) -> FloatArray:
    """Decode output tokens/s of the replica: B x a / cycle time."""
    out: FloatArray = _f(batch) * _f(tokens_per_cycle) / _f(cycle_s)
    return out


def prefill_tokens_per_cycle(
    batch: npt.ArrayLike, tokens_per_cycle: npt.ArrayLike, isl: npt.ArrayLike, osl: npt.ArrayLike
) -> FloatArray:
    """Prompt tokens to prefill per cycle in steady state: B x a x ISL / OSL.

    Each cycle the batch emits B x a tokens, i.e. finishes B x a / OSL requests' worth, and as many new
    requests (ISL tokens each) must be prefilled. Engines with chunked prefill (SGLang, vLLM) run them in
    the same forwards as the decode batch, so they add FLOPs and KV writes to a cycle, not weight reads.
    """
    out: FloatArray = _f(batch) * _f(tokens_per_cycle) * _f(isl) / _f(osl)
    return out


def request_latency_s(
    ttft_s: npt.ArrayLike, osl: npt.ArrayLike, cycle_s: npt.ArrayLike, tokens_per_cycle: npt.ArrayLike
) -> FloatArray:
    """End-to-end latency of one request: TTFT + OSL x cycle time / a."""
    out: FloatArray = _f(ttft_s) + _f(osl) * _f(cycle_s) / _f(tokens_per_cycle)
    return out


# ---------------------------------------------------------------------------------------------
# Tokens per forward by workload


@dataclass(frozen=True)
class TpfChoice:
    """The TPF used for an estimate, in the mode's convention, with where it came from."""

    tokens_per_forward: float
    accept_length: float | None
    source: str
    assumed: bool
    workload: str
    notes: tuple[str, ...] = field(default_factory=tuple)


def tokens_per_forward_of(mode: str, metric: str, value: float) -> float:
    """A table figure in the mode's TPF convention (self_spec: TPF = accept_length / 2; spec_*: TPF = a)."""
    if metric == "accept_length" and mode == "self_spec":
        return value / 2.0
    return value


def accept_length_of(mode: str, tokens_per_forward: float) -> float | None:
    """Tokens per cycle for the speculative modes (self_spec: 2 x TPF; spec_*: TPF); None otherwise."""
    if mode == "self_spec":
        return 2.0 * tokens_per_forward
    if mode in ("spec_eagle3", "spec_mtp"):
        return tokens_per_forward
    return None


def available_workloads(table: WorkloadTable, model: str, mode: str) -> list[str]:
    """Workload names (benchmarks, SPEED-Bench categories) with a figure for this model and mode."""
    names = {e.benchmark for e in table.tpf if e.model in (model, _SIBLING.get(model, model)) and e.mode == mode}
    return sorted(names, key=str.casefold)


def resolve_tpf(
    table: WorkloadTable,
    model: str,
    mode: str,
    *,
    workload: str | None = None,
    block_size: int | None = None,
    lora: bool | None = None,
    tpf: float | None = None,
    engine: str | None = None,
) -> TpfChoice:
    """The tokens per forward for model x mode x workload x block size, from the user or the tables.

    Order: a user-given TPF; the table figure for this model, workload and block (own measurements before
    vendor before community; for self_spec the LoRA drafter unless lora=False); the sibling model's figure
    (nld-3b/14b borrow nld-8b's) scaled by the ratio of their averages; for a mode without a figure on
    the workload (diffusion), its benchmark average x self_spec's workload / average ratio
    (workload_transfer). A figure for another block size is scaled by the published TPF-vs-block
    curve (block_curves.py: the workload's own benchmarks where measured at several blocks, else the mean of the
    engine's study; `engine` an estimator engine class, None = SGLang). Anything but an exact table match is flagged
    `assumed`.
    workload None means the SPEED-Bench average (acceptance lengths, Table 10), the mix the bundled
    throughput profiles were measured on; "average" means the paper's 10-benchmark average (Table 5).
    """
    if mode not in MODEL_MODES:
        raise ValueError(f"no cycle model for mode {mode!r}; known: {', '.join(MODEL_MODES)}")
    name = workload or SPEED_BENCH
    if mode == "ar":
        return TpfChoice(1.0, None, "AR: one token per forward", False, name)
    if tpf is not None:
        value = _check_positive(tpf, "tpf")
        return TpfChoice(value, accept_length_of(mode, value), f"user-given TPF {value:g}", False, name)
    block = block_size or (DEFAULT_BLOCK_SIZE if mode in ("diffusion", "self_spec") else None)
    if mode == "self_spec" and lora is None:
        lora = True  # the checkpoints ship the LoRA drafter; the paper's headline numbers use it

    notes: list[str] = []
    assumed = False
    entry: TpfEntry | None = None
    ratio = 1.0
    # Own figures first, then the sibling's (nld-3b/14b borrow nld-8b's) scaled by the ratio of their averages;
    # for each, the exact workload first, then the mode's benchmark average moved by self_spec's workload ratio.
    for source_model in (model, _SIBLING.get(model)):
        if source_model is None:
            continue
        scale = 1.0 if source_model == model else _average_ratio(table, model, source_model, mode, lora)
        borrowed = f"{model} has no {name} figure: {source_model}'s x {scale:.2f} (ratio of their averages)"
        entry = _find(table, source_model, mode, name, block, lora)
        if entry is not None:
            ratio = scale
            if source_model != model:
                assumed = True
                notes.append(borrowed)
            break
        average = _find(table, source_model, mode, "average", block, lora) if mode != "self_spec" else None
        transfer = workload_transfer(table, source_model, name) if name.casefold() != "average" else None
        if average is not None and transfer is not None:
            entry, ratio = average, scale * transfer
            assumed = True
            if source_model != model:
                notes.append(borrowed)
            notes.append(
                f"no {name} figure for {mode}: its benchmark average x {transfer:.2f}, self_spec's {name} /"
                " benchmark-average TPF ratio"
            )
            break
    if entry is None:
        known = available_workloads(table, model, mode)
        hint = f"; known workloads: {', '.join(known)}" if known else ""
        raise LookupError(f"no tokens-per-forward figure for {model} {mode} on {name!r}{hint}; give tpf= instead")

    value = tokens_per_forward_of(mode, entry.metric, entry.value) * ratio
    entry_block = entry.block_size or (DEFAULT_BLOCK_SIZE if mode in ("diffusion", "self_spec") else None)
    if block is not None and entry_block is not None and block != entry_block:
        scale, curve = block_scale_of(table, block, entry_block, model=model, workload=workload, engine=engine)
        value *= scale
        assumed = True
        notes.append(f"block {block}: the block-{entry_block} figure x {scale:.2f} ({curve})")
    if mode == "self_spec" and block is not None:
        value = min(value, block / 2.0)
    if mode == "diffusion" and block is not None:
        value = min(value, float(block))
    lora_text = "" if entry.lora is None else (", LoRA drafter" if entry.lora else ", no LoRA")
    source = (
        f"{entry.provenance.kind} {entry.metric.replace('_', ' ')} {entry.value:g} on {entry.benchmark}"
        f"{f', block {entry.block_size}' if entry.block_size else ''}{lora_text} ({entry.provenance.source})"
    )
    if notes:
        source += "; " + "; ".join(notes)
    return TpfChoice(value, accept_length_of(mode, value), source, assumed, name, tuple(notes))


def workload_transfer(table: WorkloadTable, model: str, workload: str) -> float | None:
    """self_spec's TPF on `workload` / its TPF on the paper's benchmark average (nld-8b SPEED-Bench: 3.41 / 5.99).

    Carries a mode's benchmark-average TPF (diffusion: 2.57, the only diffusion figure published) over to a
    workload where only self_spec was measured, assuming the workload moves both modes' TPF alike.
    None when the tables lack either figure.
    """
    for m in (model, _SIBLING.get(model, "nld-8b")):
        on_workload = _find(table, m, "self_spec", workload, DEFAULT_BLOCK_SIZE, True)
        average = _find(table, m, "self_spec", "average", DEFAULT_BLOCK_SIZE, True)
        if on_workload is not None and average is not None:
            return tokens_per_forward_of("self_spec", on_workload.metric, on_workload.value) / tokens_per_forward_of(
                "self_spec", average.metric, average.value
            )
    return None


def speed_bench_transfer(table: WorkloadTable, model: str) -> float:
    """workload_transfer to the SPEED-Bench average (1 when unknown)."""
    ratio = workload_transfer(table, model, SPEED_BENCH)
    return 1.0 if ratio is None else ratio


def block_scale_of(
    table: WorkloadTable,
    block: int,
    reference_block: int,
    *,
    model: str = "nld-8b",
    workload: str | None = None,
    engine: str | None = None,
) -> tuple[float, str]:
    """TPF(block) / TPF(reference_block) and the curve it comes from, in words: the acceptance-vs-block curves of
    block_curves.py for the workload and engine where the table has them, else block_scale's published averages."""
    found = curve_scale(block_curves(table, model, workload, engine), block, reference_block)
    if found is not None:
        return found
    return block_scale(table, block, reference_block), "published TPF-vs-block curve"


def block_scale(table: WorkloadTable, block: int, reference_block: int) -> float:
    """TPF(block) / TPF(reference_block) from the published averages by block size.

    Uses the nld-8b self_spec averages measured at several block sizes (community reproduction: 8, 16,
    32) and the speed-of-light curve (4..32) where those are missing; log-linear in log2(block);
    clamped to the measured range (beyond 32 the block-32 figure is kept: no published curve).
    """
    curve = _block_curve(table)
    if not curve:
        return 1.0
    sizes = np.array(sorted(curve), dtype=np.float64)
    values = np.array([curve[int(s)] for s in sizes], dtype=np.float64)
    lx = np.log2(sizes)
    ly = np.log(values)

    def at(b: int) -> float:
        return float(np.exp(np.interp(math.log2(b), lx, ly)))

    return at(block) / at(reference_block)


def _block_curve(table: WorkloadTable) -> dict[int, float]:
    """Average TPF by block size: nld-8b self_spec averages of one source measured at several blocks
    (the community reproduction: 8, 16, 32; first figure per block in file order), else the oracle curve."""
    for mode, kind in (("self_spec", "community"), ("self_spec", "vendor"), ("oracle_sol", "vendor")):
        out: dict[int, float] = {}
        for e in table.tpf:
            if (
                e.model == "nld-8b"
                and e.mode == mode
                and e.provenance.kind == kind
                and e.benchmark == "average"
                and e.metric == "tokens_per_forward"
                and e.block_size
                and e.lora is not False
            ):
                out.setdefault(e.block_size, e.value)
        if len(out) >= 2:
            return out
    return {}


def _find(
    table: WorkloadTable, model: str, mode: str, workload: str, block: int | None, lora: bool | None
) -> TpfEntry | None:
    """The best table entry for model/mode/workload: exact block first, own data before vendor before community."""
    key = workload.casefold()
    speed_bench_average = key == SPEED_BENCH
    candidates: Sequence[TpfEntry] = [
        e
        for e in table.tpf
        if e.model == model
        and e.mode == mode
        and (
            (e.benchmark.casefold() == "average" and e.metric == "accept_length")
            if speed_bench_average
            else (e.benchmark.casefold() == key and not (key == "average" and e.metric == "accept_length"))
        )
        and (lora is None or e.lora is None or e.lora == lora)
    ]
    if not candidates:
        return None

    def rank(e: TpfEntry) -> tuple[int, int, int]:
        block_rank = 0 if e.block_size == block else (1 if e.block_size is None else 2)
        lora_rank = 0 if (lora is None or e.lora == lora) else 1
        return (block_rank, lora_rank, _PROVENANCE_RANK.get(e.provenance.kind, 9))

    return min(candidates, key=rank)


def _average_ratio(table: WorkloadTable, model: str, sibling: str, mode: str, lora: bool | None) -> float:
    """avg TPF(model) / avg TPF(sibling) from the paper's averages (same mode and drafter, else self_spec's);
    1 if unknown."""

    def avg(m: str, mode_: str, lora_: bool | None) -> float | None:
        e = _find(table, m, mode_, "average", DEFAULT_BLOCK_SIZE, lora_)
        return e.value if e is not None and e.metric == "tokens_per_forward" else None

    # The mode's own averages, else self_spec's (with the LoRA drafter) as the size effect on TPF.
    for mode_, lora_ in ((mode, lora), ("self_spec", True)):
        mine, theirs = avg(model, mode_, lora_), avg(sibling, mode_, lora_)
        if mine is not None and theirs is not None:
            return mine / theirs
    return 1.0


def _check_block(block_size: int) -> int:
    if not isinstance(block_size, int | np.integer) or block_size < 1 or block_size > 4096:
        raise ValueError(f"block size must be an integer in 1..4096, got {block_size!r}")
    return int(block_size)


def _check_positive(value: float, what: str) -> float:
    v = float(value)
    if not math.isfinite(v) or v <= 0:
        raise ValueError(f"{what} must be a positive number, got {value!r}")
    return v
