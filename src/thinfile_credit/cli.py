"""The ``thinfile-credit`` command.

Exit codes: ``0`` success, ``1`` the run failed (bad data, a file that cannot be written;
one line on standard error says why), ``2`` bad arguments (with the usage),
``130`` interrupted.

Examples
--------
.. code-block:: bash

    thinfile-credit demo --users 5000 --out demo-out --seed 7
    thinfile-credit demo --users 5000 --quiet   # only the final summary
    thinfile-credit version
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from thinfile_credit._version import __version__
from thinfile_credit.errors import ThinfileError

__all__ = ["MAX_SEED", "MAX_USERS", "MIN_USERS", "build_parser", "main"]

#: Fewest and most users ``demo --users`` simulates (the demo holds every table in memory).
MIN_USERS = 100
MAX_USERS = 1_000_000
#: Largest ``--seed``: the models' ``random_state`` is a 32-bit seed.
MAX_SEED = 2**32 - 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``thinfile-credit`` command."""
    parser = argparse.ArgumentParser(
        prog="thinfile-credit",
        description="Credit scoring for thin-file borrowers from e-commerce behaviour.",
        epilog=(
            "exit codes: 0 success, 1 the run failed (the reason on one line of standard "
            "error), 2 bad arguments, 130 interrupted"
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo",
        help="run the whole pipeline on a built-in synthetic marketplace",
        description=(
            "Generate a synthetic thin-file marketplace, validate it, build point-in-time "
            "features, fit a scorecard and a gradient-boosted model, explain declines and "
            "assign first credit limits."
        ),
    )
    demo.add_argument(
        "--users",
        type=_whole_number(MIN_USERS, MAX_USERS),
        default=20_000,
        help=f"users to simulate, {MIN_USERS:,} to {MAX_USERS:,}",
    )
    demo.add_argument(
        "--seed",
        type=_whole_number(0, MAX_SEED),
        default=0,
        help=f"random seed, 0 to {MAX_SEED} (deterministic output)",
    )
    demo.add_argument(
        "--out", type=Path, default=Path("demo-out"), help="folder for tables and results"
    )
    demo.add_argument("--quiet", action="store_true", help="print only the final summary")

    sub.add_parser("version", help="print the library version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``thinfile-credit`` command; returns the exit code.

    Bad arguments exit with code 2 and the usage (argparse's convention); a run that
    fails on a library error or an operating-system error (e.g. ``--out`` naming an
    existing file) prints one line to standard error and returns 1, without a traceback.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if args.command == "demo":
        if args.out.exists() and not args.out.is_dir():
            parser.error(f"argument --out: {args.out} exists and is not a folder")
        from thinfile_credit.demo import run_demo

        try:
            result = run_demo(n_users=args.users, seed=args.seed, out=args.out, quiet=args.quiet)
        except KeyboardInterrupt:  # pragma: no cover - interactive
            print("interrupted", file=sys.stderr)
            return 130
        except (ThinfileError, OSError) as exc:
            print(f"thinfile-credit: error: {_one_line(exc)}", file=sys.stderr)
            return 1
        if args.quiet:
            print(_summary(result, args.out))
        return 0
    raise AssertionError(args.command)  # pragma: no cover - argparse enforces choices


def _summary(result: Mapping[str, Any], out: Path) -> str:
    """The final summary ``--quiet`` prints: every single-valued figure of the run."""
    lines = ["Summary", "-------"]
    for key, value in result.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            continue
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        lines.append(f"{key}: {text}")
    lines.append(f"artefacts: {out.resolve()}")
    return "\n".join(lines)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, ThinfileError) else f"{type(exc).__name__}: {text}"


def _whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number in ``[low, high]``, else a usage error (exit 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        if value > high:
            raise argparse.ArgumentTypeError(f"must be at most {high}, got {value}")
        return value

    return parse


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
