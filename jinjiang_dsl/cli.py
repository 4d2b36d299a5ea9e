"""The command line. Thin: it reads files, calls the API and prints what comes back."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from . import __version__
from .api import check_source
from .diagnostics import print_diagnostics

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE, EXIT_INTERNAL = 0, 1, 2, 70


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


def _read(path: str, err: Console) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        err.print(f"{path}: cannot read: no such file", markup=False)
    except IsADirectoryError:
        err.print(f"{path}: cannot read: it is a directory", markup=False)
    except UnicodeDecodeError as exc:
        err.print(f"{path}: cannot read: not UTF-8 text (byte {exc.start})", markup=False)
    except OSError as exc:
        err.print(f"{path}: cannot read: {exc.strerror or exc}", markup=False)
    return None


def cmd_check(args: argparse.Namespace) -> int:
    out = Console(highlight=False)
    err = _stderr()
    unreadable = False
    errors = warnings = 0
    for path in args.files:
        source = _read(path, err)
        if source is None:
            unreadable = True
            continue
        diagnostics = check_source(source, path)
        print_diagnostics(diagnostics, {path: source}, out)
        errors += sum(d.is_error for d in diagnostics)
        warnings += sum(not d.is_error for d in diagnostics)
    if unreadable:
        return EXIT_UNREADABLE
    files = len(args.files)
    summary = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} in {files} file{'s' * (files != 1)}"
    failed = errors or (args.strict and warnings)
    out.print(summary if failed or warnings else f"ok: {summary}", style="bold red" if failed else None, markup=False)
    return EXIT_ERRORS if failed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jinjiang-dsl",
        description="Rules as code for subsidy policy: check, evaluate and explain .pol policies.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("check", help="check policy files and report every problem with its location")
    p.add_argument("files", nargs="+", metavar="FILE", help=".pol files to check")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.set_defaults(run=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last line of defence: never a traceback
        _stderr().print(f"jinjiang-dsl: internal error: {type(exc).__name__}: {exc}", markup=False)
        _stderr().print("please report this with the input that caused it", markup=False)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
