"""Model configs of the measurement tool: parameter counts and KV bytes match the published
architecture figures (facts/nemotron.md §2), and bytes/FLOPs per forward follow their formulas."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from calculator.data.errors import InputError
from measurements.model_config import CONFIG_DIR, ConfigFile, bundled_configs, load_arch_config

# name: (parameters in billions, KV cache per token in KiB at bf16), facts/nemotron.md §2
PUBLISHED = {
    "nld-3b": (3.83, 104),
    "nld-8b": (8.49, 136),
    "nld-14b": (13.51, 160),
    "qwen3-8b": (8.19, 144),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_count_matches_the_published_figure_within_1_percent(name: str) -> None:
    params_b, _ = PUBLISHED[name]
    assert load_arch_config(name).params() / 1e9 == pytest.approx(params_b, rel=0.01)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_kv_bytes_per_token_match_the_published_figure(name: str) -> None:
    _, kib = PUBLISHED[name]
    assert load_arch_config(name).kv_bytes_per_token(2) == kib * 1024


def test_every_published_model_and_tiny_is_bundled() -> None:
    assert set(bundled_configs()) >= {*PUBLISHED, "tiny"}


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.json")), ids=lambda p: p.stem)
def test_bundled_configs_use_only_known_keys(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    unknown = {k for k in data if not k.startswith("_")} - set(ConfigFile.model_fields)
    assert not unknown, f"{path.name}: keys the loader would ignore: {sorted(unknown)}"


def test_qk_norm_is_on_for_qwen3_only() -> None:
    assert load_arch_config("qwen3-8b").qk_norm
    assert not load_arch_config("nld-8b").qk_norm


def test_decode_bytes_are_about_the_weights_and_flops_follow_the_formula() -> None:
    arch = load_arch_config("nld-8b")
    weights = arch.params() * 2
    one = arch.forward_bytes(1, 1, 0, 2)
    assert weights * 0.8 < one < weights * 1.01  # the embedding table is not read, only one row of it
    # KV read grows linearly with context: 136 KiB per token and sequence
    assert arch.forward_bytes(8, 1, 4096, 2) - arch.forward_bytes(8, 1, 0, 2) == pytest.approx(8 * 4096 * 136 * 1024)
    attention = 4 * 8 * arch.num_layers * arch.num_heads * 32 * (4096 + 32) * arch.head_dim
    assert arch.forward_flops(8, 32, 4096) == pytest.approx(2 * arch.matmul_params() * 8 * 32 + attention)


def test_an_hf_config_with_a_text_config_loads_and_extra_keys_are_ignored(tmp_path: Path) -> None:
    folder = tmp_path / "Some-Model-8B"
    folder.mkdir()
    text = {"num_hidden_layers": 2, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
            "num_key_value_heads": 2, "vocab_size": 100, "model_type": "qwen3", "rope_scaling": {"type": "yarn"}}
    (folder / "config.json").write_text(json.dumps({"architectures": ["X"], "text_config": text}), encoding="utf-8")
    arch = load_arch_config(str(folder))
    assert (arch.name, arch.head_dim, arch.qk_norm, arch.num_kv_heads) == ("Some-Model-8B", 16, True, 2)


def test_an_unknown_config_name_lists_the_bundled_ones() -> None:
    with pytest.raises(InputError, match="nld-8b"):
        load_arch_config("no-such-model")


def test_a_config_with_indivisible_heads_names_the_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"num_hidden_layers": 1, "hidden_size": 64, "intermediate_size": 64,
                               "num_attention_heads": 6, "num_key_value_heads": 4, "vocab_size": 10}), encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.json.*num_key_value_heads"):
        load_arch_config(str(bad))
