"""ReasonCatalog: validation, matching rules, round trips and default coverage."""

from __future__ import annotations

import json

import pytest

from thinfile_credit.errors import SpecError
from thinfile_credit.reasons import (
    ActionReason,
    ReasonCatalog,
    ReasonGroup,
    default_action_reasons,
    default_catalog,
    match_pattern,
)


def group(code: str, *patterns: str, features: tuple[str, ...] = ()) -> ReasonGroup:
    return ReasonGroup(
        code=code,
        short={"zh": f"{code} 短", "en": f"{code} short"},
        long={"zh": f"{code} 长", "en": f"{code} long"},
        patterns=patterns,
        features=features,
    )


def test_glob_and_regex_patterns():
    assert match_pattern("bill_*late*", "bill_late3_count_90d")
    assert match_pattern("re:loan_(max|current)_dpd.*", "loan_max_dpd_ever")
    assert not match_pattern("re:loan_(max|current)_dpd", "loan_max_dpd_ever")
    assert not match_pattern("Bill_*", "bill_x")  # case-sensitive


def test_exact_listing_wins_over_patterns():
    cat = ReasonCatalog(groups=(group("A01", "bill_*"), group("B01", features=("bill_special",))))
    assert cat.resolve(["bill_special", "bill_x"]) == {"bill_special": "B01", "bill_x": "A01"}


def test_resolve_lists_unmapped_and_ambiguous():
    cat = ReasonCatalog(groups=(group("A01", "x_*"), group("B01", "*_late")))
    with pytest.raises(SpecError) as err:
        cat.resolve(["x_late", "y_1", "x_ok", "z_2"])
    msg = str(err.value)
    assert "unmapped features: y_1, z_2" in msg
    assert "x_late -> A01, B01" in msg
    m = cat.match(["x_late", "y_1", "x_ok"])
    assert m.unmapped == ("y_1",)
    assert m.ambiguous == {"x_late": ("A01", "B01")}
    assert not m.ok


def test_protected_features_are_not_mapped():
    cat = ReasonCatalog(groups=(group("A01", "*"),), protected=("gender",))
    m = cat.match(["gender", "x"])
    assert m.protected == ("gender",)
    assert m.groups == {"x": "A01"}
    assert cat.is_protected("gender")
    assert cat.is_immutable("gender")


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"code": "bad code"}, "upper-case"),
        ({"code": "A01", "patterns": ("re:(",)}, "bad regular expression"),
        ({"code": "A01", "patterns": ("x",), "short": {}}, "A01.short"),
        ({"code": "A01", "patterns": ("x",), "short": {"en": " "}}, "non-empty string"),
        ({"code": "A01", "patterns": ("x",), "hints": {"sideways": {"en": "t"}}}, "sideways"),
        ({"code": "A01", "patterns": "x"}, "patterns must be"),
    ],
)
def test_group_validation(kwargs, fragment):
    base = {"short": {"en": "s"}, "long": {"en": "l"}}
    base.update(kwargs)
    with pytest.raises(SpecError, match=fragment):
        ReasonGroup(**base)


def test_catalog_validation():
    a = group("A01", "x")
    with pytest.raises(SpecError, match="duplicate reason codes: A01"):
        ReasonCatalog(groups=(a, group("A01", "y")))
    with pytest.raises(SpecError, match="at least one group"):
        ReasonCatalog(groups=())
    with pytest.raises(SpecError, match="missing for language"):
        ReasonCatalog(groups=(a,), languages=("zh", "en", "fr"))
    with pytest.raises(SpecError, match="named exactly in several groups: f in A01, B01"):
        ReasonCatalog(groups=(group("A01", features=("f",)), group("B01", features=("f",))))
    with pytest.raises(SpecError, match="duplicate reason codes"):
        ReasonCatalog(groups=(a,), actions=(ActionReason("A01", a.short, a.long),))
    with pytest.raises(SpecError, match=r"ReasonCatalog\.protected"):
        ReasonCatalog(groups=(a,), protected="gender")
    # a group naming no feature and no pattern speaks only as a route target
    idle = ReasonGroup("B01", {"en": "s"}, {"en": "l"})
    with pytest.raises(SpecError, match="B01 name no feature and no pattern"):
        ReasonCatalog(groups=(a, idle), languages=("en",))
    for route in ("missing", "beyond"):
        source = ReasonGroup("A01", {"en": "s"}, {"en": "l"}, ("x",), **{route: "B01"})
        assert ReasonCatalog(groups=(source, idle), languages=("en",)).group("B01") == idle


def test_text_lookup_and_errors():
    cat = default_catalog()
    assert cat.text("BIL02", "zh") == "目前有逾期未付的账单"
    assert cat.text("LIM_FREEZE_DPD", "en") == "Limit frozen: a payment is overdue"
    assert "past due" in cat.text("BIL02", "en", long=True)
    with pytest.raises(SpecError, match="unknown reason code"):
        cat.text("NOPE", "en")
    with pytest.raises(SpecError, match="language 'fr'"):
        cat.text("BIL02", "fr")


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_round_trip(tmp_path, suffix):
    cat = default_catalog()
    path = cat.save(tmp_path / f"catalog{suffix}")
    back = ReasonCatalog.load(path)
    assert back == cat
    assert back.to_dict() == cat.to_dict()
    assert "账单" in path.read_text(encoding="utf-8")  # readable Chinese, not escapes


def test_from_dict_rejects_unknown_keys_and_bad_text():
    data = default_catalog().to_dict()
    data["colour"] = "red"
    with pytest.raises(SpecError, match="unknown catalog key"):
        ReasonCatalog.from_dict(data)
    with pytest.raises(SpecError, match="not valid JSON"):
        ReasonCatalog.from_json("{")
    with pytest.raises(SpecError, match="format_version"):
        ReasonCatalog.from_dict({**default_catalog().to_dict(), "format_version": 99})
    with pytest.raises(SpecError, match="must be a mapping"):
        ReasonCatalog.from_yaml("- a\n- b\n")
    assert json.loads(default_catalog().to_json())["name"] == "thinfile_credit.default"


def test_with_groups_and_actions():
    cat = default_catalog()
    new = cat.with_groups([group("BIL01", "bill_*late*"), group("ZZZ01", "zz_*")])
    assert new.text("BIL01", "en") == "BIL01 short"
    assert new.codes[-1] == "ZZZ01"
    assert new.codes.index("BIL01") == cat.codes.index("BIL01")
    act = ActionReason("ACT99", {"zh": "冻结", "en": "Frozen"}, {"zh": "冻结", "en": "Frozen"})
    assert cat.with_actions([act]).text("ACT99", "en") == "Frozen"


def test_default_catalog_thin_file_and_action_texts():
    cat = default_catalog()
    assert cat.text("THN01", "en") == "Purchase history too short to assess"
    assert cat.text("THN02", "en") == "No bill payment history on the platform"
    assert cat.text("TEN01", "en") == "Account too new"
    from thinfile_credit.limits.reason_codes import LIMIT_REASONS

    assert {a.code for a in default_action_reasons()} == set(LIMIT_REASONS)
    assert {a.code for a in cat.actions} == set(LIMIT_REASONS)
    assert cat.text("LIM_CUT_DPD", "zh") == LIMIT_REASONS["LIM_CUT_DPD"]["zh"]
    assert cat.is_time_bound("ten_account_age_days")
    assert cat.is_immutable("loan_max_dpd_ever")
    assert not cat.is_immutable("loan_count_ever")


NAMED_EXAMPLES = [
    ("cons_order_count_90d", "CON01"),
    ("cons_gmv_sum_365d", "CON02"),
    ("cons_days_since_last_order", "CON01"),
    ("cons_days_since_first_order", "THN01"),
    ("bill_ontime_share_180d", "BIL01"),
    ("bill_max_days_late_365d", "BIL01"),
    ("bill_late30_count_365d", "BIL01"),
    ("bill_overdue_count_now", "BIL02"),
    ("bill_overdue_amount_now", "BIL02"),
    ("bill_full_paid_share_90d", "BIL03"),
    ("bill_due_count_90d", "BIL04"),
    ("loan_max_dpd_ever", "LON02"),
    ("loan_current_dpd", "LON01"),
    ("loan_late_share", "LON02"),
    ("loan_ontime_streak", "LON03"),
    ("loan_limit_utilisation_last", "LON04"),
    ("soc_degree_social", "SOC02"),
    ("soc_default_neighbour_share", "SOC01"),
    ("ten_account_age_days", "TEN01"),
    ("ten_device_changes_90d", "TEN02"),
    ("ten_phone_changes_90d", "TEN02"),
    ("ten_phone_verified_age_days", "TEN01"),
    ("soc_default_neighbour_count", "SOC01"),
    ("soc_new_edges_30d", "SOC03"),
    ("thin_bill_count", "THN02"),
    ("thin_event_count", "THN03"),
    ("thin_history_days", "THN01"),
    ("thin_file", "THN01"),
]


@pytest.mark.parametrize(("feature", "code"), NAMED_EXAMPLES)
def test_default_catalog_maps_the_naming_convention_examples(feature, code):
    assert default_catalog().groups_claiming(feature) == (code,)


def test_every_built_in_feature_maps_to_exactly_one_group():
    features = pytest.importorskip("thinfile_credit.features")
    dictionary = features.FeatureBuilder().describe()
    names = [str(n) for n in dictionary["name"]]
    assert len(names) > 100
    match = default_catalog().match(names)
    assert match.unmapped == ()
    assert match.ambiguous == {}
    assert match.protected == ()
    # every family speaks through groups of its own prefix (or the thin-file groups)
    for name, code in match.groups.items():
        assert code[:3] in {"CON", "BIL", "LON", "SOC", "TEN", "THN"}
