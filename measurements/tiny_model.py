"""`python -m measurements tiny-model`: a random-weight Qwen3 or Llama checkpoint made on this machine.

Writes `config.json`, `model.safetensors` (written here byte by byte: an 8-byte header length, a JSON header,
the raw little-endian tensors), `generation_config.json` and a byte-level BPE tokenizer trained locally with the
`tokenizers` package on a small built-in text. Nothing is downloaded. vLLM and SGLang serve it like any Hugging
Face checkpoint: the serving path (server, benchmark client, `serve`) can be checked end to end in a minute, on a
CPU build of vLLM or on a GPU. The outputs are random tokens: only the machinery is tested, never the model.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from measurements.common import EXIT_OK, UserError

ARCHES = ("qwen3", "llama")
SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
# Small, so the whole model is ~2 MB and a CPU forward is cheap; head_dim 64 is one every attention backend has.
SHAPE = {"hidden_size": 128, "intermediate_size": 256, "num_hidden_layers": 2, "num_attention_heads": 2,
         "num_key_value_heads": 1, "head_dim": 64, "max_position_embeddings": 4096}
DTYPES = {"fp32": ("float32", "F32"), "bf16": ("bfloat16", "BF16")}

_CORPUS = """The cost of a token depends on the hardware, the engine, the model and the decoding mode.
A diffusion language model denoises a block of tokens in a few forward passes; an autoregressive model
writes one token per forward pass. Self-speculation drafts a block and verifies it with the same weights.
def measure(server, concurrency): return [request(server) for _ in range(concurrency)]
Throughput grows with concurrency until the GPU is busy; latency grows after that. 0123456789 +-*/=()[]{}
Prices are per GPU hour; tokens per second per GPU turn them into dollars per million tokens.
"""


def config_for(arch: str, vocab_size: int, dtype: str = "fp32") -> dict[str, Any]:
    """The Hugging Face config.json of the tiny model (Qwen3ForCausalLM or LlamaForCausalLM)."""
    if arch not in ARCHES:
        raise UserError(f"--arch {arch!r}: choose one of {', '.join(ARCHES)}")
    common: dict[str, Any] = {
        **SHAPE, "vocab_size": vocab_size, "hidden_act": "silu", "rms_norm_eps": 1e-6, "rope_theta": 1_000_000.0,
        "tie_word_embeddings": False, "attention_bias": False, "torch_dtype": DTYPES[dtype][0],
        "bos_token_id": 0, "eos_token_id": 0, "initializer_range": 0.02, "use_cache": True,
    }
    if arch == "qwen3":
        return {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", **common}
    return {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "mlp_bias": False, **common}


def tensor_shapes(config: dict[str, Any]) -> Iterator[tuple[str, tuple[int, ...]]]:
    """(name, shape) of every weight the architecture's loader expects, in file order."""
    h, i, d = config["hidden_size"], config["intermediate_size"], config["head_dim"]
    q, kv, v = config["num_attention_heads"] * d, config["num_key_value_heads"] * d, config["vocab_size"]
    yield "model.embed_tokens.weight", (v, h)
    for n in range(config["num_hidden_layers"]):
        p = f"model.layers.{n}."
        yield p + "input_layernorm.weight", (h,)
        yield p + "self_attn.q_proj.weight", (q, h)
        yield p + "self_attn.k_proj.weight", (kv, h)
        yield p + "self_attn.v_proj.weight", (kv, h)
        yield p + "self_attn.o_proj.weight", (h, q)
        if config["model_type"] == "qwen3":
            yield p + "self_attn.q_norm.weight", (d,)
            yield p + "self_attn.k_norm.weight", (d,)
        yield p + "post_attention_layernorm.weight", (h,)
        yield p + "mlp.gate_proj.weight", (i, h)
        yield p + "mlp.up_proj.weight", (i, h)
        yield p + "mlp.down_proj.weight", (h, i)
    yield "model.norm.weight", (h,)
    yield "lm_head.weight", (v, h)


def random_tensors(config: dict[str, Any], seed: int = 0) -> dict[str, np.ndarray]:
    """Random weights: normal(0, 0.02) matrices, norms at 1 (so activations stay finite)."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for name, shape in tensor_shapes(config):
        if len(shape) == 1:
            out[name] = np.ones(shape, dtype=np.float32)
        else:
            out[name] = rng.normal(0.0, 0.02, size=shape).astype(np.float32)
    return out


def safetensors_bytes(tensors: dict[str, np.ndarray], dtype: str = "fp32") -> bytes:
    """The safetensors file format: u64 header length, JSON header (dtype, shape, offsets), raw data."""
    tag = DTYPES[dtype][1]
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    blobs: list[bytes] = []
    offset = 0
    for name, array in tensors.items():
        a = np.ascontiguousarray(array, dtype="<f4")
        # bf16 is the upper half of each float32 (truncation; the weights are random anyway)
        blob = (a.view("<u4") >> 16).astype("<u2").tobytes() if tag == "BF16" else a.tobytes()
        header[name] = {"dtype": tag, "shape": list(a.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)  # the format aligns the data to 8 bytes
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


def read_safetensors_header(path: Path) -> dict[str, Any]:
    """The JSON header of a safetensors file (used by tests and by `check_model`)."""
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header: dict[str, Any] = json.loads(f.read(n))
    return header


def train_tokenizer(vocab_size: int) -> Any:
    """A byte-level BPE tokenizer trained on the built-in text with `tokenizers` (no download)."""
    try:
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    except ImportError:
        raise UserError("tiny-model needs the `tokenizers` package (it comes with vllm, sglang and transformers): "
                        "pip install tokenizers") from None
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS),
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(_CORPUS.splitlines() * 4, trainer=trainer)
    return tok


CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def write_tiny_model(out: Path, arch: str, vocab_size: int = 1024, dtype: str = "fp32", seed: int = 0,
                     tokenizer: Any = None) -> list[Path]:
    """Write the whole checkpoint into `out` (created); returns the files written."""
    tok = tokenizer if tokenizer is not None else train_tokenizer(vocab_size)
    vocab = int(tok.get_vocab_size())
    padded = -(-vocab // 64) * 64  # the embedding rows rounded up, as real checkpoints do
    config = config_for(arch, padded, dtype)
    eos = tok.token_to_id(SPECIAL_TOKENS[0])
    config["bos_token_id"] = config["eos_token_id"] = eos
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "config.json": json.dumps(config, indent=2) + "\n",
        "generation_config.json": json.dumps({"bos_token_id": eos, "eos_token_id": eos, "do_sample": False}) + "\n",
        "tokenizer_config.json": json.dumps({
            "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": SHAPE["max_position_embeddings"],
            "bos_token": None, "eos_token": SPECIAL_TOKENS[0], "pad_token": SPECIAL_TOKENS[0],
            "unk_token": None, "chat_template": CHAT_TEMPLATE, "clean_up_tokenization_spaces": False,
        }, indent=2) + "\n",
        "special_tokens_map.json": json.dumps({"eos_token": SPECIAL_TOKENS[0], "pad_token": SPECIAL_TOKENS[0]}) + "\n",
        "README.md": (f"Random-weight {arch} checkpoint written by `python -m measurements tiny-model` "
                      f"(seed {seed}, {dtype}). Its outputs are meaningless: it exists to test serving stacks.\n"),
    }
    written: list[Path] = []
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    tok.save(str(out / "tokenizer.json"))
    written.append(out / "tokenizer.json")
    (out / "model.safetensors").write_bytes(safetensors_bytes(random_tensors(config, seed), dtype))
    written.append(out / "model.safetensors")
    return written


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Flags of `tiny-model`."""
    p.add_argument("--arch", choices=ARCHES, default="qwen3", help="architecture (default qwen3)")
    p.add_argument("--out", type=Path, required=True, help="folder to write the checkpoint into")
    p.add_argument("--vocab-size", type=int, default=1024, help="tokenizer vocabulary to train (default 1024)")
    p.add_argument("--dtype", choices=tuple(DTYPES), default="fp32",
                   help="weights on disk (default fp32: CPUs without bf16 units serve it directly)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the weights")


def main(args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    """Entry point of `tiny-model`."""
    del argv
    if args.vocab_size < 300 or args.vocab_size > 65536:
        raise UserError("--vocab-size must be between 300 (256 bytes + specials + merges) and 65536")
    if args.out.exists() and not args.out.is_dir():
        raise UserError(f"--out {args.out} exists and is not a folder")
    if args.out.is_dir() and any(args.out.iterdir()) and not (args.out / "config.json").is_file():
        raise UserError(f"--out {args.out} is a non-empty folder that is not a model; choose an empty one")
    files = write_tiny_model(args.out, args.arch, args.vocab_size, args.dtype, args.seed)
    size = sum(f.stat().st_size for f in files)
    print(f"wrote a random-weight {args.arch} model to {args.out} ({size / 1e6:.1f} MB, {len(files)} files); "
          f"serve it with: python -m vllm.entrypoints.openai.api_server --model {args.out}", file=sys.stderr)
    return EXIT_OK
