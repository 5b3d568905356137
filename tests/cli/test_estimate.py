"""calculator/cli/estimate.py: `estimate` prints one row per concurrency, `--validate` both groupings in
words, and bad arguments exit 2 with a message."""

from __future__ import annotations

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
        "output_tok_s",
        "output_tok_s_per_gpu",
        "tok_s_user",
        "ttft_ms",
        "tokens_per_forward",
    ]
    assert len(out) == 4 and all(",estimated," in line for line in out[1:])


@pytest.mark.parametrize("concurrency", [["1,4,16"], ["1", "4", "16"], ["1,", "4", "16"]])
def test_cli_estimate_takes_concurrencies_comma_or_space_separated(concurrency, capsys):
    args = ["estimate", "--gpu", "h100-sxm", "--model", "qwen3-8b", "--mode", "ar", "--format", "csv"]
    assert main([*args, "--concurrency", *concurrency, "--isl", "300"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [int(r.split(",")[1]) for r in rows] == [1, 4, 16]


def test_cli_validate_prints_both_groupings_in_words(capsys):
    assert main(["estimate", "--validate", "--format", "md"]) == 0
    captured = capsys.readouterr()
    assert "a point of a GPU we have data for" in captured.out and "a GPU we have no data for" in captured.out
    assert "median_abs_error_pct" in captured.out and "| all | all |" in captured.out
    assert "leave-one-point-out" in captured.err and "leave-one-gpu-out" in captured.err
    assert main(["estimate", "--validate", "--group", "profile", "--format", "csv"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("gpu,mode,points") and "leave-one-profile-out" in captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "--gpu", "b200", "--model", "nld-8b"],
        ["estimate", "--gpu", "nope", "--model", "nld-8b", "--mode", "ar"],
        ["estimate", "--gpu", "b200", "--model", "nld-8b", "--mode", "ar", "--concurrency", "1,x"],
        ["estimate", "--gpu", "b200", "--model", "nld-8b", "--mode", "self_spec", "--workload", "poetry"],
        ["estimate", "--gpu", "b200", "--model", "nld-8b", "--mode", "ar", "--precision", "fp3"],
    ],
)
def test_cli_bad_arguments_exit_2_with_a_message_and_no_traceback(argv, capsys):
    with pytest.raises(SystemExit) as exc:  # argparse's own choices exit via SystemExit(2)
        raise SystemExit(main(argv))
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err
