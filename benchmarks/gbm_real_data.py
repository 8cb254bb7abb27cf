"""GBMScorer on public credit data: test AUC, KS and fit time per engine.

Every dataset uses the library's fixed split (``stratified_split``: 70/30, seed 42) and
library *defaults* - no per-dataset tuning. Beside each engine: a plain
``lightgbm.LGBMClassifier()`` with its own defaults on the same rows.

Run::

    .venv/bin/python benchmarks/gbm_real_data.py            # quick: HELOC, Taiwan, German
    .venv/bin/python benchmarks/gbm_real_data.py --full     # + Give Me Some Credit
    .venv/bin/python benchmarks/gbm_real_data.py --full --splits 10

Needs the datasets in ``../shared/data`` (or ``THINFILE_SHARED_DATA``). Writes the table
to ``benchmarks/results/gbm_real_data.md``. ``--splits N`` instead refits the engines'
defaults (``--engines``, default LightGBM only) and the plain model on the fixed split
and ``N - 1`` other seeds of the same 70/30 stratified split, to show how far the fixed
split's AUC is from the typical one (``benchmarks/results/gbm_real_data_splits.md``).
``--calibration`` instead checks the served PD against the test rows' bad rates, with
the ensemble on and off (``benchmarks/results/gbm_real_data_calibration.md``).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score, roc_curve

from thinfile_credit.datasets import load_public, stratified_split
from thinfile_credit.gbm import GBMScorer

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("THINFILE_SHARED_DATA", ROOT.parent / "shared" / "data"))
TARGETS = {"give_me_some_credit": 0.865, "heloc": 0.800, "taiwan_default": 0.785}
QUICK = ["heloc", "taiwan_default", "german_credit"]
FULL = ["give_me_some_credit", *QUICK]


def available(names: list[str]) -> list[str]:
    """The datasets present under ``DATA`` (the others are reported as skipped)."""
    for name in names:
        if not (DATA / name).is_dir():
            print(f"skip {name}: not found under {DATA}")
    return [name for name in names if (DATA / name).is_dir()]


def ks(y: np.ndarray, score: np.ndarray) -> float:
    fpr, tpr, _ = roc_curve(y, score)
    return float(np.max(tpr - fpr))


def plain_lightgbm(Xtr, ytr, Xte) -> tuple[np.ndarray, float]:
    import lightgbm as lgb

    Xtr, Xte = Xtr.copy(), Xte.copy()
    for c in Xtr.columns:
        if Xtr[c].dtype == object or str(Xtr[c].dtype).startswith(("str", "string")):
            cats = pd.CategoricalDtype(sorted(Xtr[c].dropna().unique()))
            Xtr[c], Xte[c] = Xtr[c].astype(cats), Xte[c].astype(cats)
    start = time.perf_counter()
    model = lgb.LGBMClassifier(verbose=-1, n_jobs=1).fit(Xtr, ytr)
    return model.predict_proba(Xte)[:, 1], time.perf_counter() - start


def evaluate(name: str, engines: list[str]) -> list[dict]:
    X, y = load_public(name, DATA / name)
    Xtr, Xte, ytr, yte = stratified_split(X, y)
    rows = []
    pd_plain, t_plain = plain_lightgbm(Xtr, ytr, Xte)
    rows.append(
        {
            "dataset": name,
            "model": "LGBMClassifier() defaults",
            "auc": roc_auc_score(yte, pd_plain),
            "ks": ks(yte, pd_plain),
            "fit_s": t_plain,
        }
    )
    for engine in engines:
        model = GBMScorer(engine, categorical_features="auto", random_state=0)
        start = time.perf_counter()
        model.fit(Xtr, ytr)
        fit_s = time.perf_counter() - start
        pd_bad = model.predict_proba(Xte)[:, 1]
        rows.append(
            {
                "dataset": name,
                "model": f"GBMScorer({engine!r})",
                "auc": roc_auc_score(yte, pd_bad),
                "ks": ks(yte, pd_bad),
                "fit_s": fit_s,
                "rounds": model.n_iter_,
            }
        )
    return rows


def across_splits(name: str, n_splits: int, engines: list[str]) -> list[dict]:
    """Test AUC of each engine's defaults and plain LightGBM over ``n_splits`` split seeds."""
    X, y = load_public(name, DATA / name)
    seeds = [42, *range(n_splits - 1)]
    ours: dict[str, list[float]] = {engine: [] for engine in engines}
    plain = []
    for seed in seeds:
        Xtr, Xte, ytr, yte = stratified_split(X, y, random_state=seed)
        plain.append(roc_auc_score(yte, plain_lightgbm(Xtr, ytr, Xte)[0]))
        for engine in engines:
            model = GBMScorer(engine, categorical_features="auto", random_state=0).fit(Xtr, ytr)
            ours[engine].append(roc_auc_score(yte, model.predict_proba(Xte)[:, 1]))
        found = " ".join(f"{e} {v[-1]:.4f}" for e, v in ours.items())
        print(f"{name} seed {seed}: {found} plain {plain[-1]:.4f}", flush=True)
    b = np.array(plain)
    target = TARGETS.get(name, np.nan)
    rows = []
    for engine, values in ours.items():
        a = np.array(values)
        rows.append(
            {
                "dataset": name,
                "engine": engine,
                "fixed": a[0],
                "mean": a.mean(),
                "sd": a.std(ddof=1),
                "min": a.min(),
                "max": a.max(),
                "rank": int((a > a[0]).sum()) + 1,
                "plain": b.mean(),
                "gain": (a - b).mean(),
                "gain_se": (a - b).std(ddof=1) / np.sqrt(len(a)),
                "wins": int((a >= b).sum()),
                "target": target,
                "hits": int((a >= target).sum()) if np.isfinite(target) else None,
                "n": len(a),
            }
        )
    return rows


def splits_report(names: list[str], n_splits: int, engines: list[str]) -> str:
    lines = [
        "| dataset | engine | fixed split (seed 42) | mean ± sd over splits | min - max "
        "| rank of seed 42 | plain mean | gain over plain (± se) | splits ours ≥ plain "
        "| target | splits ≥ target |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in available(names):
        for r in across_splits(name, n_splits, engines):
            target = "" if r["hits"] is None else f"{r['target']:.3f}"
            hits = "" if r["hits"] is None else f"{r['hits']}/{r['n']}"
            lines.append(
                f"| {name} | {r['engine']} | {r['fixed']:.4f} | {r['mean']:.4f} ± {r['sd']:.4f} "
                f"| {r['min']:.4f} - {r['max']:.4f} | {r['rank']}/{r['n']} | {r['plain']:.4f} "
                f"| {r['gain']:+.4f} ± {r['gain_se']:.4f} | {r['wins']}/{r['n']} | {target} "
                f"| {hits} |"
            )
    return "\n".join(lines)


def calibration_report(names: list[str], engines: list[str]) -> str:
    """Calibration of the served PD on the fixed split's test rows, ensemble on and off."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss

    lines = [
        "| dataset | engine | served model | mean PD | bad rate | calibration slope "
        "| intercept | Brier | worst decile gap |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in available(names):
        X, y = load_public(name, DATA / name)
        Xtr, Xte, ytr, yte = stratified_split(X, y)
        bad = yte.to_numpy()
        for engine in engines:
            for ensemble in (True, False):
                model = GBMScorer(
                    engine, categorical_features="auto", random_state=0, ensemble=ensemble
                ).fit(Xtr, ytr)
                p = np.clip(model.predict_proba(Xte)[:, 1], 1e-9, 1 - 1e-9)
                # Logistic recalibration of the outcome on logit(PD): slope 1 and
                # intercept 0 for a perfectly calibrated PD.
                logit = np.log(p / (1 - p))[:, None]
                fit = LogisticRegression(C=1e9, max_iter=1000).fit(logit, bad)
                decile = pd.qcut(pd.Series(p).rank(method="first"), 10, labels=False)
                by = pd.DataFrame({"p": p, "y": bad, "d": decile}).groupby("d").mean()
                lines.append(
                    f"| {name} | {engine} | {'ensemble' if ensemble else 'single booster'} "
                    f"| {p.mean():.4f} | {bad.mean():.4f} | {fit.coef_[0, 0]:.3f} "
                    f"| {fit.intercept_[0]:+.3f} | {brier_score_loss(bad, p):.5f} "
                    f"| {np.abs(by.p - by.y).max():.4f} |"
                )
                print(lines[-1], flush=True)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="include Give Me Some Credit")
    parser.add_argument(
        "--engines",
        default=None,
        help="comma-separated engines (default: all three; with --splits: lightgbm)",
    )
    parser.add_argument(
        "--splits", type=int, default=0, help="compare the fixed split with N split seeds"
    )
    parser.add_argument(
        "--calibration",
        action="store_true",
        help="calibration of the served PD on the test rows, ensemble on and off",
    )
    args = parser.parse_args()
    names = FULL if args.full else QUICK
    engines = (args.engines or ("lightgbm" if args.splits else "lightgbm,xgboost,sklearn")).split(
        ","
    )
    if args.calibration:
        text = calibration_report(names, engines)
        out = ROOT / "benchmarks" / "results" / "gbm_real_data_calibration.md"
        flag = (" --full" if args.full else "") + (
            f" --engines {args.engines}" if args.engines else ""
        )
        out.write_text(
            "# Calibration of GBMScorer's PD on the test rows\n\n"
            f"Command: `.venv/bin/python benchmarks/gbm_real_data.py{flag} --calibration`"
            " (library defaults, `random_state=0`, fixed split)\n\n" + text + "\n"
        )
        return
    if args.splits:
        text = splits_report(names, args.splits, engines)
        print(text)
        flag = (" --full" if args.full else "") + (
            f" --engines {args.engines}" if args.engines else ""
        )
        out = ROOT / "benchmarks" / "results" / "gbm_real_data_splits.md"
        out.write_text(
            "# GBMScorer defaults across split seeds\n\n"
            f"Command: `.venv/bin/python benchmarks/gbm_real_data.py{flag} --splits {args.splits}`"
            " (library defaults, `random_state=0`; 70/30 stratified splits "
            "with seed 42 - the fixed split - and seeds 0 onwards)\n\n" + text + "\n"
        )
        return
    rows = []
    for name in available(names):
        rows.extend(evaluate(name, engines))
        print(pd.DataFrame(rows).tail(4).to_string(index=False), flush=True)
    if not rows:
        print(f"no dataset found under {DATA}: nothing to report")
        return
    table = pd.DataFrame(rows)
    plain = table[table.model.str.startswith("LGBM")].set_index("dataset")["auc"]
    table["vs_plain_auc"] = table["auc"] - table["dataset"].map(plain)
    table["target"] = table["dataset"].map(TARGETS)
    lines = [
        "| dataset | model | test AUC | KS | fit (s) | rounds | AUC - plain | target |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in table.itertuples():
        rounds = "" if pd.isna(getattr(r, "rounds", np.nan)) else f"{int(r.rounds)}"
        target = "" if pd.isna(r.target) else f"{r.target:.3f}"
        lines.append(
            f"| {r.dataset} | {r.model} | {r.auc:.4f} | {r.ks:.4f} | {r.fit_s:.1f} | {rounds} "
            f"| {r.vs_plain_auc:+.4f} | {target} |"
        )
    text = "\n".join(lines)
    print(text)
    out = ROOT / "benchmarks" / "results" / "gbm_real_data.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        "# GBMScorer on public credit data\n\n"
        f"Command: `.venv/bin/python benchmarks/gbm_real_data.py{' --full' if args.full else ''}`"
        " (n_jobs=1, 70/30 stratified split, seed 42)\n\n" + text + "\n"
    )


if __name__ == "__main__":
    main()
