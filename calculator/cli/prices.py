"""`prices`: dated cloud prices from the catalogs the field keeps.

    prices import FILE... [--as-of DATE] [--cloud NAME] [--ref TEXT] [--out prices.yaml]
    prices refresh (--skypilot CLOUD... | --gpuhunt PROVIDER...) [--save-dir DIR] [--out prices.yaml]   (online)
    prices age [--prices prices.yaml]
    (each takes --today DATE: the day ages are counted to; default today)

`import` reads SkyPilot `vms.csv` files and gpuhunt provider CSVs (a gpuhunt `GPUHUNT_CATALOG_DIR` folder works as
FILE), maps instance types to our GPU ids and GPUs per instance, and prints the offers (or writes them, in our
prices.yaml format, to --out: `plan --prices` and `table --prices` then price whole instances from them). Every
offer keeps the catalog's source and date. `refresh` fetches the current catalogs with their dates where the
machine is online; `--save-dir` keeps each fetched file with its date beside it (`<file>.source.json`), which
`import` then reads when no `--as-of` is given. `age` says how old the prices in use are and flags those past
STALE_AFTER_DAYS.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from calculator.cli.common import EXIT_BAD_DATA, EXIT_OK, UsageError, check_out, input_files, known_gpus
from calculator.data.errors import InputError
from calculator.data.loader import read_bytes
from calculator.data.price_catalogs import STALE_AFTER_DAYS, CatalogImport, age_days, import_catalog, price_age
from calculator.data.price_catalogs.sidecar import SUFFIX, Sidecar, read_sidecar, write_sidecar
from calculator.data.schema import PriceOffer


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `prices` and its three subcommands."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "prices", help="import, refresh or check the age of cloud prices (SkyPilot and gpuhunt catalogs)"
    )
    sub = p.add_subparsers(dest="prices_command", required=True)
    imp = sub.add_parser("import", help="offers from SkyPilot vms.csv or gpuhunt catalog files")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE", help="catalog files, or a GPUHUNT_CATALOG_DIR")
    imp.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help=f"the catalog's date (SkyPilot: its commit date); default: the date in FILE{SUFFIX} beside it",
    )
    imp.add_argument("--cloud", metavar="NAME", help="the SkyPilot cloud / gpuhunt provider if the name does not say")
    imp.add_argument("--ref", default="", metavar="TEXT", help="where the file came from (e.g. repo@commit)")
    imp.add_argument("--out", type=Path, metavar="FILE", help="write the offers as a prices.yaml file (a new file)")
    imp.add_argument("--overwrite", action="store_true", help="replace --out FILE when it exists")
    ref = sub.add_parser("refresh", help="fetch the current catalogs with their dates (needs the network)")
    ref.add_argument("--skypilot", nargs="*", default=[], metavar="CLOUD", help="SkyPilot clouds, e.g. aws lambda")
    ref.add_argument("--gpuhunt", nargs="*", default=[], metavar="PROVIDER", help="gpuhunt providers, e.g. aws")
    ref.add_argument("--out", type=Path, metavar="FILE", help="write the offers as a prices.yaml file (a new file)")
    ref.add_argument("--overwrite", action="store_true", help="replace --out FILE when it exists")
    ref.add_argument(
        "--save-dir", type=Path, metavar="DIR", help=f"keep each fetched catalog there, its date in <file>{SUFFIX}"
    )
    age = sub.add_parser("age", help="how old the prices in use are")
    age.add_argument("--prices", type=Path, metavar="FILE", help="a prices.yaml file (default: the bundled prices)")
    for command in (imp, ref, age):
        command.add_argument(
            "--today", type=_day, metavar="YYYY-MM-DD", help="the day ages are counted to (default: today)"
        )
    return p


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _catalog_files(paths: list[Path]) -> list[Path]:
    """Files as given; a folder (a GPUHUNT_CATALOG_DIR) gives its *.csv files."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            out.extend(sorted(p for p in path.glob("*.csv") if p.is_file() and not p.is_symlink()))
        else:
            out.append(path)
    return out


def _dated(path: Path, as_of: str | None, ref: str, cloud: str | None) -> tuple[str, str, str | None] | None:
    """The date, ref and cloud to import `path` with: --as-of where given, else its sidecar's; None (said on
    stderr) when there is neither."""
    sidecar, problem = read_sidecar(path)
    if problem is not None:
        print(problem, file=sys.stderr)
    if as_of:
        if sidecar is not None and sidecar.as_of is not None and sidecar.as_of != as_of:
            print(f"{path.name}: --as-of {as_of} used, not {sidecar.as_of} of {path.name}{SUFFIX}", file=sys.stderr)
        if sidecar is None:
            return as_of, ref, cloud
        return as_of, ref or sidecar.ref, cloud or sidecar.cloud or None
    if sidecar is not None and sidecar.as_of is None:
        print(
            f"{path.name}: its date is not known ({path.name}{SUFFIX}: {sidecar.note}): give --as-of YYYY-MM-DD "
            "(SkyPilot: the date of the commit that wrote the file)",
            file=sys.stderr,
        )
        return None
    if sidecar is None or sidecar.as_of is None:
        print(
            f"{path.name}: no date: give --as-of YYYY-MM-DD (SkyPilot: the date of the commit that wrote the file) "
            f"or put {path.name}{SUFFIX} beside it",
            file=sys.stderr,
        )
        return None
    return sidecar.as_of, ref or sidecar.ref, cloud or sidecar.cloud or None


def _offers_text(offers: list[PriceOffer], today: date) -> str:
    head = f"{'provider':<14} {'instance':<36} {'gpu':<10} {'gpus':>4} {'tier':<9} {'$/inst-h':>9} {'$/gpu-h':>8}"
    lines = [head + f" {'as_of':<10} {'age_d':>5}  region"]
    for o in offers:
        age = age_days(o.as_of, today)
        lines.append(
            f"{o.provider[:14]:<14} {o.instance[:36]:<36} {o.gpu:<10} {o.gpus_per_instance:>4} {o.tier:<9} "
            f"{o.usd_per_gpu_hour * o.gpus_per_instance:>9.3f} {o.usd_per_gpu_hour:>8.3f} {o.as_of:<10} "
            f"{'' if age is None else age:>5}  {o.region}"
        )
    return "\n".join(lines) + "\n"


def _write_or_print(offers: list[PriceOffer], out: Path | None, today: date, args: argparse.Namespace) -> None:
    if out is None:
        sys.stdout.write(_offers_text(offers, today))
        return
    check_out(out, overwrite=args.overwrite, inputs=input_files(args))  # again: a --save-dir file may be it now
    doc = {"schema_version": 1, "offers": [o.model_dump(exclude_defaults=False) for o in offers]}
    header = "# Cloud GPU prices from `python -m calculator prices`; each offer keeps its catalog's source and date.\n"
    try:
        out.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
    except OSError as e:
        raise UsageError(f"--out {out}: could not write ({e.strerror or e})") from None
    print(f"wrote {len(offers)} offers to {out}", file=sys.stderr)


def _report(result: CatalogImport) -> bool:
    for line in result.report():
        print(line, file=sys.stderr)
    return not result.problems


def _unique(offers: list[PriceOffer]) -> list[PriceOffer]:
    seen: dict[str, PriceOffer] = {}
    for o in offers:
        seen[o.id] = o
    return list(seen.values())


def _warn_age(offers: list[PriceOffer], today: date) -> None:
    age = price_age([o.as_of for o in offers], today)
    if age.any_stale:
        print("warning: " + age.text(), file=sys.stderr)


def _save(folder: Path, kind: str, name: str, got: Any) -> None:
    """Keep a fetched catalog as `<cloud>_vms.csv` (SkyPilot) or `<provider>.csv` (gpuhunt) with its date beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (f"{name}_vms.csv" if kind == "skypilot" else f"{name}.csv")
    path.write_bytes(got.data)
    write_sidecar(path, Sidecar(got.as_of, got.ref, name))
    print(f"kept {path} (as of {got.as_of})", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Dispatch to import, refresh or age; 0 when every file gave offers, 1 otherwise."""
    today: date = args.today or date.today()
    if args.prices_command == "age":
        from calculator.data.catalog import load_offers

        in_use = load_offers(args.prices) if args.prices else load_offers()
        age = price_age([o.as_of for o in in_use], today)
        print(age.text())
        return EXIT_OK
    if args.out is not None:  # before any reading or fetching: --out never names an input or an existing file
        check_out(args.out, overwrite=args.overwrite, inputs=input_files(args))
    gpus = known_gpus()
    offers: list[PriceOffer] = []
    ok = True
    if args.prices_command == "import":
        for path in _catalog_files(args.files):
            try:
                data = read_bytes(path)
            except InputError as e:
                for p in e.problems:
                    print(p, file=sys.stderr)
                ok = False
                continue
            dated = _dated(path, args.as_of, args.ref, args.cloud)
            if dated is None:
                ok = False
                continue
            as_of, where, cloud = dated
            result = import_catalog(data, str(path), as_of=as_of, known_gpus=gpus, cloud=cloud, ref=where, today=today)
            ok &= _report(result)
            offers += result.offers
    else:
        from calculator.data.price_catalogs import fetch

        if not args.skypilot and not args.gpuhunt:
            raise UsageError("prices refresh: name --skypilot CLOUD... and/or --gpuhunt PROVIDER...")
        jobs = [("skypilot", c) for c in args.skypilot] + [("gpuhunt", p) for p in args.gpuhunt]
        for kind, name in jobs:
            try:
                got = fetch.skypilot(name) if kind == "skypilot" else fetch.gpuhunt(name)
            except fetch.FetchError as e:
                print(f"{kind} {name}: not fetched: {e}", file=sys.stderr)
                ok = False
                continue
            if args.save_dir is not None:
                _save(args.save_dir, kind, name, got)
            result = import_catalog(
                got.data, got.name, as_of=got.as_of, known_gpus=gpus, cloud=name, ref=got.ref, today=today
            )
            ok &= _report(result)
            offers += result.offers
    offers = _unique(offers)
    if offers:
        _write_or_print(offers, args.out, today, args)
        _warn_age(offers, today)
    return EXIT_OK if ok and offers else EXIT_BAD_DATA


__all__ = ["STALE_AFTER_DAYS", "add_parser", "run"]
