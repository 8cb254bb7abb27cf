"""The ``thinfile-credit`` command.

Examples
--------
.. code-block:: bash

    thinfile-credit demo --users 5000 --out demo-out --seed 7
    thinfile-credit version
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from thinfile_credit._version import __version__

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``thinfile-credit`` command."""
    parser = argparse.ArgumentParser(
        prog="thinfile-credit",
        description="Credit scoring for thin-file borrowers from e-commerce behaviour.",
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
    demo.add_argument("--users", type=_positive_int, default=20_000, help="users to simulate")
    demo.add_argument("--seed", type=int, default=0, help="random seed (deterministic output)")
    demo.add_argument(
        "--out", type=Path, default=Path("demo-out"), help="folder for tables and results"
    )
    demo.add_argument("--quiet", action="store_true", help="print only the final summary")

    sub.add_parser("version", help="print the library version")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``thinfile-credit`` command; returns the exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "version":
        print(__version__)
        return 0
    if args.command == "demo":
        from thinfile_credit.demo import run_demo

        try:
            run_demo(n_users=args.users, seed=args.seed, out=args.out, quiet=args.quiet)
        except KeyboardInterrupt:  # pragma: no cover - interactive
            print("interrupted", file=sys.stderr)
            return 130
        return 0
    raise AssertionError(args.command)  # pragma: no cover - argparse enforces choices


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 100:
        raise argparse.ArgumentTypeError("--users must be at least 100")
    return value


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
