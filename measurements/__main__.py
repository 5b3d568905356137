"""Command line of the measurement tool: `python -m measurements forward|serve|tpf|roofline --help`.

Each command lives in its own module and is imported only when chosen, so `serve` and `tpf` work
without torch's start-up cost and `forward` without sglang or transformers.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

PROG = "python -m measurements"


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The argparse tree of all commands."""
    from measurements import campaign, sglang_serving, tiny_model, torch_forward, tpf

    parser = argparse.ArgumentParser(
        prog=prog,
        description="Record forward-pass costs, serving sweeps and tokens per forward into profiles the app loads.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    forward = sub.add_parser("forward", help="time decoder forwards over batch x query x context (torch, CUDA or CPU)")
    torch_forward.add_arguments(forward)
    serve = sub.add_parser(
        "serve", help="sweep concurrency against a vLLM or SGLang server with that engine's own benchmark client")
    sglang_serving.add_arguments(serve)
    tpf_cmd = sub.add_parser("tpf", help="tokens per forward with real weights (needs a GPU and transformers)")
    tpf.add_arguments(tpf_cmd)
    camp = sub.add_parser("campaign", help="everything the NLD-vs-baseline decision needs on this GPU, resumable "
                          "(--dry-run: the plan and a time estimate, on any machine)")
    campaign.add_arguments(camp)
    tiny = sub.add_parser("tiny-model", help="write a random-weight Qwen3/Llama checkpoint that vLLM/SGLang serve")
    tiny_model.add_arguments(tiny)
    roof = sub.add_parser("roofline", help="achieved bandwidth and FLOP/s of a forward profile vs its GPU's datasheet")
    roof.add_argument("profile", type=Path, help="a ForwardCost YAML written by `forward`")
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = PROG) -> int:
    """Parse the command line and run the chosen command; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(prog).parse_args(argv)
    if args.command == "forward":
        import importlib.util

        if importlib.util.find_spec("torch") is None:
            print("error: `forward` needs torch, which the app's install leaves out: "
                  "pip install -r requirements-measure.txt (CPU) or, on a GPU machine, requirements-gpu.txt",
                  file=sys.stderr)
            return 2
        from measurements.torch_forward import main as forward_main

        return forward_main(args, argv)
    if args.command == "serve":
        from measurements.sglang_serving import main as serve_main

        return serve_main(args, argv)
    if args.command == "campaign":
        from measurements.campaign import main as campaign_main
        from measurements.common import EXIT_UNAVAILABLE, UserError

        try:
            return campaign_main(args, argv)
        except UserError as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_UNAVAILABLE
    if args.command == "tiny-model":
        from measurements.common import EXIT_UNAVAILABLE, UserError
        from measurements.tiny_model import main as tiny_main

        try:
            return tiny_main(args, argv)
        except UserError as e:
            print(f"error: {e}", file=sys.stderr)
            return EXIT_UNAVAILABLE
    if args.command == "tpf":
        from measurements.tpf import main as tpf_main

        return tpf_main(args, argv)
    from calculator.data.errors import InputError
    from calculator.data.schema import ForwardCost
    from measurements.common import read_model_yaml, report_input_error
    from measurements.roofline import print_report

    try:
        print_report(read_model_yaml(args.profile, ForwardCost))
    except InputError as e:
        return report_input_error(e)
    return 0


def script_main() -> int:
    """The `nld-measure` console script (installed by pip): `main` under that name."""
    return main(prog="nld-measure")


if __name__ == "__main__":
    sys.exit(main())
