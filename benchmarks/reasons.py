"""Benchmark: reason codes on top of scoring, for a WoE scorecard and a LightGBM scorer.

    python benchmarks/reasons.py            # 10k applicants, 500 single calls, 20 Owen rows
    python benchmarks/reasons.py --full     # 100k applicants, 2000 single calls, 60 Owen rows

Models are fitted on features built from the synthetic marketplace
(``make_marketplace`` -> ``FeatureBuilder`` -> ``WoEScorecard`` / ``GBMScorer``); the
applicants scored are a seeded resample of those feature rows.

Measured, each as a ratio against its baseline in the same process:

* batch: ``ReasonCoder.explain(X)`` (contributions + grouping + ranking + tidy frame)
  against ``model.contributions(X)`` alone (target <= 1.5x); peak traced memory of each;
  and the cost of checking reasons against the applicants' values (``check_values``,
  the default) against the plain group sums (``check_values=False``);
* single applicant (scorecard, a ``{feature: value}`` dict): ``explain_one`` against the
  scorecard's own ``score_one`` (the scoring it sits on), p50/p99 over N calls; the
  difference of p99s is the latency reasons add (target <= 0.5 ms);
* Owen values (GBM, ``vs_population``): per-applicant cost against summed TreeSHAP, and how
  often the top reason / the set of four reasons changes.

The table is printed and saved to ``benchmarks/results/reasons.md`` (``reasons-small.md``
for the default run).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from thinfile_credit.features import FeatureBuilder
from thinfile_credit.gbm import GBMScorer
from thinfile_credit.reasons import ReasonCoder, owen_points_lost
from thinfile_credit.scorecard import WoEScorecard
from thinfile_credit.synthetic import make_marketplace

FAMILIES = {"cons", "bill", "loan", "soc", "ten", "thin"}


def build_data(n_users: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    mk = make_marketplace(n_users=n_users, seed=seed)
    F = FeatureBuilder().build(mk.tables, mk.tables.applications)
    F = F if isinstance(F, pd.DataFrame) else F.to_pandas()
    truth = mk.truth if isinstance(mk.truth, pd.DataFrame) else mk.truth.to_pandas()
    df = F.merge(truth[["application_id", "bad"]], on="application_id")
    names = [c for c in F.columns if c.split("_")[0] in FAMILIES]
    return df[names].astype(float), df["bad"].astype(int).to_numpy()


def best_of(fn: Any, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mb(fn: Any) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the issue's sizes")
    args = parser.parse_args(argv)
    n_rows = 100_000 if args.full else 10_000
    n_calls = 2_000 if args.full else 500
    n_owen = 60 if args.full else 20
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    t0 = time.perf_counter()
    X_fit, y = build_data(20_000 if args.full else 6_000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = WoEScorecard(round_points=False).fit(X_fit, y)
        gbm = GBMScorer(random_state=0, calibration=None).fit(X_fit, y)
    rng = np.random.default_rng(0)
    X = X_fit.iloc[rng.integers(0, len(X_fit), n_rows)].reset_index(drop=True)
    say(f"# Reason codes benchmark ({'full' if args.full else 'small'} run)")
    say()
    say(
        f"Data: {len(X_fit):,} synthetic applications x {X_fit.shape[1]} features "
        f"(scorecard keeps {len(card.features_)}, GBM {gbm.n_iter_} trees); "
        f"batch of {n_rows:,} resampled applicants; setup {time.perf_counter() - t0:.0f} s."
    )
    say()

    # --- batch ---------------------------------------------------------------------------
    say("## Batch: reasons vs contributions alone")
    say()
    say(
        "| model | contributions (s) | explain (s) | ratio | target | explain_contributions (s) "
        "| same, check_values=False (s) | peak MB contrib | peak MB explain |"
    )
    say("|---|---|---|---|---|---|---|---|---|")
    for name, model, method in (
        ("WoE scorecard", card, "points_below_max"),
        ("LightGBM GBMScorer", gbm, "vs_population"),
    ):
        coder = ReasonCoder(method=method, language="en").fit(model, X_fit)
        contrib_t = best_of(lambda m=model: m.contributions(X))
        explain_t = best_of(lambda c=coder: c.explain(X))
        contrib = model.contributions(X)
        reuse_t = best_of(lambda c=coder, k=contrib: c.explain_contributions(k, X=X))
        plain = ReasonCoder(method=method, language="en", check_values=False).fit(model, X_fit)
        plain_t = best_of(lambda c=plain, k=contrib: c.explain_contributions(k))
        mem_c = peak_mb(lambda m=model: m.contributions(X))
        mem_e = peak_mb(lambda c=coder: c.explain(X))
        say(
            f"| {name} | {contrib_t:.3f} | {explain_t:.3f} | {explain_t / contrib_t:.2f}x "
            f"| <= 1.5x | {reuse_t:.3f} | {plain_t:.3f} | {mem_c:.0f} | {mem_e:.0f} |"
        )
    say()

    # --- single applicant --------------------------------------------------------------------
    say(f"## Single applicant (scorecard, dict input, {n_calls:,} calls)")
    say()
    coder = ReasonCoder(language="zh").fit(card, X_fit)
    # reasons from contributions alone cannot check values against texts
    unchecked = ReasonCoder(language="zh", check_values=False).fit(card, X_fit)
    rows = [X.iloc[i].to_dict() for i in range(min(n_calls, len(X)))]
    contribs = [card.contributions(X.iloc[[i]]) for i in range(min(200, len(X)))]

    def timed(fn: Any, items: list[Any]) -> tuple[list[float], list[float]]:
        # Wall time, and the thread's CPU time: on a shared, oversubscribed machine the
        # wall-clock tail is the scheduler preempting the process, not the code.
        wall: list[float] = []
        cpu: list[float] = []
        for _ in range(2):  # warm-up pass, then the measured one
            wall, cpu = [], []
            for item in items:
                start, start_cpu = time.perf_counter(), time.thread_time()
                fn(item)
                cpu.append((time.thread_time() - start_cpu) * 1e3)
                wall.append((time.perf_counter() - start) * 1e3)
        return wall, cpu

    (score_ms, score_cpu) = timed(card.score_one, rows)
    (explain_ms, explain_cpu) = timed(coder.explain_one, rows)
    (only_ms, only_cpu) = timed(unchecked.explain_one, contribs)
    say("| call | p50 (ms) | p99 wall (ms) | p99 CPU (ms) |")
    say("|---|---|---|---|")
    for label, wall, cpu in (
        ("`card.score_one(dict)` (scoring)", score_ms, score_cpu),
        ("`coder.explain_one(dict)` (scoring + reasons)", explain_ms, explain_cpu),
        ("`explain_one(contributions)`, check_values=False (reasons only)", only_ms, only_cpu),
    ):
        say(
            f"| {label} | {percentile(wall, 50):.3f} | {percentile(wall, 99):.3f} "
            f"| {percentile(cpu, 99):.3f} |"
        )
    added = percentile(explain_ms, 99) - percentile(score_ms, 99)
    added_cpu = percentile(explain_cpu, 99) - percentile(score_cpu, 99)
    say()
    say(
        f"Reasons add {added_cpu:.3f} ms of CPU at p99 on top of scoring ({added:.3f} ms "
        "wall-clock; target <= 0.5 ms)."
    )
    say()

    # --- Owen values ---------------------------------------------------------------------------
    say(f"## Owen values vs summed TreeSHAP (GBM, vs_population, {n_owen} declined applicants)")
    say()
    # Owen coalitions are the catalog's fixed groups: compare with the plain group sums
    coder = ReasonCoder(method="vs_population", language="en", check_values=False).fit(gbm, X_fit)
    scores = gbm.score(X)
    declined = np.argsort(scores)[:n_owen]
    sample = X.iloc[declined].reset_index(drop=True)
    owen_points_lost(coder, sample.iloc[:2], max_evals=500)  # compile shap's kernels once
    sum_t = best_of(lambda: coder.points_lost(sample), repeat=3)
    start = time.perf_counter()
    owen = owen_points_lost(coder, sample, max_evals=500)
    owen_t = time.perf_counter() - start
    summed = coder.points_lost(sample)

    def top(lost: np.ndarray, k: int) -> list[list[int]]:
        order = np.argsort(-lost, axis=1, kind="stable")
        return [
            [j for j in row[:k] if lost[i, j] >= coder.min_points] for i, row in enumerate(order)
        ]

    top1_same = np.mean([a[:1] == b[:1] for a, b in zip(top(summed, 1), top(owen, 1))])
    sets_same = np.mean([set(a) == set(b) for a, b in zip(top(summed, 4), top(owen, 4))])
    order_same = np.mean([a == b for a, b in zip(top(summed, 4), top(owen, 4))])
    gap = np.abs(owen - summed).max(axis=1)
    say("| measure | value |")
    say("|---|---|")
    say(f"| summed TreeSHAP, per applicant (ms) | {sum_t / n_owen * 1e3:.3f} |")
    say(
        f"| Owen (Partition, 500 evals x 100 background), per applicant (ms) "
        f"| {owen_t / n_owen * 1e3:.1f} |"
    )
    say(f"| cost ratio | {owen_t / max(sum_t, 1e-9):,.0f}x |")
    say(f"| same principal reason | {top1_same:.1%} |")
    say(f"| same set of up to 4 reasons | {sets_same:.1%} |")
    say(f"| same 4 reasons in the same order | {order_same:.1%} |")
    say(f"| median max abs gap in group points | {np.median(gap):.2f} |")
    say()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    say(
        f"Python {sys.version.split()[0]}; total {time.perf_counter() - t0:.0f} s; load average "
        f"at the end {load} on {os.cpu_count()} cores (shared machine: timings are noisy)."
    )

    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    name = "reasons.md" if args.full else "reasons-small.md"
    (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
