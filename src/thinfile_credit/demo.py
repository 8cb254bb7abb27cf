"""The end-to-end demo behind ``thinfile-credit demo``.

It runs the whole pipeline on a built-in synthetic marketplace with known ground truth:
generate and validate the event tables, build point-in-time features, derive the bad flag
from repayment histories, fit a WoE scorecard and a gradient-boosted scorer on the same
score scale, explain declines with reason codes in Chinese and English, assign first
credit limits and simulate the limit ladder over a year. Every artefact is written to
``out``.

Examples
--------
>>> from pathlib import Path
>>> import tempfile
>>> from thinfile_credit.demo import run_demo
>>> result = run_demo(n_users=1500, seed=1, out=Path(tempfile.mkdtemp()), quiet=True)
>>> 0.5 < result["scorecard_auc"] <= 1.0
True
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TextIO

import numpy as np
import pandas as pd

__all__ = ["run_demo"]

#: Share of applicants approved in the demo (the cut-off is that score quantile).
APPROVAL_RATE = 0.75
#: Largest seed: the scorecard and the gradient-boosted scorer take a 32-bit seed.
MAX_SEED = 2**32 - 1


def run_demo(
    n_users: int = 20_000,
    seed: int = 0,
    out: Path | str = "demo-out",
    *,
    quiet: bool = False,
    stream: TextIO | None = None,
) -> dict[str, Any]:
    """Run the whole pipeline on a synthetic marketplace and write its artefacts.

    Parameters
    ----------
    n_users : int, default 20000
        Users to simulate.
    seed : int, default 0
        Seed of every random choice, ``0`` to ``2**32 - 1``; the same seed gives the
        same output.
    out : path, default "demo-out"
        Folder for the tables (parquet), the features, the scorecard (JSON and SQL) and a
        ``summary.json``.
    quiet : bool, default False
        Print nothing (the returned summary still holds every figure).
    stream : file, optional
        Where to print (standard output by default).

    Returns
    -------
    dict
        The figures printed: table sizes, thin-file share, default rate, AUC/KS of both
        models, approval cut-off, limit and simulation summaries.

    Raises
    ------
    SpecError
        ``n_users`` or ``seed`` is refused by
        :class:`~thinfile_credit.synthetic.MarketplaceConfig`, or ``seed`` is above
        ``2**32 - 1`` (the models' seed); raised before ``out`` is created.
    OSError
        ``out`` cannot be created or written (e.g. it names an existing file).
    """
    from thinfile_credit.features import FeatureBuilder
    from thinfile_credit.synthetic import make_marketplace

    config = _config(n_users, seed)  # before any side effect: a bad seed leaves no folder
    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    say = _Printer(stream or sys.stdout, quiet)
    result: dict[str, Any] = {"users": n_users, "seed": seed}

    with say.step(f"Generating a synthetic marketplace of {n_users:,} users"):
        mk = make_marketplace(config=config)
    with say.step("Validating the event tables"):
        mk.tables.validate()
    summary = mk.summary()
    summary["value"] = [
        f"{v:,.0f}" if item.endswith(" rows") else f"{v:.1%}"
        for item, v in zip(summary["item"], summary["value"])
    ]
    say.table("Marketplace", summary)
    result["tables"] = {name: len(frame) for name, frame in mk.tables}
    result["thin_file_share"] = float(mk.thin_file_share)
    result["default_rate"] = float(mk.default_rate)
    with say.step(f"Writing the tables to {out / 'tables'}"):
        _write_tables(mk.tables, out / "tables")

    builder = FeatureBuilder()
    with say.step("Building point-in-time features (one row per application)"):
        features = builder.build(mk.tables)
    result["n_features"] = len(builder.feature_names_)
    shown = [
        "application_id",
        "cons_order_count_90d",
        "cons_gmv_sum_365d",
        "bill_ontime_share_365d",
        "loan_max_dpd_ever",
        "ten_account_age_days",
        "thin_file",
    ]
    say.table(
        f"Features: {features.shape[0]:,} applications x {len(builder.feature_names_)} features",
        features[[c for c in shown if c in features.columns]].head(5),
    )
    features.to_parquet(out / "features.parquet")

    with say.step("Labelling applications: 30+ DPD within 180 days of disbursement"):
        data = _labelled(mk, features)
    result["labelled_applications"] = len(data)
    result["bad_rate_labelled"] = float(data["bad"].mean())

    train, test = _split(data)
    names = list(builder.feature_names_)
    figures, scorecard = _fit_models(train, test, names, out, say, seed)
    result.update(figures)

    test_scores = scorecard.score(test[names])
    _explain_declines(scorecard, train, test, test_scores, names, builder, result, say)
    _limits(mk, scorecard, test, test_scores, result, say, seed)

    (out / "summary.json").write_text(json.dumps(result, indent=2, default=float) + "\n")
    say.line(f"\nArtefacts written to {out.resolve()}")
    return result


# --- steps ------------------------------------------------------------------------------


def _config(n_users: int, seed: int) -> Any:
    """The marketplace's configuration, checked; ``seed`` must also suit scikit-learn."""
    from thinfile_credit.errors import SpecError
    from thinfile_credit.synthetic import MarketplaceConfig

    config = MarketplaceConfig(n_users=n_users, seed=seed)
    if seed > MAX_SEED:
        raise SpecError(
            f"must be at most {MAX_SEED} (the models' random_state), got {seed}",
            table="run_demo",
            column="seed",
        )
    return config


def _labelled(mk: Any, features: pd.DataFrame) -> pd.DataFrame:
    from thinfile_credit.labels import bad_flag

    flags = bad_flag(
        mk.tables.loans, mk.tables.installments, dpd=30, window=180, as_of=mk.horizon_end
    )
    flags = flags[flags["status"].isin(["good", "bad"]) & flags["application_id"].notna()]
    labels = flags[["application_id", "bad"]].astype({"application_id": "int64", "bad": "int64"})
    data = features.merge(labels, on="application_id", how="inner", validate="one_to_one")
    return data.sort_values("applied_at", kind="stable").reset_index(drop=True)


def _split(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    from thinfile_credit.splits import out_of_time_split

    train, test = out_of_time_split(data, "applied_at", test_share=0.3)
    return train.reset_index(drop=True), test.reset_index(drop=True)


def _fit_models(
    train: pd.DataFrame,
    test: pd.DataFrame,
    names: list[str],
    out: Path,
    say: _Printer,
    seed: int,
) -> tuple[dict[str, Any], Any]:
    from thinfile_credit.gbm import GBMScorer
    from thinfile_credit.metrics import auc, ks
    from thinfile_credit.scorecard import WoEScorecard

    res: dict[str, Any] = {}
    with say.step(f"Fitting a WoE scorecard on {len(train):,} applications (out-of-time test)"):
        scorecard = WoEScorecard(random_state=seed).fit(train[names], train["bad"])
    sc_pd = scorecard.predict_proba(test[names])[:, 1]
    res["scorecard_auc"] = float(auc(test["bad"], sc_pd))
    res["scorecard_ks"] = float(ks(test["bad"], sc_pd).statistic)
    res["scorecard_features"] = len(scorecard.features_)
    table = scorecard.table()
    say.table("Scorecard (first lines)", table.head(12))
    (out / "scorecard.json").write_text(scorecard.to_json())
    (out / "scorecard.sql").write_text(scorecard.to_sql(dialect="duckdb") + "\n")

    engine = _gbm_engine()
    with say.step(f"Fitting a gradient-boosted scorer (engine={engine})"):
        # One thread: on samples this small, thread start-up and contention cost more than
        # they save (measured 10x slower with 2 threads on a busy 2-core machine).
        gbm = GBMScorer(engine=engine, random_state=seed, n_jobs=1).fit(train[names], train["bad"])
    gbm_pd = gbm.predict_proba(test[names])[:, 1]
    res["gbm_engine"] = engine
    res["gbm_auc"] = float(auc(test["bad"], gbm_pd))
    res["gbm_ks"] = float(ks(test["bad"], gbm_pd).statistic)
    thin = test["thin_file"].to_numpy() == 1
    compare = pd.DataFrame(
        {
            "model": ["WoE scorecard", f"GBM ({engine})"],
            "AUC": [res["scorecard_auc"], res["gbm_auc"]],
            "KS": [res["scorecard_ks"], res["gbm_ks"]],
            "AUC thin-file": [
                _safe_auc(test["bad"][thin], sc_pd[thin]),
                _safe_auc(test["bad"][thin], gbm_pd[thin]),
            ],
        }
    ).round(4)
    say.table(f"Out-of-time test: {len(test):,} applications", compare)
    return res, scorecard


def _explain_declines(
    scorecard: Any,
    train: pd.DataFrame,
    test: pd.DataFrame,
    scores: np.ndarray,
    names: list[str],
    builder: Any,
    result: dict[str, Any],
    say: _Printer,
) -> None:
    from thinfile_credit.reasons import ReasonCoder

    cutoff = float(np.quantile(scorecard.score(train[names]), 1.0 - APPROVAL_RATE))
    result["cutoff_points"] = cutoff
    result["approval_rate_test"] = float((scores >= cutoff).mean())
    declined = test[scores < cutoff].head(3)
    with say.step("Fitting reason codes (vs. applicants near the cut-off)"):
        coder = ReasonCoder(method="vs_cutoff", cutoff=cutoff, dictionary=builder.describe()).fit(
            scorecard, train[names]
        )
    for lang in ("zh", "en"):
        reasons = coder.explain(declined[names], ids=declined["application_id"], language=lang)
        say.table(f"Declined applicants and their principal reasons ({lang})", reasons)
    result["declined_test"] = int((scores < cutoff).sum())


def _limits(
    mk: Any,
    scorecard: Any,
    test: pd.DataFrame,
    scores: np.ndarray,
    result: dict[str, Any],
    say: _Printer,
    seed: int,
) -> None:
    from thinfile_credit.limits import LimitLadder, initial_limit, simulate
    from thinfile_credit.limits.simulate import population_from_marketplace

    ladder = LimitLadder()
    approved = scores >= result["cutoff_points"]
    capacity = test["cons_gmv_sum_90d"].fillna(0.0).to_numpy() / 3.0
    limits = initial_limit(scores[approved], capacity[approved], ladder=ladder)
    dist = pd.Series(limits).value_counts().sort_index()
    labels = [
        f"{v:,.0f}" if v > 0 else "no line (a cap is below the first rung)" for v in dist.index
    ]
    table = pd.DataFrame(
        {
            "first limit (yuan)": labels,
            "approved": dist.to_numpy(),
            "share": (dist / dist.sum()).round(3).to_numpy(),
        }
    )
    say.table(f"First limits of {int(approved.sum()):,} approved applicants", table)
    result["first_limit_median"] = float(np.median(limits)) if len(limits) else 0.0

    with say.step("Simulating the default limit ladder over 12 months"):
        truth = mk.truth.set_index("application_id").loc[test["application_id"]].reset_index()
        approved_truth = SimpleNamespace(truth=truth[approved].reset_index(drop=True))
        population = population_from_marketplace(
            approved_truth, scores=scores[approved], scale=scorecard.scale_, random_state=seed
        )
        sim = simulate(ladder, population, months=12, random_state=seed)
    keys = ["approval_rate", "profit", "revenue", "credit_loss", "loss_rate", "thin_file_share_500"]
    summary = {k: float(sim.summary[k]) for k in keys if k in sim.summary}
    say.table(
        "Ladder simulation, 12 months (yuan)",
        pd.DataFrame({"measure": list(summary), "value": [round(v, 4) for v in summary.values()]}),
    )
    result["simulation"] = summary


# --- helpers ----------------------------------------------------------------------------


def _gbm_engine() -> str:
    try:
        import lightgbm  # noqa: F401
    except ImportError:
        return "sklearn"
    return "lightgbm"


def _safe_auc(y: Any, p: Any) -> float:
    from thinfile_credit.metrics import auc

    y = np.asarray(y)
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(auc(y, p))


def _write_tables(tables: Any, folder: Path) -> None:
    import polars as pl

    from thinfile_credit._frames import to_polars

    for name, frame in tables:
        df: pl.DataFrame = to_polars(frame, table=name)[0]
        df.write_parquet(folder / f"{name}.parquet")


class _Printer:
    """Progress lines with timings, and tables, unless quiet."""

    def __init__(self, stream: TextIO, quiet: bool) -> None:
        self.stream = stream
        self.quiet = quiet

    def line(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.stream, flush=True)

    @contextmanager
    def step(self, text: str) -> Iterator[None]:
        if not self.quiet:
            print(f"... {text}", file=self.stream, flush=True)
        start = time.perf_counter()
        yield
        if not self.quiet:
            print(f"    done in {time.perf_counter() - start:.1f} s", file=self.stream, flush=True)

    def table(self, title: str, frame: pd.DataFrame) -> None:
        if self.quiet:
            return
        with pd.option_context("display.width", 120, "display.max_columns", 20):
            text = frame.to_string(index=False)
        print(f"\n{title}\n{'-' * len(title)}\n{text}\n", file=self.stream, flush=True)
