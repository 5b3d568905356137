"""`python -m measurements forward`: time one decoder forward over a grid of batch x query tokens x
context with torch (CUDA or CPU) and random weights, and write a ForwardCost profile after each point.

The model is a compact Llama/Mistral/Qwen3-style decoder written here in plain torch (no
transformers): RMSNorm, fused QKV with GQA and RoPE (optional QK-norm), fused SwiGLU MLP, lm_head,
and a preallocated KV cache of exactly `context + query` tokens per sequence. That gives exact
control of the cache and of the attention mask, and static shapes a CUDA graph can capture.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calculator.data.errors import InputError
from calculator.data.schema import DeviceInfo, ForwardCost, ForwardPoint, Provenance, slug
from measurements.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    IN_CHECKOUT,
    MEASURED_DIR,
    UserError,
    command_line,
    int_list,
    interrupted_code,
    interrupted_message,
    prepare_out,
    read_model_yaml,
    report_input_error,
    signals_interrupt,
    today,
    write_model_yaml,
)
from measurements.model_config import ArchConfig, bundled_configs, load_arch_config

GIB = 1024**3
SMALL_MODEL_PARAMS = 1e8  # below this a config gets the CPU-sized default grid
BYTES_PER_ELEMENT = {"fp32": 4, "bf16": 2, "fp16": 2}
ATTENTION_KINDS = ("causal", "block")


@dataclass(frozen=True)
class Grid:
    """The points to time; block attention is not timed at one query token (identical to causal there)."""

    batch: Sequence[int]
    query: Sequence[int]
    context: Sequence[int]
    attention: Sequence[str]

    def points(self) -> Iterator[tuple[str, int, int, int]]:
        for attention in self.attention:
            for batch in self.batch:
                for query in self.query:
                    if attention == "block" and query == 1:
                        continue
                    for context in self.context:
                        yield attention, batch, query, context


def default_grid(arch: ArchConfig) -> tuple[list[int], list[int], list[int]]:
    """Batch, query and context defaults: CPU-sized for small configs, serving-sized for real models."""
    if arch.params() < SMALL_MODEL_PARAMS:
        return [1, 4, 16], [1, 8, 16], [128, 1024, 4096]
    return [1, 8, 32], [1, 8, 16, 32], [512, 4096, 16384]


def point_key(attention: str, batch: int, query: int, context: int) -> str:
    """The grid coordinate as text; also the prefix of a `skipped` entry."""
    return f"batch={batch} query={query} context={context} attention={attention}"


# ---------------------------------------------------------------------------------------------
# The decoder


def attention_mask(kind: str, query: int, context: int, group: int, device: Any) -> Any:
    """Boolean mask (True = may attend) for `query` new tokens over a cache of `context + query` keys.

    Query rows are laid out as `group` copies of the `query` tokens (GQA folded into the KV heads).
    causal: token t sees the prefix and new tokens up to t (AR decode, self-spec verify, diffusion commit).
    block: every new token sees the whole prefix and the whole block (diffusion denoise, self-spec draft).
    Returns None when every key is visible (block attention, or causal with one token): SDPA then
    runs its fastest kernel, as a serving engine would.
    """
    import torch

    if kind == "block" or query == 1:
        return None
    token = torch.arange(group * query, device=device) % query
    keys = torch.arange(context + query, device=device)
    return (keys[None, :] <= (context + token)[:, None])[None, None]


def _rotate_half(x: Any) -> Any:
    import torch

    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def build_model(arch: ArchConfig, device: Any, dtype: Any) -> Any:
    """The decoder with random weights (normal, std 0.02), allocated directly on `device`."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    def linear(n_in: int, n_out: int) -> nn.Linear:
        layer: nn.Linear = nn.utils.skip_init(nn.Linear, n_in, n_out, bias=False, device=device, dtype=dtype)
        layer.weight.normal_(0.0, 0.02)
        return layer

    class RMSNorm(nn.Module):
        def __init__(self, dim: int) -> None:
            super().__init__()
            self.weight = nn.Parameter(torch.ones(dim, device=device, dtype=dtype))
            self.dim = dim

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out: torch.Tensor = F.rms_norm(x, (self.dim,), self.weight, arch.rms_norm_eps)
            return out

    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.qkv = linear(arch.hidden_size, arch.q_dim + 2 * arch.kv_dim)
            self.o = linear(arch.q_dim, arch.hidden_size)
            self.q_norm = RMSNorm(arch.head_dim) if arch.qk_norm else None
            self.k_norm = RMSNorm(arch.head_dim) if arch.qk_norm else None
            self.group = arch.num_heads // arch.num_kv_heads

        def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, k_cache: torch.Tensor,
                    v_cache: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            b, q, _ = x.shape
            hd, kvh, g = arch.head_dim, arch.num_kv_heads, self.group
            qs, ks, vs = self.qkv(x).split((arch.q_dim, arch.kv_dim, arch.kv_dim), dim=-1)
            qs, ks, vs = qs.view(b, q, kvh * g, hd), ks.view(b, q, kvh, hd), vs.view(b, q, kvh, hd)
            if self.q_norm is not None and self.k_norm is not None:
                qs, ks = self.q_norm(qs), self.k_norm(ks)
            qs = qs * cos + _rotate_half(qs) * sin
            ks = ks * cos + _rotate_half(ks) * sin
            # write the new tokens' K/V at the end of the cache (in place: CUDA-graph friendly)
            start = k_cache.shape[2] - q
            k_cache[:, :, start:].copy_(ks.transpose(1, 2))
            v_cache[:, :, start:].copy_(vs.transpose(1, 2))
            # GQA without repeating K/V: fold each KV head's query heads into its query rows
            qf = qs.view(b, q, kvh, g, hd).permute(0, 2, 3, 1, 4).reshape(b, kvh, g * q, hd)
            out = F.scaled_dot_product_attention(qf, k_cache, v_cache, attn_mask=mask)
            out = out.view(b, kvh, g, q, hd).permute(0, 3, 1, 2, 4).reshape(b, q, arch.q_dim)
            projected: torch.Tensor = self.o(out)
            return projected

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm1, self.norm2 = RMSNorm(arch.hidden_size), RMSNorm(arch.hidden_size)
            self.attn = Attention()
            self.gate_up = linear(arch.hidden_size, 2 * arch.intermediate_size)
            self.down = linear(arch.intermediate_size, arch.hidden_size)

        def forward(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, k_cache: torch.Tensor,
                    v_cache: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            h: torch.Tensor = x + self.attn(self.norm1(x), cos, sin, k_cache, v_cache, mask)
            gate, up = self.gate_up(self.norm2(h)).chunk(2, dim=-1)
            down: torch.Tensor = self.down(F.silu(gate) * up)
            return h + down

    class Decoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(arch.vocab_size, arch.hidden_size, device=device, dtype=dtype)
            self.embed.weight.normal_(0.0, 0.02)
            self.layers = nn.ModuleList(Layer() for _ in range(arch.num_layers))
            self.norm = RMSNorm(arch.hidden_size)
            self.lm_head = linear(arch.hidden_size, arch.vocab_size)
            if arch.tie_word_embeddings:
                self.lm_head.weight = self.embed.weight

        def forward(self, ids: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor, cache: torch.Tensor,
                    mask: torch.Tensor | None) -> torch.Tensor:
            x = self.embed(ids)
            for i, layer in enumerate(self.layers):
                x = layer(x, cos, sin, cache[i, 0], cache[i, 1], mask)
            logits: torch.Tensor = self.lm_head(self.norm(x))  # logits for the new tokens only
            return logits

    with torch.no_grad():
        model = Decoder().eval()
    return model.requires_grad_(False)


def rope_tables(arch: ArchConfig, query: int, context: int, device: Any, dtype: Any) -> tuple[Any, Any]:
    """cos and sin of the new tokens' positions (context ... context + query - 1), shaped [query, 1, head_dim]."""
    import torch

    half = arch.head_dim // 2
    inv_freq = 1.0 / (arch.rope_theta ** (torch.arange(half, dtype=torch.float64, device=device) * 2 / arch.head_dim))
    pos = torch.arange(context, context + query, dtype=torch.float64, device=device)
    angles = torch.outer(pos, inv_freq)
    angles = torch.cat((angles, angles), dim=-1)[:, None, :]
    return angles.cos().to(dtype), angles.sin().to(dtype)


def parameter_count(model: Any) -> int:
    """Parameters of a built model (shared tensors once)."""
    seen: dict[int, int] = {}
    for p in model.parameters():
        seen[id(p)] = p.numel()
    return sum(seen.values())


# ---------------------------------------------------------------------------------------------
# Memory and timing


def point_memory_bytes(arch: ArchConfig, batch: int, query: int, context: int, elt: int) -> int:
    """Memory one grid point needs beside the weights: KV cache, activations, logits, attention scratch."""
    tokens = batch * query
    kv = arch.kv_bytes_per_token(elt) * batch * (context + query)
    act = tokens * elt * (6 * arch.hidden_size + 3 * arch.q_dim + 4 * arch.kv_dim + 4 * arch.intermediate_size)
    logits = tokens * arch.vocab_size * elt
    scores = 3 * 4 * batch * arch.num_heads * query * (context + query)  # fp32 scores where a kernel materialises them
    mask = arch.num_heads // arch.num_kv_heads * query * (context + query)
    return int(kv + act + logits + scores + mask)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile of already sorted values."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    pos = fraction * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def capture_graph(step: Callable[[], Any], warmup: int) -> Callable[[], Any]:
    """Capture `step` in a CUDA graph (after warm-up on a side stream); returns the replay function."""
    import torch

    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(max(warmup, 2)):
            step()
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step()
    torch.cuda.synchronize()
    return graph.replay


def time_calls(call: Callable[[], Any], device: Any, warmup: int, repeats: int) -> list[float]:
    """Milliseconds per call: CUDA events around each call on GPU, perf_counter on CPU."""
    import torch

    for _ in range(warmup):
        call()
    times: list[float] = []
    if device.type == "cuda":
        torch.cuda.synchronize()
        for _ in range(repeats):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            call()
            end.record()
            end.synchronize()
            times.append(float(start.elapsed_time(end)))
    else:
        for _ in range(repeats):
            t0 = time.perf_counter()
            call()
            times.append((time.perf_counter() - t0) * 1e3)
    return times


def _ms(value: float) -> float:
    """A time for the file: 0.1 microsecond resolution, never zero."""
    return max(round(value, 4), 1e-4)


@dataclass
class PointResult:
    times_ms: list[float]
    cuda_graph: bool


def run_point(model: Any, arch: ArchConfig, attention: str, batch: int, query: int, context: int,
              device: Any, dtype: Any, warmup: int, repeats: int, use_graphs: bool) -> PointResult:
    """Time one grid point; the KV cache and inputs are allocated for it and freed afterwards."""
    import torch

    total = context + query
    cache = torch.full((arch.num_layers, 2, batch, arch.num_kv_heads, total, arch.head_dim), 0.02,
                       device=device, dtype=dtype)
    ids = torch.randint(0, arch.vocab_size, (batch, query), device=device)
    cos, sin = rope_tables(arch, query, context, device, dtype)
    mask = attention_mask(attention, query, context, arch.num_heads // arch.num_kv_heads, device)

    def step() -> Any:
        return model(ids, cos, sin, cache, mask)

    call: Callable[[], Any] = step
    graphed = False
    if device.type == "cuda" and use_graphs:
        try:
            call = capture_graph(step, warmup)
            graphed = True
        except RuntimeError as e:  # some kernels refuse capture; eager timing still measures the hardware
            print(f"note: CUDA graph capture failed at {point_key(attention, batch, query, context)} ({e}); "
                  "timing without graphs", file=sys.stderr)
            torch.cuda.synchronize()
    times = time_calls(call, device, warmup=1 if graphed else warmup, repeats=repeats)
    return PointResult(times, graphed)


# ---------------------------------------------------------------------------------------------
# The command


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of `forward`."""
    p.add_argument("--model-config", required=True, metavar="NAME|PATH",
                   help=f"bundled config ({', '.join(bundled_configs())}) or a path to a config.json")
    p.add_argument("--device", choices=("auto", "cuda", "cpu"), default="auto", help="default: cuda if present")
    p.add_argument("--dtype", choices=("auto", "bf16", "fp16", "fp32"), default="auto",
                   help="default: bf16 on cuda, fp32 on cpu")
    p.add_argument("--batch", type=int_list, help="sequences per forward, e.g. 1,8,32")
    p.add_argument("--query", type=int_list, help="new tokens per sequence, e.g. 1,8,16,32 (1 = AR decode)")
    p.add_argument("--context", type=int_list, help="tokens already in the KV cache, e.g. 512,4096,16384")
    p.add_argument("--attention", choices=("causal", "block", "both"), default="both")
    p.add_argument("--repeats", type=int, help="timed repeats per point (default 20 on cuda, 5 on cpu)")
    p.add_argument("--warmup", type=int, help="untimed calls before timing (default 3 on cuda, 1 on cpu)")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads for torch (default 1: steadier timings on a small or shared machine)")
    p.add_argument("--no-cuda-graphs", action="store_true", help="time eager launches instead of CUDA graphs")
    p.add_argument("--out", type=Path, help="default: hardware_profiles/measured/forward-<model>-<device>-<dtype>.yaml"
                   " (installed with pip: ./measured/...)")
    p.add_argument("--resume", action="store_true", help="continue --out, skipping points already in it")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.add_argument("--check-roofline", action="store_true",
                   help="after the run, print achieved bandwidth and FLOP/s against the GPU's datasheet")


def pick_device(choice: str) -> Any:
    """The torch device for --device, or UserError when CUDA is asked for and absent."""
    import torch

    if choice == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    if choice == "cuda":
        raise UserError("--device cuda: torch sees no CUDA device (torch.cuda.is_available() is False). "
                        "Install the CUDA build of torch on a GPU machine, or use --device cpu.")
    return torch.device("cpu")


def available_bytes(device: Any) -> int | None:
    """Memory free for this run now: the GPU's free memory, or the OS's MemAvailable."""
    import torch

    from measurements.gpu import memory_available_bytes

    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    return memory_available_bytes()


def _skip_key(entry: str) -> str:
    return entry.split(":", 1)[0]


def _check_resume(old: ForwardCost, new: ForwardCost, out: Path) -> None:
    same = (old.model, old.precision, old.device.name, old.gpu, old.arch) == (
        new.model, new.precision, new.device.name, new.gpu, new.arch)
    if not same:
        raise UserError(
            f"--resume: {out} holds {old.model} {old.precision} on {old.device.name!r}, this run is "
            f"{new.model} {new.precision} on {new.device.name!r}; choose another --out"
        )


def run(args: argparse.Namespace, argv: Sequence[str] | None = None,
        on_point: Callable[[ForwardPoint], None] | None = None) -> int:
    """Run the forward sweep; `on_point` is called after each point is written (tests use it)."""
    import torch
    from tqdm import tqdm

    from measurements.gpu import describe_device, device_id

    arch = load_arch_config(args.model_config)
    device = pick_device(args.device)
    cuda = device.type == "cuda"
    precision = args.dtype if args.dtype != "auto" else ("bf16" if cuda else "fp32")
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    elt = BYTES_PER_ELEMENT[precision]
    repeats = args.repeats if args.repeats is not None else (20 if cuda else 5)  # 0 is refused, not 5
    warmup = args.warmup if args.warmup is not None else (3 if cuda else 1)
    if repeats < 1 or warmup < 0 or args.threads < 1:
        raise UserError("--repeats and --threads must be at least 1, --warmup at least 0")
    if not cuda:
        torch.set_num_threads(args.threads)
    d_batch, d_query, d_context = default_grid(arch)
    grid = Grid(args.batch or d_batch, args.query or d_query, args.context or d_context,
                ATTENTION_KINDS if args.attention == "both" else (args.attention,))

    weights = arch.weight_bytes(elt)
    free = available_bytes(device)
    if free is not None and weights > 0.9 * free:
        where = "GPU memory free" if cuda else "memory available"
        hint = "use a GPU with more memory" if cuda else "run on a GPU (--device cuda), or use --model-config tiny"
        raise UserError(
            f"{arch.name} in {precision} needs {weights / GIB:.1f} GiB for its weights; this machine has "
            f"{free / GIB:.1f} GiB {where}. {hint}."
        )

    info: DeviceInfo = describe_device(device)
    model_id = slug(arch.name)[:40]
    out: Path = args.out or MEASURED_DIR / f"forward-{model_id}-{device_id(info)}-{precision}.yaml"
    resuming = prepare_out(out, args.resume, args.overwrite)
    args.resolved_out = out  # for main's message after an interruption

    cost = ForwardCost(
        id=slug(f"forward-{model_id}-{device_id(info)}-{precision}")[:64],
        gpu=info.gpu,
        device=info,
        model=model_id,
        arch=arch.to_model_arch(),
        precision=precision,
        weights="random",
        provenance=Provenance(kind="measured", source=f"measurements forward on {info.name} ({info.host})",
                              date=today()),
        command=command_line(argv),
    )
    done: dict[str, ForwardPoint] = {}
    skipped: dict[str, str] = {}
    if resuming:
        old = read_model_yaml(out, ForwardCost)
        _check_resume(old, cost, out)
        done = {point_key(p.attention, p.batch, p.query_tokens, p.context_tokens): p for p in old.points}
        skipped = {_skip_key(s): s for s in old.skipped}

    todo = [pt for pt in grid.points() if point_key(*pt) not in done]
    print(f"forward: {arch.name} ({arch.params() / 1e9:.3g} B params, {precision}) on {info.name}; "
          f"{len(todo)} points to time, {len(done)} already in {out}", file=sys.stderr)

    model = build_model(arch, device, dtype)
    graphs_used: set[bool] = set()

    def save() -> None:
        cost.points = sorted(done.values(), key=lambda p: (p.attention, p.batch, p.query_tokens, p.context_tokens))
        cost.skipped = sorted(skipped.values())
        timer = "CUDA events" if cuda else "time.perf_counter"
        graphs = {frozenset({True}): "CUDA graphs", frozenset({False}): "eager launches"}.get(
            frozenset(graphs_used), "CUDA graphs where capture worked" if graphs_used else "")
        cost.provenance = cost.provenance.model_copy(update={"notes": (
            f"random weights; {timer}; warm-up {warmup}, median/p10/p90 of {repeats} repeats"
            + ("" if cuda else f"; {args.threads} CPU thread(s)")
            + (f"; {graphs}" if cuda and graphs else "")
            + "; bytes_per_forward/flops_per_forward from measurements.model_config")})
        write_model_yaml(out, cost, header="Forward-pass cost surface written by `python -m measurements forward`.")

    save()
    with torch.inference_mode():
        bar = tqdm(todo, unit="point", disable=None, file=sys.stderr)
        for attention, batch, query, context in bar:
            key = point_key(attention, batch, query, context)
            bar.set_postfix_str(key)
            skipped.pop(key, None)
            need = point_memory_bytes(arch, batch, query, context, elt)
            free = available_bytes(device)
            if context + query > arch.max_position_embeddings:
                skipped[key] = f"{key}: beyond max_position_embeddings {arch.max_position_embeddings}"
            elif free is not None and need > 0.9 * free:
                skipped[key] = f"{key}: needs ~{need / GIB:.1f} GiB beside the weights, {free / GIB:.1f} GiB free"
            else:
                try:
                    result = run_point(model, arch, attention, batch, query, context, device, dtype,
                                       warmup, repeats, not args.no_cuda_graphs)
                except torch.OutOfMemoryError:
                    skipped[key] = f"{key}: out of memory (estimated ~{need / GIB:.1f} GiB beside the weights)"
                    result = None
                if cuda:
                    torch.cuda.empty_cache()
                if result is not None:
                    graphs_used.add(result.cuda_graph)
                    times = sorted(result.times_ms)
                    done[key] = ForwardPoint(
                        batch=batch, query_tokens=query, context_tokens=context, attention=attention,
                        time_ms_median=_ms(statistics.median(times)),
                        time_ms_p10=_ms(percentile(times, 0.1)),
                        time_ms_p90=_ms(percentile(times, 0.9)),
                        repeats=repeats,
                        bytes_per_forward=arch.forward_bytes(batch, query, context, elt),
                        flops_per_forward=arch.forward_flops(batch, query, context),
                    )
            save()
            if on_point is not None and key in done:
                on_point(done[key])
        bar.close()
    print(f"wrote {out}: {len(cost.points)} points, {len(cost.skipped)} skipped", file=sys.stderr)
    for entry in cost.skipped:
        print(f"  skipped {entry}", file=sys.stderr)
    if IN_CHECKOUT:
        print(
            f"next: `streamlit run app.py` and open the Forward passes page (files under hardware_profiles/measured/ "
            f"load automatically; press 'Reload measured files' if the app is already running), or check the file "
            f"with `python -m calculator validate {out}`",
            file=sys.stderr,
        )
    else:
        print(
            f"next: check the file with `nld-cost validate {out}`; `nld-cost estimate --data {out} ...` fits the "
            f"estimator to it too",
            file=sys.stderr,
        )
    if args.check_roofline:
        from measurements.roofline import print_report

        print_report(cost)
    if not cost.points:
        print("error: every point was skipped (see above); nothing could be measured", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _points_in(path: Path | None) -> int:
    """How many points a forward file holds (0 when it does not exist or cannot be read)."""
    if path is None or not path.is_file():
        return 0
    try:
        return len(read_model_yaml(path, ForwardCost).points)
    except InputError:
        return 0


def main(args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    """Entry point of `forward`: user errors exit 2, 1 when every point was skipped, Ctrl-C exits 130 (SIGTERM
    143, SIGHUP 129) keeping finished points."""
    try:
        with signals_interrupt():
            return run(args, argv)
    except InputError as e:
        return report_input_error(e)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt as e:
        out = getattr(args, "resolved_out", None)
        print(f"\n{interrupted_message(e, out if _points_in(out) else None, 'points')}", file=sys.stderr)
        return interrupted_code(e)
