"""GuideLLM's `benchmarks.json` (GenerativeBenchmarksReport): one entry per benchmark of a sweep.

Read per benchmark: `metrics.<metric>.successful.{mean,median,percentiles.p99}` of
output_tokens_per_second, tokens_per_second, prompt_tokens_per_second, time_to_first_token_ms,
time_per_output_token_ms, request_latency (seconds), prompt/output_token_count, request_concurrency;
the request totals; and the strategy (`config.strategy` or `args.strategy`: synchronous = 1,
concurrent = streams; rate-based strategies are placed at their measured mean concurrency, noted).

GuideLLM <= 0.3 (request_totals and args at the benchmark's level, no `config`): its
`tokens_per_second.mean` is a mean over a distribution in time, not the run's tokens per second, so the
throughputs are derived from the successful requests' token counts and the benchmark's duration.
The model comes from the report's args (or the worker's backend_model); GPU, mode, precision and engine are
not in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calculator.data.importers._common import (
    Context,
    RawPoint,
    Reader,
    derived_concurrency,
    dig,
    first_of,
    scaled,
    stated_count,
    sub,
)
from calculator.data.importers._ids import model_id

_STAT_PATHS: dict[str, tuple[str, ...]] = {
    "mean": ("mean",),
    "median": ("median",),
    "p50": ("percentiles", "p50"),
    "p99": ("percentiles", "p99"),
    "sum": ("total_sum",),
    "count": ("count",),
}
_LATENCIES: tuple[tuple[str, str, str, float], ...] = (
    ("ttft_ms_p50", "time_to_first_token_ms", "p50", 1.0),
    ("ttft_ms_p99", "time_to_first_token_ms", "p99", 1.0),
    ("tpot_ms_p50", "time_per_output_token_ms", "p50", 1.0),
    ("tpot_ms_p99", "time_per_output_token_ms", "p99", 1.0),
    ("e2e_ms_p50", "request_latency", "p50", 1000.0),  # GuideLLM writes request_latency in seconds
)
_RATES: tuple[tuple[str, str], ...] = (
    ("output_tok_s", "output_tokens_per_second"),
    ("total_tok_s", "tokens_per_second"),
    ("input_tok_s", "prompt_tokens_per_second"),
)
_BENCH_READ = frozenset({"metrics", "config", "args", "strategy", "request_totals", "duration", "worker"})
_DOC_READ = frozenset({"benchmarks", "metadata", "args"})


class _Metrics:
    """Reads `metrics.<metric>.successful.<stat>` of one benchmark and remembers which metrics it read."""

    def __init__(self, metrics: Mapping[str, Any], where: str, reader: Reader) -> None:
        self.metrics, self.where, self.reader = metrics, where, reader
        self.read: set[str] = set()

    def stat(self, metric: str, which: str, scale: float = 1.0) -> tuple[float | None, str]:
        self.read.add(metric)
        block = self.metrics.get(metric)
        dist = block.get("successful", block) if isinstance(block, Mapping) else None
        path = _STAT_PATHS[which]
        value = dig(dist, *path)
        loc = sub(sub(sub(self.where, metric), "successful"), ".".join(path))
        if value is None and which == "p50":
            value = dig(dist, "median")
        number = self.reader.as_number(value, loc) if value is not None else None
        return (scaled(number, scale) if number is not None else None), loc


def parse_guidellm(doc: Mapping[str, Any], ctx: Context, reader: Reader) -> tuple[list[RawPoint], list[str]]:
    """One RawPoint per benchmark; problems go to `reader`."""
    notes: list[str] = []
    raws: list[RawPoint] = []
    benchmarks = doc.get("benchmarks")
    if not isinstance(benchmarks, list) or not benchmarks:
        reader.problem("benchmarks", "expected a non-empty list of benchmarks")
        return raws, notes
    version = dig(doc, "metadata", "guidellm_version")
    if isinstance(version, str):
        notes.append(f"guidellm {version}")
    reader.unread(doc, _DOC_READ)
    report_model = first_of(doc, (("args", "model"), ("args", "backend_kwargs", "model")))
    for i, bench in enumerate(benchmarks):
        where = f"benchmarks[{i}]"
        if not isinstance(bench, Mapping):
            reader.problem(where, "expected an object (one benchmark)")
            continue
        metrics = bench.get("metrics")
        if not isinstance(metrics, Mapping):
            reader.problem(sub(where, "metrics"), "missing metrics")
            continue
        raw = _benchmark(bench, metrics, where, raw_model=report_model, reader=reader)
        if raw is not None:
            raws.append(raw)
    return raws, notes


def _benchmark(
    bench: Mapping[str, Any], metrics: Mapping[str, Any], where: str, *, raw_model: Any, reader: Reader
) -> RawPoint | None:
    raw = RawPoint(where)
    p = raw.point
    m = _Metrics(metrics, sub(where, "metrics"), reader)
    legacy = "config" not in bench and ("request_totals" in bench or "args" in bench)
    if legacy:
        _legacy_throughputs(bench, m, raw, reader)
    else:
        for target, metric in _RATES:
            value, loc = m.stat(metric, "mean")
            raw.sources[target] = loc
            if value is not None:
                p[target] = value
    for target, metric, which, scale in _LATENCIES:
        value, loc = m.stat(metric, which, scale)
        raw.sources[target] = loc
        if value is not None:
            p[target] = value

    totals_at = "request_totals" if legacy else "metrics.request_totals"
    totals = bench.get("request_totals") if legacy else metrics.get("request_totals")
    m.read.add("request_totals")
    if isinstance(totals, Mapping):
        for target, key in (("requests_completed", "successful"), ("requests_failed", "errored")):
            count = reader.num(totals, key, sub(where, totals_at))
            if count is not None:
                p[target] = round(count)

    _goodput(bench, metrics, where, raw, m.read, reader)
    if not _concurrency(bench, m, raw, reader):
        return None
    meta = raw.meta
    model = raw_model or first_of(bench, (("config", "backend", "model"), ("worker", "backend_model")))
    if isinstance(model, str) and model.strip():
        meta["model"] = model_id(model)
        meta["model_name"] = model
        raw.sources["model"] = "args.model" if raw_model else sub(where, "worker.backend_model")
    isl, _ = m.stat("prompt_token_count", "mean")
    osl, _ = m.stat("output_token_count", "mean")
    meta.update(isl=isl, osl=osl, lengths_measured=True)
    reader.unread(bench, _BENCH_READ)
    reader.unread(metrics, m.read, "metrics")
    return raw


def _goodput(
    bench: Mapping[str, Any], metrics: Mapping[str, Any], where: str, raw: RawPoint, read: set[str], reader: Reader
) -> None:
    """A run measured against latency objectives (GuideLLM's `--metrics '{"kind": "generative", "slo": {...}}'`,
    which its `goodput` profile needs): `metrics.slo_attainment` (the share of the requests with a verdict that met
    every objective), `metrics.request_goodput.successful.mean` (requests/s that met them), and the objectives
    themselves, `config.slo.{ttft_ms, tpot_ms, e2el_ms}` (per request, in ms; vllm-project/guidellm
    `schemas/benchmark/goodput.py` GoodputSLO, `BenchmarkConfig.slo`). A plan is sized on the goodput only where
    these objectives are at least as strict as the user's (calculator/model/goodput_slo.py). An earlier nested form,
    `metrics.slo.{slo_attainment, request_goodput}`, is read too."""
    slo = metrics.get("slo")
    nested = isinstance(slo, Mapping)
    block: Mapping[str, Any] = slo if isinstance(slo, Mapping) else metrics
    at = sub(where, "metrics.slo") if nested else sub(where, "metrics")
    read.update({"slo", "slo_attainment", "request_goodput"})
    attained = reader.num(block, "slo_attainment", at)
    if attained is not None:
        if 0 <= attained <= 1:
            raw.point["slo_attainment"] = attained
            raw.sources["slo_attainment"] = sub(at, "slo_attainment")
        else:
            reader.problem(sub(at, "slo_attainment"), f"{attained:g} is not a share between 0 and 1")
    good = block.get("request_goodput")
    good_at = sub(at, "request_goodput")
    if isinstance(good, Mapping):  # a distribution over the run, as GuideLLM writes its rates
        good, good_at = dig(good, "successful", "mean"), sub(good_at, "successful.mean")
    goodput = reader.as_number(good, good_at) if good is not None else None
    if goodput is not None and goodput >= 0:
        raw.point["goodput_req_s"] = goodput
        raw.sources["goodput_req_s"] = good_at
    if nested:
        reader.unread(slo, {"slo_attainment", "request_goodput"}, "metrics.slo")
    objectives = dig(bench, "config", "slo")
    if not isinstance(objectives, Mapping):
        return
    cfg_at = sub(where, "config.slo")
    for key, target in (
        ("ttft_ms", "goodput_slo_ttft_ms"),
        ("tpot_ms", "goodput_slo_tpot_ms"),
        ("e2el_ms", "goodput_slo_e2el_ms"),
    ):
        value = reader.num(objectives, key, cfg_at)
        if value is None:
            continue
        if value <= 0:
            reader.problem(sub(cfg_at, key), f"{value:g} ms is not a latency objective")
            continue
        raw.point[target] = value
        raw.sources[target] = sub(cfg_at, key)
    reader.unread(objectives, {"ttft_ms", "tpot_ms", "e2el_ms"}, "config.slo")


def _legacy_throughputs(bench: Mapping[str, Any], m: _Metrics, raw: RawPoint, reader: Reader) -> None:
    """GuideLLM <= 0.3: tokens/s = the successful requests' tokens / the benchmark's duration."""
    where = raw.where
    duration = reader.num(bench, "duration", where)
    if duration is None:
        start, end = reader.num(bench, "start_time", where), reader.num(bench, "end_time", where)
        duration = end - start if start is not None and end is not None else None
    raw.sources["output_tok_s"] = sub(where, "metrics.output_token_count.successful.total_sum")
    if not duration or duration <= 0:
        reader.problem(sub(where, "duration"), "missing: GuideLLM <= 0.3 throughput needs the benchmark's duration")
        return
    sums: dict[str, float] = {}
    for metric in ("output_token_count", "prompt_token_count"):
        total, _ = m.stat(metric, "sum")
        if total is None:
            mean, _ = m.stat(metric, "mean")
            count, _ = m.stat(metric, "count")
            total = mean * count if mean is not None and count is not None else None
        if total is not None:
            sums[metric] = total
    if "output_token_count" not in sums:
        reader.problem(raw.sources["output_tok_s"], "missing: no output token count to derive the throughput from")
        return
    out = sums["output_token_count"]
    raw.point["output_tok_s"] = out / duration
    if "prompt_token_count" in sums:
        raw.point["input_tok_s"] = sums["prompt_token_count"] / duration
        raw.point["total_tok_s"] = (sums["prompt_token_count"] + out) / duration
    raw.note(
        f"{where}: tokens/s derived as the successful requests' tokens / duration {duration:.4g} s "
        "(GuideLLM <= 0.3: its tokens_per_second.mean is a mean over time, not the run's throughput)"
    )


def _concurrency(bench: Mapping[str, Any], m: _Metrics, raw: RawPoint, reader: Reader) -> bool:
    """The benchmark's concurrency from its strategy (measured mean for rate-based ones); False if none."""
    where, p = raw.where, raw.point
    strategy = first_of(bench, (("config", "strategy"), ("args", "strategy"), ("strategy",)))
    kind = str(dig(strategy, "type_") or dig(strategy, "type") or "")
    sw = sub(where, "config.strategy" if "config" in bench else "args.strategy")
    if kind == "synchronous":
        p["concurrency"] = 1
        raw.sources["concurrency"] = sw
        return True
    if kind == "concurrent":
        streams = reader.num(strategy, "streams", sw, required=True)
        raw.sources["concurrency"] = sub(sw, "streams")
        conc = None if streams is None else stated_count(streams, sub(sw, "streams"), reader)
        if conc is None:
            return False
        p["concurrency"] = conc
        return True
    mean_conc, loc = m.stat("request_concurrency", "mean")
    raw.sources["concurrency"] = loc
    if mean_conc is None or mean_conc <= 0:
        reader.problem(loc, "no concurrency: neither a concurrent strategy nor a measured mean concurrency")
        return False
    p["concurrency"] = derived_concurrency(mean_conc)
    raw.note(f"{where}: {kind or 'rate-based'} benchmark placed at its measured mean concurrency {mean_conc:.4g}")
    reader.warn(loc, f"{kind or 'rate-based'} benchmark: concurrency {p['concurrency']} derived (its measured mean)")
    return True
