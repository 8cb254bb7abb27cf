"""Benchmark: point-in-time features, thinfile_credit vs pandas, DuckDB and featuretools.

Sizes (``--scale`` multiplies the issue's full size of 10M orders + 2M bills + 1M
instalments over 1M users with 1M applications):

    python benchmarks/features.py              # scale 0.01 (quick)
    python benchmarks/features.py --tenth      # scale 0.1
    python benchmarks/features.py --full       # scale 1.0 (needs ~5 GB free)
    python benchmarks/features.py --online     # build_one latency only
    python benchmarks/features.py --tenth --contenders thinfile --featuretools 10000

Every contender runs in its own child process on the same parquet files, so each peak
RSS (``ru_maxrss``) is its own. "input" is the in-memory size of the tables as Polars
holds them; "peak/input" divides the peak RSS of the child by it. thinfile_credit builds
twice in its child: "seconds" is the first build (it also loads the compiled kernels
from numba's cache, once per process), "warm seconds" the second; the other contenders
build once. featuretools needs
pandas<3 and runs from the virtual environment ``/tmp/ftvenv`` (see the docs page).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from thinfile_credit.schema import TABLES as SCHEMA_TABLES  # noqa: E402

FULL = {
    "users": 1_000_000,
    "orders": 10_000_000,
    "bills": 2_000_000,
    "installments": 1_000_000,
    "apps": 1_000_000,
}
TABLES = tuple(SCHEMA_TABLES)  # the eight tables of the data model, in model order


def sizes(scale: float) -> dict[str, int]:
    return {k: max(10, int(v * scale)) for k, v in FULL.items()}


def make_data(scale: float) -> Path:
    from _features_data import make_tables

    folder = Path(f"/tmp/thinfile_feature_bench_{scale:g}")
    if (folder / "done").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    s = sizes(scale)
    tables = make_tables(s["users"], s["orders"], s["bills"], s["installments"], s["apps"], seed=0)
    for name, df in tables.items():
        df.write_parquet(folder / f"{name}.parquet")
    (folder / "done").write_text("ok")
    return folder


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(contender: str, folder: str) -> None:
    """Run one contender and print JSON: seconds, peak MB, input MB, rows."""
    import polars as pl

    if contender == "pandas":
        import pandas as pd
        from _features_pandas import pandas_features

        # read straight into pandas so the child holds one copy of the input
        pdf = {n: pd.read_parquet(f"{folder}/{n}.parquet") for n in TABLES}
        input_mb = sum(df.memory_usage(deep=True).sum() for df in pdf.values()) / 2**20
        before = _rss_mb()
        start = time.perf_counter()
        rows = len(pandas_features(pdf))
        _emit(time.perf_counter() - start, before, input_mb, rows)
        return
    frames = {n: pl.read_parquet(f"{folder}/{n}.parquet") for n in TABLES}
    input_mb = sum(df.estimated_size() for df in frames.values()) / 2**20
    before = _rss_mb()
    if contender in ("thinfile", "thinfile+validate"):
        from thinfile_credit.features import FeatureBuilder
        from thinfile_credit.schema import EventTables

        start = time.perf_counter()
        fb = FeatureBuilder(validate=contender == "thinfile+validate")
        rows = fb.build(EventTables(**frames)).height
        cold = time.perf_counter() - start
        # a second build in the same process: the first one also loads the compiled
        # kernels from numba's cache (about 0.9 s, once per process)
        start = time.perf_counter()
        fb.build(EventTables(**frames))
        _emit(cold, before, input_mb, rows, warm=time.perf_counter() - start)
        return
    elif contender == "duckdb":
        import duckdb
        import narwhals.stable.v2 as nw

        from thinfile_credit.features import FeatureBuilder
        from thinfile_credit.features._plan import run_narwhals
        from thinfile_credit.features.builder import prepare_polars

        start = time.perf_counter()
        fb = FeatureBuilder(validate=False)
        con = duckdb.connect()
        prepared = {n: prepare_polars(n, df).collect() for n, df in frames.items()}
        apps = (
            prepared.pop("applications")
            .with_row_index("_app")
            .with_columns(pl.col("_app").cast(pl.Int64), _t=pl.col("applied_at"))
        )
        rels = {n: nw.from_native(con.from_arrow(df.to_arrow())) for n, df in prepared.items()}
        app_rel = nw.from_native(con.from_arrow(apps.select("_app", "user_id", "_t").to_arrow()))
        rows = run_narwhals(fb._plan(), app_rel, rels).to_native().pl().height
    else:
        raise SystemExit(f"unknown contender {contender}")
    _emit(time.perf_counter() - start, before, input_mb, rows)


def _emit(
    seconds: float, before_mb: float, input_mb: float, rows: int, warm: float | None = None
) -> None:
    record = {
        "seconds": seconds,
        "warm_seconds": seconds if warm is None else warm,
        "peak_mb": _rss_mb(),
        "before_mb": before_mb,
        "input_mb": input_mb,
        "rows": rows,
    }
    print(json.dumps(record))


def run_child(contender: str, folder: Path, timeout: float = 3600) -> dict[str, float] | None:
    cmd = [sys.executable, __file__, "--child", contender, "--data", str(folder)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return None
    if res.returncode != 0:
        print(res.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def online_latency(n: int = 1000) -> dict[str, float]:
    """build_one for an applicant with ~500 events (orders, bills, loans, links...)."""
    from datetime import datetime, timedelta

    import numpy as np

    from thinfile_credit.features import FeatureBuilder

    rng = np.random.default_rng(0)
    t = datetime(2024, 6, 1)

    def ts(k: int, days: int = 400) -> list[datetime]:
        return [t - timedelta(minutes=int(m)) for m in rng.integers(1, days * 1440, k)]

    orders = [
        {
            "user_id": 1,
            "ordered_at": d,
            "amount": float(a),
            "category": c,
            "status": s,
            "payment_method": "card",
            "installments": 1,
        }
        for d, a, c, s in zip(
            ts(400),
            rng.lognormal(3, 1, 400),
            rng.choice(["food", "toys", "grocery"], 400),
            rng.choice(["paid", "refunded"], 400),
        )
    ]
    bills = [
        {
            "user_id": 1,
            "issued_at": i,
            "due_at": i + timedelta(days=10),
            "amount_due": 50.0,
            "paid_at": i + timedelta(days=12),
            "amount_paid": 50.0,
        }
        for i in ts(60)
    ]
    loans = [
        {"loan_id": k, "user_id": 1, "disbursed_at": d, "principal": 100.0, "credit_limit": 200.0}
        for k, d in enumerate(ts(5, 300))
    ]
    inst = [
        {
            "loan_id": k,
            "installment_no": j,
            "due_at": x["disbursed_at"] + timedelta(days=30 * j),
            "amount_due": 25.0,
            "paid_at": x["disbursed_at"] + timedelta(days=30 * j - 1),
            "amount_paid": 25.0,
        }
        for k, x in enumerate(loans)
        for j in range(1, 5)
    ]
    events = {
        "orders": orders,
        "bills": bills,
        "loans": loans,
        "installments": inst,
        "edges": [
            {"user_id": 1, "peer_id": p, "kind": "social", "since": d}
            for p, d in zip(range(2, 12), ts(10))
        ],
        "profile_changes": [{"user_id": 1, "changed_at": d, "kind": "device"} for d in ts(10)],
        "profiles": [
            {
                "user_id": 1,
                "registered_at": t - timedelta(days=900),
                "phone_verified_at": t - timedelta(days=800),
            }
        ],
    }
    fb = FeatureBuilder()
    fb.build_one(events, t, user_id=1)
    wall, cpu = [], []
    for _ in range(n):
        w0, c0 = time.perf_counter(), time.process_time()
        fb.build_one(events, t, user_id=1)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    w, c = np.array(wall) * 1e3, np.array(cpu) * 1e3
    return {
        "events": sum(len(v) for v in events.values()),
        "features": len(fb.feature_names_),
        "wall_p50_ms": float(np.median(w)),
        "wall_p99_ms": float(np.percentile(w, 99)),
        "cpu_p50_ms": float(np.median(c)),
        "cpu_p99_ms": float(np.percentile(c, 99)),
        "load_average": os.getloadavg()[0],  # timings on a shared machine depend on it
    }


def featuretools(folder: Path, n_apps: int, budget: float = 600) -> dict[str, float] | None:
    py = Path("/tmp/ftvenv/bin/python")
    if not py.exists():
        return None
    cmd = [str(py), str(HERE / "_features_ft.py"), str(folder), str(n_apps)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=budget, check=False)
    except subprocess.TimeoutExpired:
        return {"seconds": float("inf"), "n_apps": n_apps}
    if res.returncode != 0:
        print(res.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--data")
    ap.add_argument("--scale", type=float, default=0.01)
    ap.add_argument("--tenth", action="store_true")
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--online", action="store_true")
    ap.add_argument("--featuretools", type=int, default=0, help="applications for featuretools")
    ap.add_argument("--contenders", default="thinfile,thinfile+validate,pandas,duckdb")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.data)
        return
    if args.online:
        print(json.dumps(online_latency()))
        return
    scale = 1.0 if args.full else 0.1 if args.tenth else args.scale
    folder = make_data(scale)
    s = sizes(scale)
    print(
        f"## scale {scale:g}: {s['orders']:,} orders, {s['bills']:,} bills, "
        f"{s['installments']:,} instalments, {s['users']:,} users, {s['apps']:,} applications"
    )
    results = {}
    for name in args.contenders.split(","):
        results[name] = run_child(name, folder)
        print(name, results[name], flush=True)
    base = results.get("pandas")
    print(
        "\n| contender | seconds | x pandas | warm seconds | warm x pandas | peak RSS MB "
        "| RSS before MB | input MB | peak/input | (peak-before)/input |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        if r is None:
            print(f"| {name} | failed | | | | | | | | |")
            continue
        ratio = f"{base['seconds'] / r['seconds']:.2f}" if base else ""
        warm = f"{base['seconds'] / r['warm_seconds']:.2f}" if base else ""
        print(
            f"| {name} | {r['seconds']:.1f} | {ratio} | {r['warm_seconds']:.1f} | {warm} "
            f"| {r['peak_mb']:.0f} | "
            f"{r['before_mb']:.0f} | {r['input_mb']:.0f} | {r['peak_mb'] / r['input_mb']:.2f} | "
            f"{(r['peak_mb'] - r['before_mb']) / r['input_mb']:.2f} |"
        )
    if args.featuretools:
        ft = featuretools(folder, args.featuretools)
        print("featuretools", ft)
        if ft and ft["seconds"] != float("inf"):
            # the first build of this process also imports numba and loads the kernels
            first = run_subset(folder, args.featuretools)
            second = run_subset(folder, args.featuretools)
            print(
                f"\nfeaturetools: {ft['n_apps']} applications in {ft['seconds']:.1f} s "
                f"({ft['features']} features) = {1e3 * ft['seconds'] / ft['n_apps']:.1f} ms per "
                f"application; thinfile_credit on the same applications ({len(FULL)} tables, "
                f"148 features): first build {first:.2f} s -> {ft['seconds'] / first:.0f}x, "
                f"second build {second:.2f} s -> {ft['seconds'] / second:.0f}x"
            )


def run_subset(folder: Path, n_apps: int) -> float:
    """thinfile_credit on the first ``n_apps`` applications of ``folder`` (all events)."""
    import polars as pl

    from thinfile_credit.features import FeatureBuilder
    from thinfile_credit.schema import EventTables

    frames = {n: pl.read_parquet(folder / f"{n}.parquet") for n in TABLES}
    frames["applications"] = frames["applications"].head(n_apps)
    start = time.perf_counter()
    FeatureBuilder(validate=False).build(EventTables(**frames))
    return time.perf_counter() - start


if __name__ == "__main__":
    os.environ.setdefault("POLARS_MAX_THREADS", str(os.cpu_count() or 2))
    main()
