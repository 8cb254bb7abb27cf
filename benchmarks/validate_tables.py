"""Benchmark: validating an orders table (and bills) against the data model.

Contenders, each timed in its own child process (median of 3 runs, peak RSS measured):

* ``pandas-baseline`` — the same orders/bills checks written directly in vectorised pandas
  (nulls, NaN/inf, minimums, allowed values, unique key, due-before-issue): the figure
  every ratio is relative to;
* ``thinfile[polars]`` / ``thinfile[pandas]`` / ``thinfile[pyarrow]`` —
  :func:`thinfile_credit.schema.validate_tables` on the same data given as that frame kind
  (includes the conversion to Polars), collecting every problem;
* ``pandera[pandas]`` — a pandera ``DataFrameSchema`` with the same checks, ``lazy=True``
  (collect all failures); run only when pandera is importable (``--pandera-path DIR`` adds
  a folder holding it, e.g. one made with ``pip install --target DIR pandera``).

Two scenarios: valid data, and data with 1% of orders given a negative amount.

Usage::

    python benchmarks/validate_tables.py            # 100k orders
    python benchmarks/validate_tables.py --full     # 1M orders (the issue's size)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime
from typing import Any

import numpy as np

CONTENDERS = (
    "pandas-baseline",
    "thinfile[polars]",
    "thinfile[pandas]",
    "thinfile[pyarrow]",
    "pandera[pandas]",
)
STATUSES = ["paid", "cancelled", "refunded", "returned"]


def make_tables(n: int, bad_share: float) -> dict[str, Any]:
    """Polars orders (n rows) and bills (n/4 rows), seeded; ``bad_share`` negative amounts."""
    import polars as pl

    rng = np.random.default_rng(42)
    start = np.datetime64(datetime(2023, 1, 1), "us")
    seconds = np.sort(rng.integers(0, 365 * 86400, n)).astype("timedelta64[s]")
    amount = rng.lognormal(4.0, 1.2, n)
    bad = rng.random(n) < bad_share
    amount[bad] = -amount[bad]
    orders = pl.DataFrame(
        {
            "order_id": np.arange(n, dtype=np.int64),
            "user_id": rng.integers(0, max(n // 10, 1), n),
            "ordered_at": start + seconds,
            "amount": amount,
            "category": rng.choice(["food", "digital", "home", "fashion", "beauty"], n),
            "status": rng.choice(STATUSES, n, p=[0.85, 0.07, 0.04, 0.04]),
            "payment_method": rng.choice(["card", "balance", "pay_later"], n),
        }
    )
    m = max(n // 4, 1)
    issued = start + np.sort(rng.integers(0, 365 * 86400, m)).astype("timedelta64[s]")
    paid = rng.random(m) < 0.9
    paid_at = issued + rng.integers(0, 40 * 86400, m).astype("timedelta64[s]")
    bills = pl.DataFrame(
        {
            "bill_id": np.arange(m, dtype=np.int64),
            "user_id": rng.integers(0, max(n // 10, 1), m),
            "issued_at": issued,
            "due_at": issued + np.timedelta64(15, "D"),
            "amount_due": rng.lognormal(5.0, 1.0, m),
            "paid_at": pl.Series(paid_at).set(pl.Series(~paid), None),
            "amount_paid": np.where(paid, 100.0, 0.0),
        }
    )
    return {"orders": orders, "bills": bills}


def pandas_baseline(orders: Any, bills: Any) -> int:
    """The orders/bills checks hand-written in pandas; returns the number of failed checks."""
    failed = 0
    for df, required, amounts in (
        (orders, ["order_id", "user_id", "ordered_at", "amount", "category", "status"], ["amount"]),
        (bills, ["bill_id", "user_id", "issued_at", "due_at", "amount_due"], ["amount_due"]),
    ):
        failed += int(df[required].isna().any().any())
        for col in amounts:
            values = df[col].to_numpy()
            failed += int((~np.isfinite(values)).any()) + int((values < 0).any())
        failed += int(df[required[0]].duplicated(keep=False).any())
    failed += int((~orders["status"].isin(STATUSES)).any())
    failed += int((bills["due_at"] < bills["issued_at"]).any())
    failed += int(((bills["amount_paid"] > 0) & bills["paid_at"].isna()).any())
    return failed


def pandera_schemas() -> tuple[Any, Any]:
    import pandera.pandas as pa

    orders = pa.DataFrameSchema(
        {
            "order_id": pa.Column(int, unique=True),
            "user_id": pa.Column(int),
            "ordered_at": pa.Column("datetime64[us]"),
            "amount": pa.Column(float, [pa.Check.ge(0), pa.Check(lambda s: np.isfinite(s))]),
            "category": pa.Column(str),
            "status": pa.Column(str, pa.Check.isin(STATUSES)),
            "payment_method": pa.Column(str, nullable=True, required=False),
        }
    )
    bills = pa.DataFrameSchema(
        {
            "bill_id": pa.Column(int, unique=True),
            "user_id": pa.Column(int),
            "issued_at": pa.Column("datetime64[us]"),
            "due_at": pa.Column("datetime64[us]"),
            "amount_due": pa.Column(float, [pa.Check.ge(0), pa.Check(lambda s: np.isfinite(s))]),
            "paid_at": pa.Column("datetime64[us]", nullable=True),
            "amount_paid": pa.Column(float, pa.Check.ge(0)),
        },
        checks=[
            pa.Check(lambda df: df["due_at"] >= df["issued_at"]),
            pa.Check(lambda df: ~((df["amount_paid"] > 0) & df["paid_at"].isna())),
        ],
    )
    return orders, bills


def run_child(contender: str, n: int, bad_share: float) -> dict[str, Any]:
    tables = make_tables(n, bad_share)
    if contender == "pandas-baseline" or contender.endswith("[pandas]"):
        frames = {k: v.to_pandas() for k, v in tables.items()}
    elif contender.endswith("[pyarrow]"):
        frames = {k: v.to_arrow() for k, v in tables.items()}
    else:
        frames = tables

    if contender == "pandas-baseline":

        def work() -> int:
            return pandas_baseline(frames["orders"], frames["bills"])

    elif contender.startswith("thinfile"):
        from thinfile_credit.schema import validate_tables

        def work() -> int:
            return len(validate_tables(frames, errors="collect"))

    else:
        import pandera.errors

        orders_schema, bills_schema = pandera_schemas()

        def work() -> int:
            failed = 0
            for schema, name in ((orders_schema, "orders"), (bills_schema, "bills")):
                try:
                    schema.validate(frames[name], lazy=True)
                except pandera.errors.SchemaErrors as err:
                    failed += len(err.failure_cases)
            return failed

    times, found = [], 0
    for _ in range(3):
        t0 = time.perf_counter()
        found = work()
        times.append(time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": statistics.median(times), "peak_mb": peak_mb, "found": found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1M orders (default 100k)")
    parser.add_argument("--rows", type=int, default=None, help="number of orders")
    parser.add_argument("--pandera-path", default=None, help="folder holding pandera")
    parser.add_argument(
        "--child", nargs=3, metavar=("CONTENDER", "ROWS", "BAD"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.pandera_path:
        sys.path.append(args.pandera_path)  # after the venv, so its packages win
    if args.child:
        contender, rows, bad = args.child
        print(json.dumps(run_child(contender, int(rows), float(bad))))
        return

    n = args.rows or (1_000_000 if args.full else 100_000)
    lines = [
        f"# Validating orders ({n:,} rows) + bills ({n // 4:,} rows)",
        "",
        f"2 CPU cores; median of 3 runs per contender, each in its own process; "
        f"Python {sys.version.split()[0]}.",
        "",
        "| scenario | contender | seconds | × pandas-baseline | peak RSS MB "
        "| failed checks found |",
        "|---|---|---|---|---|---|",
    ]
    for scenario, bad in (("valid", 0.0), ("1% negative amounts", 0.01)):
        results: dict[str, dict[str, Any]] = {}
        for contender in CONTENDERS:
            cmd = [sys.executable, __file__, "--child", contender, str(n), str(bad)]
            if args.pandera_path:
                cmd += ["--pandera-path", args.pandera_path]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
            if proc.returncode != 0:
                if "No module named 'pandera'" in proc.stderr:
                    continue
                raise RuntimeError(f"{contender} failed:\n{proc.stderr}")
            results[contender] = json.loads(proc.stdout.strip().splitlines()[-1])
        base = results["pandas-baseline"]["seconds"]
        for contender, r in results.items():
            lines.append(
                f"| {scenario} | {contender} | {r['seconds']:.3f} | {r['seconds'] / base:.2f} "
                f"| {r['peak_mb']:.0f} | {r['found']} |"
            )
    lines += [
        "",
        "The pandas baseline only answers *whether* each check fails; thinfile and pandera "
        "also find the offending rows (thinfile: count and first five rows per problem; "
        "pandera: every failure case). `thinfile[pandas]` and `thinfile[pyarrow]` include "
        "the conversion to Polars.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
