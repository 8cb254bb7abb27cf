"""Benchmark: AUC, KS and PSI on millions of scores against scikit-learn + SciPy + NumPy.

Contenders, each run timed in a fresh child process (contenders alternating run by run;
median of the repeats), with the peak extra memory of the computation (``tracemalloc``,
measured on the untimed warm-up run: NumPy reports its allocations to it; the input
arrays are excluded) and the child's peak RSS:

* ``peers`` - :func:`sklearn.metrics.roc_auc_score` for AUC, :func:`scipy.stats.ks_2samp`
  on the bad and good scores for KS, and (neither library has a PSI) a plain NumPy PSI
  with the same conventions (``np.quantile`` deciles, ``searchsorted`` + ``bincount``) -
  the baseline;
* ``thinfile`` - :func:`thinfile_credit.metrics.discrimination` (AUC, Gini and KS from one
  sort), :func:`~thinfile_credit.metrics.auc`, :func:`~thinfile_credit.metrics.ks` and
  :func:`~thinfile_credit.metrics.psi` (which also validates its input and builds the
  per-bin table).

Tasks: ``auc``, ``ks``, ``psi`` (current sample = another draw of the same size, shifted),
``auc+ks+psi`` (the issue's headline figure) and ``auc weighted`` (random weights). The
scores are continuous PDs (no ties) with a 10 % bad rate; the results of both contenders
are checked to agree before timing.

Usage::

    python benchmarks/metrics.py            # 1M scores, 3 repeats
    python benchmarks/metrics.py --full     # 1M and 10M scores (the issue's sizes)
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
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

TASKS = ("auc", "ks", "psi", "auc+ks+psi", "auc weighted")
CONTENDERS = ("peers", "thinfile")


def make_data(n: int) -> dict[str, np.ndarray]:
    """Seeded scores: 10 % bads, continuous PD scores, a shifted current sample, weights."""
    rng = np.random.default_rng(42)
    y = (rng.random(n) < 0.1).astype(np.int8)
    z = rng.normal(size=n) + 1.2 * y - 2.0
    score = 1.0 / (1.0 + np.exp(-z))
    current = 1.0 / (1.0 + np.exp(-(rng.normal(size=n) - 1.9)))
    weight = rng.uniform(0.5, 2.0, n)
    return {"y": y, "score": score, "current": current, "weight": weight}


def numpy_psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    """PSI in plain NumPy with the library's conventions: reference deciles (inverted
    CDF), right-closed bins, shares floored at 1e-4."""
    edges = np.unique(np.quantile(reference, np.arange(1, bins) / bins, method="inverted_cdf"))
    k = edges.size + 1
    r = np.bincount(np.searchsorted(edges, reference), minlength=k) / reference.size
    c = np.bincount(np.searchsorted(edges, current), minlength=k) / current.size
    r, c = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
    return float(((c - r) * np.log(c / r)).sum())


def run(contender: str, task: str, d: dict[str, np.ndarray]) -> Any:
    """One evaluation of ``task`` by ``contender``; returns the numbers it computed."""
    y, s, cur, w = d["y"], d["score"], d["current"], d["weight"]
    if contender == "peers":
        from scipy.stats import ks_2samp
        from sklearn.metrics import roc_auc_score

        if task == "auc":
            return roc_auc_score(y, s)
        if task == "auc weighted":
            return roc_auc_score(y, s, sample_weight=w)
        if task == "ks":
            return ks_2samp(s[y == 1], s[y == 0]).statistic
        if task == "psi":
            return numpy_psi(s, cur)
        bad = y == 1
        return (
            roc_auc_score(y, s),
            ks_2samp(s[bad], s[~bad]).statistic,
            numpy_psi(s, cur),
        )
    from thinfile_credit.metrics import auc, discrimination, ks, psi

    if task == "auc":
        return auc(y, s)
    if task == "auc weighted":
        return auc(y, s, sample_weight=w)
    if task == "ks":
        return ks(y, s).statistic
    if task == "psi":
        return psi(s, cur).value
    dd = discrimination(y, s)
    return (dd.auc, dd.ks, psi(s, cur).value)


def child(contender: str, task: str, n: int, repeats: int) -> None:
    """Run in a fresh interpreter: time ``repeats`` runs, print a JSON line."""
    d = make_data(n)
    if contender == "peers":
        import scipy.stats  # noqa: F401
        import sklearn.metrics  # noqa: F401
    else:
        import thinfile_credit.metrics  # noqa: F401
    # The warm-up run (after the imports, so they are not counted) doubles as the memory
    # measurement, so the tracing overhead never enters the timings.
    tracemalloc.start()
    run(contender, task, d)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = run(contender, task, d)
        times.append(time.perf_counter() - start)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    value = np.atleast_1d(np.asarray(value, dtype=float)).tolist()
    print(json.dumps({"times": times, "peak": peak, "rss": rss, "value": value}))


def measure(contender: str, task: str, n: int, repeats: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", contender, task, str(n), str(repeats)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1M and 10M scores")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help="also write the table to this file")
    args = parser.parse_args()
    if args.child:
        contender, task, n, repeats = args.child
        child(contender, task, int(n), int(repeats))
        return 0
    sizes = [1_000_000, 10_000_000] if args.full else [1_000_000]
    lines = [
        "| scores | task | contender | median s | ratio vs peers | extra peak MB | peak RSS MB |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for n in sizes:
        for task in TASKS:
            # Contenders alternate run by run so that load from other processes on the
            # machine hits both alike; each run is a fresh process with its own warm-up.
            res: dict[str, dict[str, Any]] = {
                c: {"times": [], "peak": 0, "rss": 0, "value": None} for c in CONTENDERS
            }
            for _ in range(args.repeats):
                for c in CONTENDERS:
                    one = measure(c, task, n, 1)
                    res[c]["times"] += one["times"]
                    res[c]["peak"] = max(res[c]["peak"], one["peak"])
                    res[c]["rss"] = max(res[c]["rss"], one["rss"])
                    res[c]["value"] = one["value"]
            a, b = res["peers"]["value"], res["thinfile"]["value"]
            if not np.allclose(a, b, rtol=1e-9, atol=1e-12):
                print(f"MISMATCH {task} n={n}: peers {a} thinfile {b}", file=sys.stderr)
                return 1
            base = statistics.median(res["peers"]["times"])
            for c in CONTENDERS:
                med = statistics.median(res[c]["times"])
                lines.append(
                    f"| {n:,} | {task} | {c} | {med:.3f} | {med / base:.2f} | "
                    f"{res[c]['peak'] / 2**20:.0f} | {res[c]['rss'] / 2**20:.0f} |"
                )
            print("\n".join(lines[-2:]), flush=True)
    header = (
        f"# benchmarks/metrics.py{' --full' if args.full else ''}\n\n"
        f"Median of {args.repeats} runs per contender, each in a fresh process, contenders "
        "alternating; ratio < 1 means thinfile is faster. Results of both contenders agree "
        f"to 1e-9. Machine load average at the end: {os.getloadavg()[0]:.1f} (2 cores, "
        "shared).\n\n"
    )
    table = header + "\n".join(lines) + "\n"
    print("\n" + table)
    if args.out:
        Path(args.out).write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
