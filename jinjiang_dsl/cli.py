"""The command line. Thin: it reads files, calls the API and prints what comes back."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from . import __version__
from .api import check_source, load_policy
from .diagnostics import PolicyError, print_diagnostics

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


def _load(path: str, err: Console, backend: str = "compiled"):  # type: ignore[no-untyped-def]
    """The checked policy, or None after printing why it cannot be used."""
    if _read(path, err) is None:
        return None
    try:
        return load_policy(path, backend=backend)  # type: ignore[arg-type]
    except PolicyError as exc:
        print_diagnostics(exc.diagnostics, exc.sources, err)
        err.print(f"{path}: the policy has errors; run 'jinjiang-dsl check {path}'", markup=False)
        return False


def cmd_eval(args: argparse.Namespace) -> int:
    import json

    from .explain.text import print_batch
    from .inputs import DocumentError

    err = _stderr()
    policy = _load(args.policy, err, args.backend)
    if not policy:
        return EXIT_UNREADABLE if policy is None else EXIT_ERRORS
    text = _read(args.applications, err)
    if text is None:
        return EXIT_UNREADABLE
    try:
        batch = policy.evaluate(text, trace=not args.no_trace)
    except DocumentError as exc:
        err.print(f"{args.applications}: {exc}", markup=False)
        return EXIT_UNREADABLE
    fmt = args.format or ("text" if sys.stdout.isatty() else "json")
    if fmt == "json":
        sys.stdout.write(json.dumps(batch.to_json(args.lang, trace=not args.no_trace), ensure_ascii=False,
                                    indent=2) + "\n")
    else:
        print_batch(Console(highlight=False), batch, policy.plan, args.lang, trace=not args.no_trace)
    return EXIT_OK


def cmd_compile(args: argparse.Namespace) -> int:
    from .compile import generate

    err = _stderr()
    policy = _load(args.policy, err)
    if not policy:
        return EXIT_UNREADABLE if policy is None else EXIT_ERRORS
    sys.stdout.write(generate(policy.plan))
    return EXIT_OK


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

    p = sub.add_parser("eval", help="evaluate applications and explain every amount")
    p.add_argument("policy", metavar="POLICY", help="the .pol file")
    p.add_argument("applications", metavar="APPLICATIONS", help="applications JSON (see docs/io-contract)")
    p.add_argument("--format", choices=["text", "json"],
                   help="text (default on a terminal) or json (default when piped)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of explanations (default zh)")
    p.add_argument("--no-trace", action="store_true", help="skip explanations (faster, for budget runs)")
    p.add_argument("--backend", choices=["compiled", "interpreter"], default="compiled",
                   help="evaluate with the generated code (default) or the reference interpreter")
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("compile", help="show the Python the compiler generates for a policy")
    p.add_argument("policy", metavar="POLICY", help="the .pol file")
    p.add_argument("--emit", choices=["python"], default="python", help="what to emit (python)")
    p.set_defaults(run=cmd_compile)
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
