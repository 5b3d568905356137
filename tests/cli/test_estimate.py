"""calculator/cli/estimate.py: `estimate` prints one row per concurrency, `--forward` one bare forward per batch,
`--validate` both groupings in words with median and p90, and bad arguments exit 2 with a message."""

from __future__ import annotations

import json

import pytest

from calculator.cli import main


def test_cli_estimate_prints_one_row_per_concurrency(capsys):
    args = ["--gpu", "h100-sxm", "--model", "nld-8b", "--mode", "self_spec", "--block", "32", "--workload", "coding"]
    rc = main(["estimate", *args, "--concurrency", "1,4,16", "--isl", "1024", "--osl", "512", "--format", "csv"])
    out = capsys.readouterr().out.splitlines()
    assert rc == 0
    assert out[0].split(",")[:7] == [
        "gpu",
        "concurrency",
        "running_batch",
        "block_size",
        "output_tok_s",
        "est_error_pct",  # the row's held-out-source error, the same as on every page
        "output_tok_s_per_gpu",
    ]
    assert len(out) == 4 and all(",estimated," in line for line in out[1:])
    assert all(line.split(",")[3] == "32" for line in out[1:])  # the fixed block, in its column


def test_cli_estimate_chooses_the_block_per_concurrency_by_default_and_says_which(capsys):
    args = ["estimate", "--gpu", "h100-sxm", "--model", "nld-8b", "--mode", "self_spec", "--format", "json"]
    assert main([*args, "--concurrency", "1,256", "--isl", "1024", "--osl", "512"]) == 0
    rows = json.loads(capsys.readouterr().out)
    blocks = {r["concurrency"]: r["block_size"] for r in rows}
    assert blocks[1] == 32 and blocks[256] < 32  # compute-bound at 256 requests: a smaller block
    assert all(r["basis"].startswith(f"block auto: {r['block_size']} of 8/16/32") for r in rows)
    assert main([*args, "--concurrency", "256", "--block", "32"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["block_size"] == 32
    assert main([*args, "--concurrency", "1", "--block", "huge"]) == 2
    assert "expected an integer" in capsys.readouterr().err


@pytest.mark.parametrize("concurrency", [["1,4,16"], ["1", "4", "16"], ["1,", "4", "16"]])
def test_cli_estimate_takes_concurrencies_comma_or_space_separated(concurrency, capsys):
    args = ["estimate", "--gpu", "h100-sxm", "--model", "qwen3-8b", "--mode", "ar", "--format", "csv"]
    assert main([*args, "--concurrency", *concurrency, "--isl", "300"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [int(r.split(",")[1]) for r in rows] == [1, 4, 16]


def test_cli_estimate_forward_prints_one_bare_forward_per_batch(capsys):
    args = ["estimate", "--forward", "--gpu", "b200", "--model", "nld-14b", "--precision", "bf16", "--batch", "1", "8",
            "128", "--query-tokens", "8", "--context", "800", "--attention", "causal", "--format", "json"]  # fmt: skip
    assert main(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["batch"] for r in rows] == [1, 8, 128]
    for r in rows:
        assert {"batch", "query_tokens", "context_tokens", "attention", "forward_ms"} <= set(r)
        assert (r["query_tokens"], r["context_tokens"], r["attention"]) == (8, 800, "causal")
        assert r["provenance"] == "estimated"
    # The independent B200 sweep measured 6.99 / 11.25 / 34.46 ms for these shapes.
    assert [r["forward_ms"] for r in rows] == pytest.approx([6.99, 11.25, 34.46], rel=0.4)
    assert rows[0]["forward_ms"] < rows[1]["forward_ms"] < rows[2]["forward_ms"]


def test_cli_estimate_for_another_engine_class(capsys):
    base = ["estimate", "--gpu", "a100-80gb", "--model", "llama-3.1-8b", "--mode", "ar", "--concurrency", "64",
            "--format", "json"]  # fmt: skip
    assert main(base) == 0
    sglang = json.loads(capsys.readouterr().out)[0]
    assert main([*base, "--engine", "vllm-v0"]) == 0
    old = json.loads(capsys.readouterr().out)[0]
    assert old["output_tok_s"] < sglang["output_tok_s"]  # vLLM 0.7.3's per-step overhead
    assert "vLLM before 0.10" in old["basis"]


def test_cli_estimate_states_the_engine_generation_it_assumes(capsys):
    base = ["estimate", "--gpu", "h100-sxm", "--model", "llama-3.1-8b", "--mode", "ar", "--concurrency", "1",
            "--engine", "vllm", "--format", "json"]  # fmt: skip
    assert main(base) == 0
    v1 = json.loads(capsys.readouterr().out)[0]
    assert main([*base, "--engine-version", "0.11.0"]) == 0
    captured = capsys.readouterr()
    sync = json.loads(captured.out)[0]
    assert "engine generation: vllm-sync" in captured.err
    assert "vLLM 0.10-0.13 (V1 engine, synchronous scheduling)" in sync["basis"]
    assert "no vllm-sync data: vllm's engine offsets" in sync["basis"]
    assert sync["output_tok_s"] < v1["output_tok_s"]  # synchronous scheduling: more host time per step
    assert "asynchronous scheduling" in v1["basis"]


def test_cli_validate_prints_both_groupings_in_words(capsys):
    assert main(["estimate", "--validate", "--format", "md"]) == 0
    captured = capsys.readouterr()
    assert "a point of a GPU we have data for" in captured.out and "a GPU we have no data for" in captured.out
    assert "median_abs_error_pct" in captured.out and "p90_abs_error_pct" in captured.out
    assert "| all | all |" in captured.out
    assert "leave-one-point-out" in captured.err and "leave-one-gpu-out" in captured.err
    assert main(["estimate", "--validate", "--group", "profile", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("gpu,mode,points,median_abs_error_pct,p90_abs_error_pct")
    assert "leave-one-profile-out" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "--gpu", "b200", "--model", "nld-8b"],
        ["estimate", "--gpu", "nope", "--model", "nld-8b", "--mode", "ar"],
        ["estimate", "--gpu", "b200", "--model", "nld-8b", "--mode", "ar", "--concurrency", "1,x"],
        ["estimate", "--gpu", "b200", "--model", "nld-8b", "--mode", "self_spec", "--workload", "poetry"],
        ["estimate", "--gpu", "b200", "--model", "nld-8b", "--mode", "ar", "--precision", "fp3"],
        ["estimate", "--forward", "--gpu", "b200", "--gpu", "h100-sxm", "--model", "nld-8b"],
        ["estimate", "--forward", "--gpu", "b200", "--model", "nld-8b", "--batch", "0"],
        ["estimate", "--gpu", "b200", "--model", "nld-8b", "--mode", "ar", "--engine", "tgi"],
    ],
)
def test_cli_bad_arguments_exit_2_with_a_message_and_no_traceback(argv, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's own choices exit via SystemExit(2)
        raise SystemExit(main(argv))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err
