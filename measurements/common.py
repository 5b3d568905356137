"""Shared plumbing of the measurement commands: atomic YAML writes through the schema models,
reading a previous run back for `--resume`, comma lists, exit codes and run metadata.

Every file the tool writes goes through `write_model_yaml`, so it always validates.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel

from calculator.data.errors import InputError
from calculator.data.loader import decode_text, parse_yaml, read_bytes, validate_as

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNAVAILABLE = 2  # bad input, missing package, missing hardware or weights: the user must act
EXIT_INTERRUPTED = 130

REPO_ROOT = Path(__file__).resolve().parent.parent
IN_CHECKOUT = (REPO_ROOT / "hardware_profiles").is_dir() and (REPO_ROOT / "calculator").is_dir()
"""Running from a source checkout (the repo's hardware_profiles/ beside the package), not a pip-installed copy."""
# Where results go by default. In a checkout: the repo's hardware_profiles/, which the app and the CLI load by
# themselves. Installed (`pip install .`, `nld-measure`): ./measured/ under the current directory, never inside
# site-packages (often read-only, lost on upgrade); give it to `nld-cost ... --data measured/` to use it.
MEASURED_DIR = REPO_ROOT / "hardware_profiles" / "measured" if IN_CHECKOUT else Path("measured")
MEASURED_TPF_DIR = REPO_ROOT / "hardware_profiles" / "workloads" if IN_CHECKOUT else Path("measured")

M = TypeVar("M", bound=BaseModel)


class UserError(Exception):
    """A problem the user can fix (flag, file, package, hardware); printed without a traceback, exit 2."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so every `finally` (stopping the server and client) runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise Terminated (a KeyboardInterrupt) instead of killing the process
    outright, so the server and benchmark client it started are ended too. Outside the main thread: no-op."""
    old: dict[signal.Signals, Any] = {}

    def handler(signum: int, frame: object) -> None:
        raise Terminated(signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        with suppress(ValueError, OSError):
            old[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def interrupted_code(err: BaseException) -> int:
    """130 for Ctrl-C, 128 + the signal's number for SIGTERM/SIGHUP (as a shell reports them)."""
    return 128 + err.signum if isinstance(err, Terminated) else EXIT_INTERRUPTED


def interrupted_message(err: BaseException, out: Path | None, what: str) -> str:
    """What an interrupted run says: true about whether a file with finished points exists."""
    name = "Ctrl-C" if not isinstance(err, Terminated) else signal.Signals(err.signum).name
    if out is not None and out.is_file():
        return f"interrupted ({name}): finished {what} are kept in {out}; rerun with --resume to continue"
    return f"interrupted ({name}) before any {what.rstrip('s')} finished: nothing was written"


def check_output_path(path: Path, flag: str = "--out") -> None:
    """Refuse an output that is a symlink, device, FIFO or socket: the tool only ever writes regular files."""
    if path.is_symlink():
        raise UserError(f"{flag} {path} is a symbolic link; give the path of a regular file")
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as e:
        raise UserError(f"{flag} {path}: {e.strerror}") from None
    if stat.S_ISDIR(mode):
        raise UserError(f"{flag} {path} is a folder; give a file name ending in .yaml")
    if not stat.S_ISREG(mode):
        raise UserError(f"{flag} {path} is not a regular file (a device, FIFO or socket); give a file path")


def write_model_yaml(path: Path, model: BaseModel, header: str = "") -> None:
    """Write a schema model as YAML atomically: temp file in the same folder, fsync, os.replace."""
    data = model.model_dump(mode="json", exclude_none=True)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    if header:
        text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + "\n" + text
    path.parent.mkdir(parents=True, exist_ok=True)
    check_output_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)  # owner only, whatever the umask
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_model_yaml(path: Path, model: type[M]) -> M:
    """Read back a file this tool wrote (for `--resume`), validated; InputError names file and field."""
    name = str(path)
    return validate_as(model, parse_yaml(decode_text(read_bytes(path), name), name), name)


def prepare_out(path: Path, resume: bool, overwrite: bool) -> bool:
    """Check the output path; True when an existing file is to be continued (`--resume`). Symlinks, devices,
    FIFOs and sockets are refused even with --overwrite (the tool would replace the node with a file)."""
    check_output_path(path)
    if path.exists():
        if resume:
            return True
        if not overwrite:
            raise UserError(
                f"{path} exists: add --resume to continue it (finished points are kept), "
                "or --overwrite to start again, or choose another --out"
            )
    elif resume:
        print(f"note: {path} does not exist yet; starting a new run", file=sys.stderr)
    return False


def int_list(text: str) -> list[int]:
    """argparse type for '1,8,32': positive integers, sorted, without duplicates."""
    try:
        values = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 1,8,32; got {text!r}") from None
    if not values or values[0] < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers like 1,8,32; got {text!r}")
    return values


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command as the user typed it (shell-quoted), for the file's provenance."""
    args = list(sys.argv[1:] if argv is None else argv)
    program = ["nld-measure"] if Path(sys.argv[0]).name == "nld-measure" else ["python", "-m", "measurements"]
    return shlex.join([*program, *args])


def today() -> str:
    """Today's date, ISO format, for provenance."""
    return date.today().isoformat()


def host_name() -> str:
    """This machine's host name (recorded so a profile says where it was measured)."""
    return socket.gethostname() or "unknown-host"


def report_input_error(err: InputError) -> int:
    """Print every problem of an InputError and return the exit code for bad input."""
    for p in err.problems:
        print(f"error: {p}", file=sys.stderr)
    return EXIT_UNAVAILABLE


__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_UNAVAILABLE",
    "IN_CHECKOUT",
    "MEASURED_DIR",
    "MEASURED_TPF_DIR",
    "REPO_ROOT",
    "Terminated",
    "UserError",
    "check_output_path",
    "command_line",
    "host_name",
    "int_list",
    "interrupted_code",
    "interrupted_message",
    "prepare_out",
    "read_model_yaml",
    "report_input_error",
    "signals_interrupt",
    "today",
    "write_model_yaml",
]
