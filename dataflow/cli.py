"""The ``spanishgas`` command: one entry point with a subcommand per job.

Every subcommand that touches data takes ``--lake DIR|s3://bucket/prefix`` (default ``data/lake`` or
``$SPANISHGAS_LAKE``). Failures print one paragraph and exit non-zero; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable

from dataflow.errors import UserError
from dataflow.lake import LakeError, lake_uri

COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, help_text: str):
    """Register a subcommand: the decorated function adds its arguments; ``run`` does the work."""

    def wrap(fn):
        COMMANDS[name] = (help_text, fn, fn.run)  # type: ignore[attr-defined]
        return fn

    return wrap


def _lake_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lake",
        default=None,
        help="lake folder or s3://bucket/prefix (default: $SPANISHGAS_LAKE or data/lake)",
    )


# ---- generate -------------------------------------------------------------------------------------
def _generate_args(p: argparse.ArgumentParser) -> None:
    from dataflow.generate import DEFAULT_CUSTOMERS

    _lake_arg(p)
    p.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS,
                   help=f"customers active on the scoring date (default {DEFAULT_CUSTOMERS:,})")
    p.add_argument("--seed", type=int, default=42, help="random seed (same arguments → same bytes)")
    p.add_argument("--consumption-format", choices=["parquet", "csv"], default="parquet")


def _generate_run(a: argparse.Namespace) -> int:
    from dataflow.generate import generate

    summary = generate(lake_uri(a.lake), customers=a.customers, seed=a.seed,
                       consumption_format=a.consumption_format, progress=print)
    print(summary.describe())
    return 0


_generate_args.run = _generate_run  # type: ignore[attr-defined]
command("generate", "write a synthetic raw/ folder (and truth/) in the raw contract's layout")(_generate_args)


# ---- profile --------------------------------------------------------------------------------------
def _profile_args(p: argparse.ArgumentParser) -> None:
    _lake_arg(p)


def _profile_run(a: argparse.Namespace) -> int:
    from dataflow.profile import profile

    report = profile(lake_uri(a.lake), progress=print)
    print(report.table())
    return 0 if report.passed else 1


_profile_args.run = _profile_run  # type: ignore[attr-defined]
command("profile", "compare a raw/ folder's statistics with the real extracts' reference values")(_profile_args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spanishgas", description=__doc__.splitlines()[0])
    parser.add_argument("--debug", action="store_true", help="show tracebacks on failure")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add_args, _run) in COMMANDS.items():
        add_args(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    run = COMMANDS[args.command][2]
    try:
        return run(args)
    except (UserError, LakeError) as exc:
        if args.debug:
            traceback.print_exc()
        print(f"spanishgas {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # an unexpected failure: still one paragraph unless --debug
        if args.debug:
            traceback.print_exc()
        else:
            print(f"spanishgas {args.command}: unexpected {type(exc).__name__}: {exc} "
                  "(re-run with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
