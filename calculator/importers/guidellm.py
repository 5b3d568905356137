"""GuideLLM's `benchmarks.json` (GenerativeBenchmarksReport): one entry per benchmark of a sweep.

Read per benchmark: `metrics.<metric>.successful.{mean,median,percentiles.p99}` of
output_tokens_per_second, tokens_per_second, prompt_tokens_per_second, time_to_first_token_ms,
time_per_output_token_ms, request_latency (seconds), prompt/output_token_count, request_concurrency;
`request_totals`; and the strategy (`config.strategy` or `args.strategy`: synchronous = 1,
concurrent = streams; rate-based strategies are placed at their measured mean concurrency).
The model comes from the report's args; GPU, mode, precision and engine are not in the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from calculator.importers._common import Context, RawPoint, Reader, dig, first_of, model_id, scaled, sub, whole

_STAT_PATHS: dict[str, tuple[str, ...]] = {
    "mean": ("mean",),
    "median": ("median",),
    "p50": ("percentiles", "p50"),
    "p99": ("percentiles", "p99"),
}


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
    report_model = first_of(doc, (("args", "model"), ("args", "backend_kwargs", "model")))
    for i, bench in enumerate(benchmarks):
        where = f"benchmarks[{i}]"
        if not isinstance(bench, Mapping):
            reader.problem(where, "expected an object (one benchmark)")
            continue
        metrics = bench.get("metrics")
        mw = sub(where, "metrics")
        if not isinstance(metrics, Mapping):
            reader.problem(mw, "missing metrics")
            continue
        raw = RawPoint(where)
        p = raw.point

        def stat(
            metric: str, which: str, scale: float = 1.0, *, mw: str = mw, metrics: Mapping[str, Any] = metrics
        ) -> tuple[float | None, str]:
            block = metrics.get(metric)
            dist = block.get("successful", block) if isinstance(block, Mapping) else None
            path = _STAT_PATHS[which]
            value = dig(dist, *path)
            loc = sub(sub(sub(mw, metric), "successful"), ".".join(path))
            if value is None and which == "p50":
                value = dig(dist, "median")
            number = reader.as_number(value, loc) if value is not None else None
            return (scaled(number, scale) if number is not None else None), loc

        for target, metric, which, scale in (
            ("output_tok_s", "output_tokens_per_second", "mean", 1.0),
            ("total_tok_s", "tokens_per_second", "mean", 1.0),
            ("input_tok_s", "prompt_tokens_per_second", "mean", 1.0),
            ("ttft_ms_p50", "time_to_first_token_ms", "p50", 1.0),
            ("ttft_ms_p99", "time_to_first_token_ms", "p99", 1.0),
            ("tpot_ms_p50", "time_per_output_token_ms", "p50", 1.0),
            ("tpot_ms_p99", "time_per_output_token_ms", "p99", 1.0),
            ("e2e_ms_p50", "request_latency", "p50", 1000.0),  # GuideLLM writes request_latency in seconds
        ):
            value, loc = stat(metric, which, scale)
            raw.sources[target] = loc
            if value is not None:
                p[target] = value

        totals = metrics.get("request_totals") if isinstance(metrics.get("request_totals"), Mapping) else None
        if totals is not None:
            for target, key in (("requests_completed", "successful"), ("requests_failed", "errored")):
                count = reader.num(totals, key, sub(mw, "request_totals"))
                if count is not None:
                    p[target] = round(count)

        strategy = first_of(bench, (("config", "strategy"), ("args", "strategy"), ("strategy",)))
        kind = str(dig(strategy, "type_") or dig(strategy, "type") or "")
        sw = sub(where, "config.strategy")
        if kind == "synchronous":
            p["concurrency"] = 1
        elif kind == "concurrent":
            streams = reader.num(strategy, "streams", sw, required=True)
            raw.sources["concurrency"] = sub(sw, "streams")
            if streams is None:
                continue
            p["concurrency"] = whole(streams) or 0
        else:
            mean_conc, loc = stat("request_concurrency", "mean")
            raw.sources["concurrency"] = loc
            if mean_conc is None or mean_conc < 0.5:
                reader.problem(loc, "no concurrency: neither a concurrent strategy nor a measured mean concurrency")
                continue
            p["concurrency"] = round(mean_conc)
            notes.append(f"{kind or 'rate-based'} benchmarks are placed at their measured mean concurrency")

        meta = raw.meta
        model = report_model or first_of(bench, (("config", "backend", "model"), ("worker", "backend_model")))
        if isinstance(model, str) and model.strip():
            meta["model"] = model_id(model)
            raw.sources["model"] = "args.model"
        isl, _ = stat("prompt_token_count", "mean")
        osl, _ = stat("output_token_count", "mean")
        meta.update(isl=isl, osl=osl, lengths_measured=True)
        raws.append(raw)
    return raws, notes
