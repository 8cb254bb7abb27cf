"""Validation and monitoring: from repayment histories to KS, PSI and a monitoring report.

Run it with ``python docs/tutorials/validation.py``; it takes a few seconds.
"""

import numpy as np
import polars as pl

from thinfile_credit.labels import bad_flag, roll_rate_matrix, suggest_window, vintage_curves
from thinfile_credit.metrics import (
    adverse_impact_ratio,
    bootstrap_ci,
    calibration_table,
    discrimination,
    hosmer_lemeshow,
    lift_table,
    score_band_table,
    segment_metrics,
)
from thinfile_credit.monitoring import monitor
from thinfile_credit.scale import ScoreScale
from thinfile_credit.splits import out_of_time_split
from thinfile_credit.synthetic import make_marketplace

# 1. A seeded marketplace: loans and their instalments, as a lender's platform exports them.
market = make_marketplace(n_users=4_000, seed=3, backend="polars")
loans, installments = market.tables.loans, market.tables.installments

# 2. How long must we watch a loan? Vintage curves of ever-30+ DPD by months on book.
curves = vintage_curves(loans, installments, dpd=30, max_months_on_book=9)
triangle = curves.pivot(on="months_on_book", index="cohort", values="bad_rate")
print(triangle.head(8))
months = suggest_window(curves, share=0.9)
print(f"90% of the 9-month ever-bad rate is reached after {months} months on book")

# 3. The bad flag: 30+ DPD within 180 days; 1-29 DPD indeterminate; young loans immature.
labels = bad_flag(loans, installments, dpd=30, window="180D", indeterminate=(1, 29))
print(labels["status"].value_counts().sort("status"))

# Month-on-month roll rates between delinquency buckets.
rolls = roll_rate_matrix(loans, installments)
print(rolls.pivot(on="to_bucket", index="from_bucket", values="rate"))

# 4. One row per application with a matured outcome. The "model" here is a stand-in: the
#    generator's true PD blurred with noise (the scorecard tutorials build real ones).
rng = np.random.default_rng(0)
true_pd = market.truth["true_pd"].to_numpy()
logit = np.log(true_pd / (1 - true_pd)) + rng.normal(0, 0.6, true_pd.size)
truth = market.truth.with_columns(pd_hat=pl.Series(1 / (1 + np.exp(-logit))))
apps = (
    labels.filter(pl.col("status").is_in(["good", "bad"]))
    .select("application_id", "bad")
    .join(truth.select("application_id", "applied_at", "pd_hat", "thin_file"), on="application_id")
)
scale = ScoreScale(base_score=600, base_odds=50, pdo=20)
apps = apps.with_columns(score=pl.Series(scale.points_from_pd(apps["pd_hat"].to_numpy())))

# 5. Out-of-time validation: develop on the older applications, validate on the newest 30%.
dev, oot = out_of_time_split(apps, "applied_at", test_share=0.3)
y, points, pd_hat = oot["bad"].to_numpy(), oot["score"].to_numpy(), oot["pd_hat"].to_numpy()
d = discrimination(y, points, higher_is_better=True)
ci = bootstrap_ci(y, points, higher_is_better=True, n_resamples=300, random_state=0)
print(f"OOT AUC {d.auc:.3f} [{ci['auc'].lower:.3f}, {ci['auc'].upper:.3f}], Gini {d.gini:.3f}")
print(f"KS {d.ks:.3f} at {d.ks_score:.0f} points")
print(
    lift_table(y, points, higher_is_better=True)[
        ["bin", "count", "bad_rate", "cum_bad_share", "lift"]
    ]
)
bands = score_band_table(points, y, bands=[560, 580, 600, 620, 640], higher_is_better=True)
print(bands[["band", "count", "bad_rate", "cum_approval_rate", "cum_bad_rate"]])
print(calibration_table(y, pd_hat)[["bin", "expected_pd", "observed_rate"]])
hl = hosmer_lemeshow(y, pd_hat)
print(f"Hosmer-Lemeshow {hl.statistic:.1f} on {hl.dof} dof, p = {hl.pvalue:.3f}")

# 6. Thin-file versus thick-file, and the four-fifths screen of a 600-point cut-off.
print(
    segment_metrics(
        oot,
        target_col="bad",
        score_col="score",
        segment_col="thin_file",
        pd_col="pd_hat",
        higher_is_better=True,
    ).select("segment", "n", "bad_rate", "auc", "ks", "brier")
)
print(adverse_impact_ratio(points >= 600, oot["thin_file"].to_numpy()))

# 7. Monitoring: the OOT population against development, with outcomes where known.
report = monitor(dev, oot, score_col="score", target_col="bad", features=["thin_file", "pd_hat"])
print(f"score PSI {report.score_psi.value:.3f} ({report.score_psi.flag})")
print(report.to_frame().filter(pl.col("section") != "band"))
print(report.flags or "no flags")
