"""GBMScorer costs: contributions vs native TreeSHAP, tree shape, fit overhead, memory.

Three measurements, each a ratio against a baseline run in the same process tree:

A. ``contributions`` (calibrated, in points) for N rows vs LightGBM's native
   ``pred_contrib`` and vs ``shap.TreeExplainer`` on the *same* model - with the
   default ``ensemble=True`` that is every booster of ``booster_.members``. Each
   contender runs in its own spawned process, which reports wall time and peak RSS
   growth.
B. Tree shape: test AUC and explanation cost per row of the default shape (8 leaves,
   learning rate 0.03, early stopping, ensemble of the all-rows and 5 fold boosters)
   against a single booster and deeper trees, on Give Me Some Credit when
   ``../shared/data`` has it (else on the synthetic data).
C. Fit time of ``GBMScorer`` (no early stopping, no calibration) vs a plain
   ``lightgbm.LGBMClassifier`` with the same parameters, median of 3, and the full
   default pipeline (early stopping, refit, 5-fold cross-fitted isotonic calibration).

Run::

    .venv/bin/python benchmarks/gbm.py                   # 20k rows
    .venv/bin/python benchmarks/gbm.py --full            # 100k rows (the issue's size)
    .venv/bin/python benchmarks/gbm.py --sections B,C    # only some sections

Running a subset of sections rewrites only those sections of the results file.

All engines use one thread (``n_jobs=1``). Writes ``benchmarks/results/gbm.md``.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import pickle
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("THINFILE_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAME = dict(
    num_leaves=8,
    learning_rate=0.03,
    subsample=0.8,
    colsample_bytree=0.5,
    reg_lambda=5.0,
    min_child_samples=50,
)


def synthetic(n: int, k: int = 20, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    X[rng.random((n, k)) < 0.03] = np.nan
    coef = rng.normal(size=k) * 0.4
    z = np.nan_to_num(X) @ coef + 0.5 * np.nan_to_num(X[:, 0] * X[:, 1]) - 2.5
    y = (rng.random(n) < 1 / (1 + np.exp(-z))).astype(int)
    return pd.DataFrame(X, columns=[f"f{j:02d}" for j in range(k)]), y


def _md(frame: pd.DataFrame, digits: int) -> str:
    """A Markdown table (no tabulate dependency)."""

    def cell(v: object) -> str:
        return f"{v:.{digits}f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * frame.shape[1]]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join(lines)


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return float(line.split()[1]) / 1024
    return float("nan")


def _contender(path: str, which: str, queue: mp.Queue) -> None:
    with open(path, "rb") as fh:
        model, X = pickle.load(fh)  # benchmark scratch file written by this script
    design = model.encoder_.transform(X)
    # The served model averages several boosters (ensemble=True): every contender
    # explains all of them; "native" is the bare pred_contrib calls, without averaging.
    boosters = [member.model for member in model.booster_.members]
    if which == "shap":
        import shap

        explainers = [shap.TreeExplainer(booster) for booster in boosters]
    before = _rss_mb()
    start = time.perf_counter()
    if which == "ours":
        model.contributions(X)
    elif which == "native":
        for booster in boosters:
            booster.predict(design, pred_contrib=True, num_iteration=model.n_iter_)
    else:
        for explainer in explainers:
            explainer.shap_values(design)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, peak - before))


def contributions_cost(model, X: pd.DataFrame) -> list[dict]:
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "model.pkl")
        with open(path, "wb") as fh:
            pickle.dump((model, X), fh)
        rows = []
        for which in ("native", "ours", "shap"):
            queue: mp.Queue = ctx.Queue()
            proc = ctx.Process(target=_contender, args=(path, which, queue))
            proc.start()
            seconds, peak = queue.get()
            proc.join()
            rows.append({"contender": which, "seconds": seconds, "peak_rss_growth_mb": peak})
    native = rows[0]["seconds"]
    for r in rows:
        r["ratio_vs_native"] = r["seconds"] / native
        r["ms_per_1k_rows"] = 1000 * r["seconds"] / len(X) * 1000
    return rows


def tree_shapes(n_rows_explain: int = 5000) -> tuple[str, list[dict]]:
    from thinfile_credit.datasets import load_public, stratified_split
    from thinfile_credit.gbm import GBMScorer

    if (DATA / "give_me_some_credit").is_dir():
        X, y = load_public("give_me_some_credit", DATA / "give_me_some_credit")
        Xtr, Xte, ytr, yte = stratified_split(X, y)
        source = "Give Me Some Credit (70/30 split, seed 42)"
    else:
        X, y = synthetic(60_000, seed=3)
        Xtr, Xte, ytr, yte = X[:42_000], X[42_000:], y[:42_000], y[42_000:]
        source = "synthetic (60k rows)"
    shapes = {
        "default: 8 leaves, lr 0.03, early stopping, ensemble of 6": {},
        "same, ensemble=False (one booster)": dict(ensemble=False),
        "31 leaves, lr 0.1, 100 rounds (LightGBM defaults)": dict(
            num_leaves=31,
            learning_rate=0.1,
            n_estimators=100,
            early_stopping=False,
            min_child_samples=20,
            subsample=1.0,
            colsample_bytree=1.0,
            reg_lambda=0.0,
        ),
        "31 leaves, lr 0.05, 300 rounds": dict(
            num_leaves=31, learning_rate=0.05, n_estimators=300, early_stopping=False
        ),
        "64 leaves, lr 0.03, early stopping, ensemble of 6": dict(num_leaves=64),
    }
    rows = []
    explain = Xte.head(n_rows_explain)
    for label, params in shapes.items():
        model = GBMScorer("lightgbm", random_state=0, n_jobs=1, **params).fit(Xtr, ytr)
        auc = roc_auc_score(yte, model.predict_proba(Xte)[:, 1])
        start = time.perf_counter()
        model.contributions(explain)
        per_row = (time.perf_counter() - start) / len(explain) * 1000
        rows.append(
            {
                "shape": label,
                "boosters": len(model.booster_.members),
                "rounds": model.n_iter_,
                "test_auc": auc,
                "explain_ms_per_row": per_row,
            }
        )
    return source, rows


def fit_overhead(X: pd.DataFrame, y: np.ndarray, repeats: int = 3) -> list[dict]:
    import lightgbm as lgb

    from thinfile_credit.gbm import GBMScorer

    ours, plain = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        GBMScorer(
            "lightgbm",
            n_estimators=600,
            early_stopping=False,
            calibration=None,
            random_state=0,
            n_jobs=1,
            **SAME,
        ).fit(X, y)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        lgb.LGBMClassifier(
            n_estimators=600, subsample_freq=1, random_state=0, n_jobs=1, verbose=-1, **SAME
        ).fit(X, y)
        plain.append(time.perf_counter() - start)
    start = time.perf_counter()
    full = GBMScorer("lightgbm", random_state=0, n_jobs=1).fit(X, y)
    full_s = time.perf_counter() - start
    base = statistics.median(plain)
    return [
        {"fit": "LGBMClassifier, 600 rounds (baseline)", "seconds": base, "ratio": 1.0},
        {
            "fit": "GBMScorer, same params, no calibration",
            "seconds": statistics.median(ours),
            "ratio": statistics.median(ours) / base,
        },
        {
            "fit": f"GBMScorer() defaults ({full.n_iter_} rounds + 5-fold isotonic)",
            "seconds": full_s,
            "ratio": full_s / base,
        },
    ]


def main() -> None:
    from thinfile_credit.gbm import GBMScorer

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="100k rows (default 20k)")
    parser.add_argument(
        "--sections", default="A,B,C", help="comma-separated subset of A,B,C (default all)"
    )
    args = parser.parse_args()
    sections = {part.strip().upper() for part in args.sections.split(",")}
    unknown = sections - {"A", "B", "C"}
    if unknown:
        parser.error(f"unknown sections: {sorted(unknown)}")
    n = 100_000 if args.full else 20_000
    command = f".venv/bin/python benchmarks/gbm.py{' --full' if args.full else ''}"
    if sections != {"A", "B", "C"}:
        command += f" --sections {','.join(sorted(sections))}"
    X, y = synthetic(n)
    blocks: dict[str, str] = {}
    if "A" in sections:
        model = GBMScorer("lightgbm", random_state=0, n_jobs=1).fit(X, y)
        a = pd.DataFrame(contributions_cost(model, X))
        blocks["A"] = (
            f"## A. contributions for {n:,} rows (default model: "
            f"{len(model.booster_.members)} boosters x {model.n_iter_} rounds x 8 leaves; "
            f"calibrated, in points)\n\nCommand: `{command}`\n\n" + a.pipe(_md, 3) + "\n"
        )
        print(blocks["A"], flush=True)
    if "B" in sections:
        source, b = tree_shapes()
        blocks["B"] = (
            f"## B. tree shape: AUC and explanation cost on {source}\n\n"
            f"Command: `{command}`\n\n" + pd.DataFrame(b).pipe(_md, 4) + "\n"
        )
        print(blocks["B"], flush=True)
    if "C" in sections:
        c = pd.DataFrame(fit_overhead(X, y))
        blocks["C"] = (
            f"## C. fit time on {n:,} rows\n\nCommand: `{command}`\n\n" + c.pipe(_md, 3) + "\n"
        )
        print(blocks["C"], flush=True)
    target = ROOT / "benchmarks" / "results" / "gbm.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    old = _sections(target.read_text()) if target.exists() else {}
    merged = {key: blocks.get(key, old.get(key, "")) for key in ("A", "B", "C")}
    text = "# GBMScorer benchmark (synthetic: 20 features, n_jobs=1)\n\n" + "\n".join(
        block for block in merged.values() if block
    )
    target.write_text(text)


def _sections(text: str) -> dict[str, str]:
    """The ``## A.`` / ``## B.`` / ``## C.`` blocks of an earlier results file."""
    blocks: dict[str, str] = {}
    for chunk in text.split("\n## ")[1:]:
        key = chunk[:1]
        if key in ("A", "B", "C"):
            blocks[key] = "## " + chunk.rstrip("\n") + "\n"
    return blocks


if __name__ == "__main__":
    main()
