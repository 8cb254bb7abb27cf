"""Reason codes: explain declines in Chinese and English, with improvement hints."""

import json
import tempfile
import warnings
from pathlib import Path

import numpy as np

from thinfile_credit.errors import ModelError
from thinfile_credit.features import FeatureBuilder
from thinfile_credit.reasons import (
    ReasonCatalog,
    ReasonCoder,
    ReasonGroup,
    default_catalog,
    reason_coverage,
)
from thinfile_credit.scorecard import WoEScorecard
from thinfile_credit.synthetic import make_marketplace

# 1. Features for a synthetic marketplace, and a scorecard on a dozen of them.
market = make_marketplace(n_users=3_000, seed=1)
builder = FeatureBuilder()
features = builder.build(market.tables, market.tables.applications)
labels = market.truth.set_index("application_id").loc[features["application_id"], "bad"]
columns = [
    "bill_ontime_share_365d",
    "bill_max_days_late_365d",
    "bill_overdue_count_now",
    "bill_late3_count_365d",
    "cons_order_count_90d",
    "cons_gmv_sum_365d",
    "loan_max_dpd_ever",
    "soc_default_neighbour_share",
    "ten_account_age_days",
    "ten_device_changes_90d",
    "thin_history_days",
    "thin_bill_count",
]
X = features[columns].astype(float)
y = labels.astype(int).to_numpy()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    card = WoEScorecard(round_points=True).fit(X, y)
print("scorecard features:", ", ".join(card.features_))

# 2. A coder fitted on the scorecard and a reference sample (here the development sample).
coder = ReasonCoder(
    method="points_below_max", max_reasons=4, language="zh", dictionary=builder.describe()
).fit(card, X)
print("reference sample fingerprint:", coder.reference_fingerprint_[:16], "...")

# 3. Declined applicants (the lowest 15% of scores) and their reasons, in both languages.
scores = card.score(X)
cutoff = float(np.quantile(scores, 0.15))
declined = np.flatnonzero(scores < cutoff)
ids = features["application_id"].to_numpy()[declined]
zh = coder.explain(X.iloc[declined], ids=ids)
en = coder.explain(X.iloc[declined], ids=ids, language="en")
for row, app in zip(declined[:3], ids[:3]):
    print(f"\napplication {app}: score {scores[row]:.0f} (cut-off {cutoff:.0f})")
    both = zip(zh[zh.application_id == app].itertuples(), en[en.application_id == app].itertuples())
    for a, b in both:
        print(f"  {a.rank}. {a.code}  {a.text} / {b.text}  (-{a.points_lost:.0f} points)")
print("\nmost frequent principal reasons:")
print(en[en["rank"] == 1]["text"].astype(str).value_counts().head(5).to_string())

# 4. One applicant for a service: a structured object with hints, ready for JSON.
service = ReasonCoder(language="en", hints=True, dictionary=builder.describe()).fit(card, X)
worst = X.iloc[int(np.argmin(scores))].to_dict()
explanation = service.explain_one(worst, application_id="A-1")
for reason in explanation.reasons:
    print(f"{reason.rank}. {reason.text}: {reason.hint.text if reason.hint else '-'}")
print(json.dumps(explanation.to_dict(), ensure_ascii=False)[:160], "...")

# 5. The baseline examiners ask for: applicants scoring near the cut-off.
near = ReasonCoder(method="vs_cutoff", cutoff=cutoff, language="en").fit(card, X)
print(
    "\nvs_cutoff uses", near.n_cutoff_rows_, "reference applicants within 10 points of the cut-off"
)
print(near.explain(X.iloc[declined[:1]], ids=ids[:1])[["rank", "code", "text", "points_lost"]])

# 6. Catalogs are data: edit, save as YAML, reload; protected features are refused.
catalog = default_catalog().with_groups(
    [
        ReasonGroup(
            "BIL05",
            {"zh": "多笔账单逾期三天以上", "en": "Several bills paid over 3 days late"},
            {
                "zh": "过去一年有多笔账单逾期三天以上。",
                "en": "Several bills were paid more than 3 days late in the past year.",
            },
            features=("bill_late3_count_365d",),
        ),
    ]
)
path = catalog.save(Path(tempfile.mkdtemp()) / "my_catalog.yaml")  # your own file in practice
catalog = ReasonCatalog.load(path)
print("\nbill_late3_count_365d now speaks through", catalog.group_of("bill_late3_count_365d"))
X_gender = X.assign(gender=np.arange(len(X)) % 2)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    biased = WoEScorecard(min_iv=0.0).fit(X_gender, y)
try:
    ReasonCoder(catalog=catalog).fit(biased, X_gender)
except ModelError as err:
    print("refused:", str(err)[:90], "...")

# 7. Reasons must match the applicant's data. A boosted model can charge an applicant
#    with no bills through the bill features; those points are worded "limited bill
#    payment record" (the group's missing-value route), never "late bill payments".
from thinfile_credit.gbm import GBMScorer  # noqa: E402 - the GBM part of the tour

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    gbm = GBMScorer(n_jobs=1, random_state=0).fit(X, y)
no_bills = (X["thin_bill_count"] == 0).to_numpy()
for check in (False, True):
    gbm_coder = ReasonCoder(method="vs_population", language="en", check_values=check)
    out = gbm_coder.fit(gbm, X).explain(X)
    late = out[out["code"].astype(str).isin(["BIL01", "BIL02", "BIL03"])]
    told = int(no_bills[late["application_id"].to_numpy()].sum())
    print(f"check_values={check}: {told} applicants without bills told of bad bill payments")
print("missing-value routes:", gbm_coder.missing_routes_)
# A loss on the far side of a group's text (a rising order trend under "declining
# shopping activity") goes to the group's beyond route where one states that side.
print("beyond routes:", gbm_coder.beyond_routes_ or "none taken on these twelve features")

# 8. What no reason states: points the model takes where every text would misstate the
#    applicant's value. Monitor them per feature; a large "outranks_a_reason" says the
#    catalog lacks a text for what the model charges.
coverage = reason_coverage(gbm_coder, X)
print(coverage.head(5).to_string(index=False) if len(coverage) else "nothing unstated")
