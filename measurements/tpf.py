"""`python -m measurements tpf`: tokens per forward of Nemotron-Labs-Diffusion with real weights,
per prompt category, from the model's own generate functions (HF remote code), into a WorkloadTable.

TPF = generated tokens / forward passes, where the forward count is the `nfe` the model's
`ar_generate`, `generate` (diffusion) or `linear_spec_generate` (self-speculation) returns, and the
generated tokens are counted up to and including the first end-of-sequence token.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calculator.data.errors import InputError, Problem
from calculator.data.loader import decode_text, parse_json, read_bytes
from calculator.data.schema import Provenance, TpfEntry, WorkloadTable, slug
from measurements.common import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNAVAILABLE,
    MEASURED_TPF_DIR,
    UserError,
    command_line,
    prepare_out,
    report_input_error,
    today,
    write_model_yaml,
)

MODES = ("ar", "diffusion", "self_spec")
MAX_PROMPTS = 100_000
DEFAULT_CATEGORY = "all"


@dataclass(frozen=True)
class PromptRow:
    prompt: str
    category: str
    line: int


def parse_prompts(text: str, file: str) -> list[PromptRow]:
    """Prompts JSONL: one object per line with `prompt` (text) and optional `category` (default 'all').

    Other keys are ignored; blank lines are skipped; every bad line is reported with its number.
    """
    rows: list[PromptRow] = []
    problems: list[Problem] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = parse_json(line, file)
        except InputError:
            problems.append(Problem(file, f"line {n}", 'not JSON; expected {"prompt": ..., "category": ...}'))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem(file, f"line {n}", "expected a JSON object with a `prompt` key"))
            continue
        prompt, category = obj.get("prompt"), obj.get("category", DEFAULT_CATEGORY)
        if not isinstance(prompt, str) or not prompt.strip():
            problems.append(Problem(file, f"line {n}.prompt", "missing or empty; expected the prompt text"))
            continue
        if not isinstance(category, str) or not category.strip() or len(category) > 100:
            problems.append(Problem(file, f"line {n}.category", "expected a short text like coding or math"))
            continue
        rows.append(PromptRow(prompt, category.strip(), n))
    if len(rows) > MAX_PROMPTS:
        problems.append(Problem(file, "file", f"{len(rows)} prompts; at most {MAX_PROMPTS}"))
    if not rows and not problems:
        problems.append(Problem(file, "file", "no prompts"))
    if problems:
        raise InputError(problems)
    return rows


def read_prompts(path: Path) -> list[PromptRow]:
    """Read and parse a prompts file (size-capped, UTF-8 checked)."""
    name = str(path)
    return parse_prompts(decode_text(read_bytes(path), name), name)


def count_generated(tokens: Sequence[int], prompt_len: int, eos_ids: set[int]) -> int:
    """Generated tokens of one output: drop the echoed prompt, stop after the first EOS."""
    seq = list(tokens)
    generated = seq[prompt_len:] if len(seq) > prompt_len else seq
    for i, tok in enumerate(generated):
        if tok in eos_ids:
            return i + 1
    return len(generated)


@dataclass
class CategoryTotals:
    prompts: int = 0
    tokens: int = 0
    forwards: int = 0

    @property
    def tpf(self) -> float:
        return self.tokens / self.forwards if self.forwards else 0.0


def aggregate(results: Sequence[tuple[str, int, int]]) -> dict[str, CategoryTotals]:
    """Per-category totals (and 'average' over all prompts) from (category, tokens, forwards) rows.

    TPF of a category is total tokens / total forwards (token-weighted), as the paper counts it.
    """
    totals: dict[str, CategoryTotals] = {}
    for category, tokens, forwards in results:
        for key in (category, "average"):
            t = totals.setdefault(key, CategoryTotals())
            t.prompts += 1
            t.tokens += tokens
            t.forwards += forwards
    return totals


def workload_table(totals: dict[str, CategoryTotals], model_id: str, mode: str, block: int | None,
                   lora: bool, notes: str, source: str) -> WorkloadTable:
    """The WorkloadTable of TpfEntry rows (provenance measured) for the categories measured."""
    entries = [
        TpfEntry(
            model=model_id, mode=mode, metric="tokens_per_forward", value=t.tpf, benchmark=category,
            block_size=block, lora=lora if mode == "self_spec" else None,
            notes=f"{t.prompts} prompts, {t.tokens} tokens, {t.forwards} forwards; {notes}",
            provenance=Provenance(kind="measured", source=source, date=today()),
        )
        for category, t in sorted(totals.items())
        if t.forwards > 0 and t.tokens > 0
    ]
    return WorkloadTable(tpf=entries)


# ---------------------------------------------------------------------------------------------
# The command


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of `tpf`."""
    p.add_argument("--model", required=True, type=Path, metavar="PATH",
                   help="local copy of the weights (e.g. huggingface-cli download nvidia/Nemotron-Labs-Diffusion-8B)")
    p.add_argument("--mode", required=True, choices=MODES)
    p.add_argument("--block", type=int, default=32, help="block length (diffusion, self_spec); default 32")
    p.add_argument("--threshold", type=float, default=0.9, help="confidence threshold (diffusion); default 0.9")
    p.add_argument("--lora", type=Path, metavar="PATH", help="LoRA drafter adapter folder (self_spec), needs peft")
    p.add_argument("--prompts", required=True, type=Path, metavar="FILE",
                   help="JSONL, one {\"prompt\": ..., \"category\": ...} per line")
    p.add_argument("--max-new-tokens", type=int, default=512)
    p.add_argument("--model-id", help="model id for the table (default: derived from the path, e.g. nld-8b)")
    p.add_argument("--out", type=Path, help="default: hardware_profiles/workloads/measured-tpf-<model>-<mode>.yaml"
                   " (installed with pip: ./measured/...)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    p.add_argument("--trust-remote-code", action="store_true",
                   help="run the checkpoint's own Python code (NLD's generate functions live there): read it first")


def check_environment(args: argparse.Namespace) -> None:
    """Refuse early, with what to do, when weights, packages or a GPU are missing."""
    if not 1 <= args.block <= 4096:
        raise UserError("--block must be between 1 and 4096")
    if not 0 < args.threshold <= 1:
        raise UserError("--threshold must be in (0, 1]")
    if args.max_new_tokens < 1:
        raise UserError("--max-new-tokens must be at least 1")
    if not (args.model / "config.json").is_file():
        raise UserError(
            f"--model {args.model}: no config.json there. `tpf` needs a local copy of the real weights, e.g. "
            "huggingface-cli download nvidia/Nemotron-Labs-Diffusion-8B --local-dir PATH"
        )
    if not args.trust_remote_code:
        raise UserError(
            f"--model {args.model}: the checkpoint's generate functions are its own Python code ({args.model}/*.py), "
            "which loading runs with your permissions; read it, then give --trust-remote-code to run it"
        )
    if args.lora is not None and not args.lora.is_dir():
        raise UserError(f"--lora {args.lora}: no such folder (the adapter is the repo's linear_spec_lora/ folder)")
    if args.lora is not None and args.mode != "self_spec":
        raise UserError("--lora applies to --mode self_spec only (the drafter adapter)")
    missing = [m for m in ("transformers",) + (("peft",) if args.lora else ()) if importlib.util.find_spec(m) is None]
    if missing:
        raise UserError(f"`tpf` needs {' and '.join(missing)} (>= 5.0 for transformers): pip install "
                        f"'transformers>=5' {'peft' if 'peft' in missing else ''}".rstrip())
    import torch

    if not torch.cuda.is_available():
        raise UserError("`tpf` runs the real model and needs a CUDA GPU; torch sees none here")


def _generate(model: Any, mode: str, ids: Any, args: argparse.Namespace) -> tuple[Any, int]:
    if mode == "ar":
        out = model.ar_generate(ids, max_new_tokens=args.max_new_tokens)
    elif mode == "diffusion":
        out = model.generate(ids, max_new_tokens=args.max_new_tokens, block_length=args.block,
                             threshold=args.threshold)
    else:
        out = model.linear_spec_generate(ids, max_new_tokens=args.max_new_tokens, block_length=args.block)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise UserError(f"the model's {mode} generate function did not return (tokens, nfe); "
                        "is this a Nemotron-Labs-Diffusion checkpoint with its remote code?")
    tokens, nfe = out
    return tokens, int(nfe)


def run(args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    """Measure TPF per category and write the table after every prompt."""
    prompts = read_prompts(args.prompts)
    check_environment(args)
    from measurements.sglang_serving import model_id_for

    model_id = args.model_id or model_id_for(str(args.model.resolve()))
    if slug(model_id) != model_id:
        raise UserError(f"--model-id {model_id!r}: use an id like nld-8b")
    out: Path = args.out or MEASURED_TPF_DIR / f"measured-tpf-{model_id}-{args.mode}.yaml"
    prepare_out(out, False, args.overwrite)

    import torch
    from tqdm import tqdm
    from transformers import AutoModel, AutoTokenizer

    from measurements.gpu import describe_device

    device = torch.device("cuda", torch.cuda.current_device())
    info = describe_device(device)
    trust = bool(args.trust_remote_code)  # check_environment refused to go on without it
    tokenizer = AutoTokenizer.from_pretrained(args.model, trust_remote_code=trust)
    model = AutoModel.from_pretrained(args.model, trust_remote_code=trust, dtype=torch.bfloat16).to(device).eval()
    if args.lora is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(args.lora)).eval()
    eos = tokenizer.eos_token_id
    eos_ids = set(eos) if isinstance(eos, list) else ({eos} if eos is not None else set())
    block = args.block if args.mode != "ar" else None
    notes = (f"{args.mode} block {block} threshold {args.threshold if args.mode == 'diffusion' else '-'}; "
             f"max_new_tokens {args.max_new_tokens}; TPF = tokens up to first EOS / nfe returned by the model; "
             f"{command_line(argv)}")
    source = f"measurements tpf on {info.name} ({info.host})"
    results: list[tuple[str, int, int]] = []
    with torch.inference_mode():
        for row in tqdm(prompts, unit="prompt", disable=None, file=sys.stderr):
            if getattr(tokenizer, "chat_template", None):
                text = tokenizer.apply_chat_template([{"role": "user", "content": row.prompt}], tokenize=False,
                                                     add_generation_prompt=True)
            else:
                text = row.prompt
            ids = tokenizer(text, return_tensors="pt").input_ids.to(device)
            tokens, nfe = _generate(model, args.mode, ids, args)
            flat = tokens[0].tolist() if hasattr(tokens, "dim") and tokens.dim() == 2 else list(tokens)
            results.append((row.category, count_generated(flat, ids.shape[1], eos_ids), max(nfe, 0)))
            table = workload_table(aggregate(results), model_id, args.mode, block, args.lora is not None, notes,
                                   source)
            if table.tpf:
                write_model_yaml(out, table, header="Tokens per forward written by `python -m measurements tpf`.")
    totals = aggregate(results)
    for category, t in sorted(totals.items()):
        print(f"{category:>16}: TPF {t.tpf:.2f} over {t.prompts} prompts", file=sys.stderr)
    print(f"wrote {out}", file=sys.stderr)
    return EXIT_OK


def main(args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    """Entry point of `tpf`: exit 2 without weights, transformers or a GPU; 130 on Ctrl-C."""
    try:
        return run(args, argv)
    except InputError as e:
        return report_input_error(e)
    except UserError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        print("\ninterrupted: the table holds the prompts finished so far", file=sys.stderr)
        return EXIT_INTERRUPTED
