"""Architecture configs for the forward-cost measurement (config.json-style, no weights), with the
parameter count, KV-cache bytes, bytes moved and FLOPs of one forward derived from them.

Bundled configs live in measurements/model_configs/<name>.json; any HF config.json also loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from calculator.data.errors import fail
from calculator.data.loader import decode_text, parse_json, read_bytes, validate_as
from calculator.data.schema import ModelArch

CONFIG_DIR = Path(__file__).resolve().parent / "model_configs"


class ConfigFile(BaseModel):
    """The config.json keys the cost of a forward depends on; other keys of a real config are ignored."""

    model_config = ConfigDict(extra="ignore")

    num_hidden_layers: int = Field(ge=1, le=1000)
    hidden_size: int = Field(ge=1, le=1_000_000)
    intermediate_size: int = Field(ge=1, le=10_000_000)
    num_attention_heads: int = Field(ge=1, le=4096)
    num_key_value_heads: int | None = Field(default=None, ge=1, le=4096)
    head_dim: int | None = Field(default=None, ge=1, le=4096)
    vocab_size: int = Field(ge=1, le=10_000_000)
    max_position_embeddings: int = Field(default=32768, ge=1)
    rope_theta: float = Field(default=10000.0, gt=0)
    rms_norm_eps: float = Field(default=1e-6, gt=0)
    qk_norm: bool | None = None
    tie_word_embeddings: bool = False
    model_type: str = ""

    @model_validator(mode="after")
    def _heads_divide(self) -> ConfigFile:
        kv = self.num_key_value_heads or self.num_attention_heads
        if self.num_attention_heads % kv:
            raise ValueError(
                f"num_attention_heads {self.num_attention_heads} is not a multiple of num_key_value_heads {kv}"
            )
        if self.head_dim is None and self.hidden_size % self.num_attention_heads:
            raise ValueError("give head_dim: hidden_size is not a multiple of num_attention_heads")
        return self


@dataclass(frozen=True)
class ArchConfig:
    """A decoder-only transformer (Llama/Mistral/Qwen3 family): RMSNorm, GQA + RoPE, SwiGLU, lm_head."""

    name: str
    num_layers: int
    hidden_size: int
    intermediate_size: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int
    max_position_embeddings: int
    rope_theta: float
    rms_norm_eps: float
    qk_norm: bool
    tie_word_embeddings: bool

    @property
    def q_dim(self) -> int:
        return self.num_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.num_kv_heads * self.head_dim

    def layer_matmul_params(self) -> int:
        """Weights of the matrix multiplies of one layer: q, k, v, o projections and the SwiGLU MLP."""
        h = self.hidden_size
        return h * (self.q_dim + 2 * self.kv_dim) + self.q_dim * h + 3 * h * self.intermediate_size

    def layer_norm_params(self) -> int:
        """RMSNorm weights of one layer (two norms, plus q/k norms over head_dim with QK-norm)."""
        return 2 * self.hidden_size + (2 * self.head_dim if self.qk_norm else 0)

    def embedding_params(self) -> int:
        return self.vocab_size * self.hidden_size

    def matmul_params(self) -> int:
        """Weights every token multiplies through: all layers' matmuls plus the lm_head."""
        return self.num_layers * self.layer_matmul_params() + self.vocab_size * self.hidden_size

    def params(self) -> int:
        """Parameter count: embedding + layers + final norm + lm_head (once if tied)."""
        lm_head = 0 if self.tie_word_embeddings else self.vocab_size * self.hidden_size
        per_layer = self.layer_matmul_params() + self.layer_norm_params()
        return self.embedding_params() + self.num_layers * per_layer + self.hidden_size + lm_head

    def kv_bytes_per_token(self, bytes_per_element: int = 2) -> int:
        """KV-cache bytes one token occupies: K and V, every layer, every KV head."""
        return 2 * self.num_layers * self.kv_dim * bytes_per_element

    def weight_bytes(self, bytes_per_element: int) -> int:
        return self.params() * bytes_per_element

    def forward_flops(self, batch: int, query: int, context: int) -> float:
        """FLOPs of one forward: 2 x matmul params x new tokens + attention (QK^T and PV over context + query).

        Attention counts the full (context + query) keys per query token, for causal and block masks alike.
        """
        tokens = batch * query
        attention = 4.0 * batch * self.num_layers * self.num_heads * query * (context + query) * self.head_dim
        return 2.0 * self.matmul_params() * tokens + attention

    def forward_bytes(self, batch: int, query: int, context: int, bytes_per_element: int) -> float:
        """Bytes one forward moves through memory (approximate lower bound).

        weights: every matmul weight and norm once, plus the embedding rows looked up;
        KV: read (context + query) tokens and write query tokens per sequence;
        activations: each layer's intermediate tensors written once and read once, plus the logits.
        """
        e = bytes_per_element
        tokens = batch * query
        norms = self.num_layers * self.layer_norm_params() + self.hidden_size
        weights = (self.matmul_params() + norms) * e + tokens * self.hidden_size * e
        kv_token = self.kv_bytes_per_token(e)
        kv = batch * (context + query) * kv_token + tokens * kv_token
        per_token_layer = (
            5 * self.hidden_size + self.q_dim + 2 * self.kv_dim + self.q_dim + 3 * self.intermediate_size
        )
        activations = 2 * tokens * e * self.num_layers * per_token_layer + tokens * self.vocab_size * e
        return float(weights + kv + activations)

    def to_model_arch(self) -> ModelArch:
        """The schema's summary of this architecture (stored in every ForwardCost file)."""
        return ModelArch(
            name=self.name,
            num_layers=self.num_layers,
            hidden_size=self.hidden_size,
            intermediate_size=self.intermediate_size,
            num_attention_heads=self.num_heads,
            num_kv_heads=self.num_kv_heads,
            head_dim=self.head_dim,
            vocab_size=self.vocab_size,
            params=float(self.params()),
        )


def bundled_configs() -> list[str]:
    """Names of the configs shipped in measurements/model_configs/."""
    return sorted(p.stem for p in CONFIG_DIR.glob("*.json"))


def resolve_config_path(name_or_path: str) -> Path:
    """A bundled config name (tiny, nld-8b, ...) or a path to a config.json."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".json" or candidate.is_file() or candidate.is_dir():
        if candidate.is_dir():
            candidate = candidate / "config.json"
        if not candidate.is_file():
            raise fail(str(candidate), "file", "no such config file")
        return candidate
    bundled = CONFIG_DIR / f"{name_or_path}.json"
    if bundled.is_file():
        return bundled
    raise fail(
        name_or_path,
        "--model-config",
        f"unknown config; bundled: {', '.join(bundled_configs())}, or give a path to a config.json",
    )


def load_arch_config(name_or_path: str) -> ArchConfig:
    """Load and check a config (InputError naming the file and field when it is wrong)."""
    path = resolve_config_path(name_or_path)
    file = str(path)
    data: Any = parse_json(decode_text(read_bytes(path), file), file)
    if not isinstance(data, dict):
        raise fail(file, "file", "expected a JSON object of config.json keys")
    if isinstance(data.get("text_config"), dict):  # multimodal wrappers (Mistral3) keep the decoder here
        data = {**data, **data["text_config"]}
    cfg = validate_as(ConfigFile, {k: v for k, v in data.items() if not k.startswith("_")}, file)
    name = path.stem if path.parent == CONFIG_DIR else path.parent.name if path.name == "config.json" else path.stem
    qk_norm = cfg.qk_norm if cfg.qk_norm is not None else cfg.model_type.startswith("qwen3")
    return ArchConfig(
        name=name,
        num_layers=cfg.num_hidden_layers,
        hidden_size=cfg.hidden_size,
        intermediate_size=cfg.intermediate_size,
        num_heads=cfg.num_attention_heads,
        num_kv_heads=cfg.num_key_value_heads or cfg.num_attention_heads,
        head_dim=cfg.head_dim or cfg.hidden_size // cfg.num_attention_heads,
        vocab_size=cfg.vocab_size,
        max_position_embeddings=cfg.max_position_embeddings,
        rope_theta=cfg.rope_theta,
        rms_norm_eps=cfg.rms_norm_eps,
        qk_norm=qk_norm,
        tie_word_embeddings=cfg.tie_word_embeddings,
    )
