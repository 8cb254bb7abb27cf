"""ReasonCatalog on bad input: malformed files, hint templates and composition arguments.

Every malformed spec raises :class:`SpecError` naming what is wrong; nothing is coerced
(a YAML scalar where a list belongs is never split into one-character entries).
"""

from __future__ import annotations

import copy
import json
import string

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from thinfile_credit.errors import SpecError
from thinfile_credit.reasons import (
    ActionReason,
    ReasonCatalog,
    ReasonGroup,
    default_catalog,
)
from thinfile_credit.reasons._catalog_checks import _check_template
from thinfile_credit.reasons.catalog import HINT_DIRECTIONS, HINT_FIELDS
from thinfile_credit.reasons.hints import HintFinder, _Feature

BASE = {
    "languages": ["en"],
    "groups": [
        {"code": "A", "short": {"en": "a"}, "long": {"en": "b"}, "features": ["f"]},
        {"code": "B", "short": {"en": "c"}, "long": {"en": "d"}, "patterns": ["g_*"]},
    ],
}


def _edited(edit) -> dict:
    data = copy.deepcopy(BASE)
    edit(data)
    return data


def _group(code: str, feature: str, en: str = "text") -> ReasonGroup:
    return ReasonGroup(
        code, {"zh": f"{en} 中", "en": en}, {"zh": f"{en}。", "en": f"{en}."}, features=(feature,)
    )


def _action(code: str, en: str = "Frozen") -> ActionReason:
    return ActionReason(code, {"zh": "冻结", "en": en}, {"zh": "冻结。", "en": f"{en}."})


# --- 1. list fields and entries in from_dict / from_yaml / load ----------------------------
SCALAR_YAML = """
name: lender
languages: [en]
protected: [gender]
groups:
  - code: BIL01
    short: {en: Late bill payments}
    long: {en: Recent bills were paid late.}
    patterns: [bill_*late*]
"""


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("protected: [gender]", "protected: gender", "catalog protected"),
        ("protected: [gender]", "immutable: thin_file", "catalog immutable"),
        ("protected: [gender]", "time_bound: ten_age", "catalog time_bound"),
        ("languages: [en]", "languages: en", "catalog languages"),
        ("patterns: [bill_*late*]", "patterns: bill_*late*", "BIL01: patterns"),
        ("patterns: [bill_*late*]", "features: bill_late", "BIL01: features"),
    ],
)
def test_yaml_scalar_for_a_list_field_is_refused_not_split(old, new, fragment):
    pytest.importorskip("yaml")
    assert ReasonCatalog.from_yaml(SCALAR_YAML).group("BIL01").patterns == ("bill_*late*",)
    with pytest.raises(SpecError, match=f"{fragment} must be a list of strings, got the string"):
        ReasonCatalog.from_yaml(SCALAR_YAML.replace(old, new))


def test_load_refuses_a_scalar_pattern_in_a_yaml_file(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "catalog.yaml"
    path.write_text(SCALAR_YAML.replace("[bill_*late*]", "bill_*late*"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"BIL01: patterns .* 'bill_\*late\*'"):
        ReasonCatalog.load(path)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda d: d["groups"].append(5), "reason group entry must be a mapping, got int 5"),
        (lambda d: d["groups"].append("C"), "reason group entry must be a mapping"),
        (lambda d: d.update(groups=None), "catalog groups must be a list, got NoneType"),
        (lambda d: d.update(groups={"code": "A"}), "catalog groups must be a list, got dict"),
        (lambda d: d.update(groups="A"), "catalog groups must be a list, got str"),
        (lambda d: d["groups"][0].update(features=None), "A: features must be a list, got None"),
        (lambda d: d["groups"][0].update(features=[1]), "A: features must be a list of non-empty"),
        (lambda d: d["groups"][0].update(features=[""]), "A: features must be a list of non-empty"),
        (lambda d: d["groups"][1].update(patterns=[None]), "B: patterns must be a list of non"),
        (lambda d: d["groups"][0].update(features={"f": 1}), "A: features must be a list, got d"),
        (lambda d: d["groups"][0].update(hints="x"), "A: hints must be a mapping, got str 'x'"),
        (lambda d: d["groups"][0].update(hints=[]), "A: hints must be a mapping, got list"),
        (lambda d: d["groups"][0].update(hints={"increase": "x"}), "hints.increase must be"),
        (lambda d: d.update(generic_hints="x"), "generic_hints must be a mapping, got str"),
        (lambda d: d.update(languages=[1]), "catalog languages must be a list of non-empty"),
        (lambda d: d.update(languages=None), "catalog languages must be a list, got NoneType"),
        (lambda d: d.update(protected=["gender", 3]), "catalog protected must be a list of"),
        (lambda d: d.update(actions=[5]), "action reason entry must be a mapping, got int"),
        (lambda d: d.update(actions="ACT01"), "catalog actions must be a list, got str"),
        (lambda d: d.update(name=None), "catalog name must be a string, got NoneType"),
        (lambda d: d.update(version=1.10), "catalog version must be a string, got float 1.1"),
        (lambda d: d.update(format_version=True), "format_version True is not supported"),
    ],
)
def test_from_dict_refuses_malformed_fields_with_spec_error(edit, fragment):
    with pytest.raises(SpecError, match=fragment.replace("(", r"\(").replace(".", r"\.")):
        ReasonCatalog.from_dict(_edited(edit))


def test_from_dict_keeps_lossless_and_empty_entries():
    # an empty YAML entry (None) means "no hints"; an integer version reads back exactly
    data = _edited(lambda d: d.update(version=2, generic_hints=None))
    data["groups"][0]["hints"] = None
    cat = ReasonCatalog.from_dict(data)
    assert cat.version == "2"
    assert dict(cat.generic_hints) == {}
    assert dict(cat.group("A").hints) == {}
    # tuples are as good as lists in a hand-built dict
    assert ReasonCatalog.from_dict(
        _edited(lambda d: d.update(protected=("gender",)))
    ).protected == ("gender",)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"languages": [1]}, "languages must be non-empty strings, got 1"),
        ({"languages": ["en", " "]}, "languages must be non-empty strings"),
        ({"languages": None}, "languages must be a non-empty tuple"),
        ({"protected": None}, r"ReasonCatalog\.protected must be a tuple"),
        ({"immutable": {"x": 1}}, r"ReasonCatalog\.immutable must be a tuple"),
        ({"actions": [5]}, r"ReasonCatalog\.actions holds a int"),
        ({"actions": "ACT01"}, r"ReasonCatalog\.actions must be a collection"),
        ({"generic_hints": "x"}, "generic_hints must be a mapping"),
    ],
)
def test_constructor_refuses_malformed_fields(kwargs, fragment):
    with pytest.raises(SpecError, match=fragment):
        ReasonCatalog(groups=(_group("A", "f", "a"),), **{"languages": ("en",), **kwargs})


@pytest.mark.parametrize("groups", [5, None, "A", [5]])
def test_constructor_refuses_groups_that_are_not_reason_groups(groups):
    with pytest.raises(SpecError, match=r"ReasonCatalog\.groups"):
        ReasonCatalog(groups=groups)


@pytest.mark.parametrize("features", [None, 5, {"f": 1}])
def test_group_refuses_non_collection_features(features):
    with pytest.raises(SpecError, match="features must be non-empty strings"):
        ReasonGroup("A", {"en": "a"}, {"en": "b"}, features=features)


LIST_FIELDS = [
    ("catalog", "languages"),
    ("catalog", "protected"),
    ("catalog", "immutable"),
    ("catalog", "time_bound"),
    ("group", "features"),
    ("group", "patterns"),
]


def _put(data: dict, where: tuple[str, str], value) -> dict:
    target = data if where[0] == "catalog" else data["groups"][0]
    target[where[1]] = value
    return data


@given(where=st.sampled_from(LIST_FIELDS), value=st.text(max_size=12))
def test_property_any_scalar_string_in_a_list_field_is_refused(where, value):
    with pytest.raises(SpecError, match=f"{where[1]} must be a list of strings, got the string"):
        ReasonCatalog.from_dict(_put(copy.deepcopy(BASE), where, value))


NON_STRINGS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.lists(st.text(), max_size=2)
)


@given(
    where=st.sampled_from(LIST_FIELDS),
    good=st.lists(st.sampled_from(["en", "f", "g_*"]), max_size=2),
    bad=NON_STRINGS,
)
def test_property_a_non_string_item_in_a_list_field_is_refused(where, good, bad):
    with pytest.raises(SpecError, match=f"{where[1]} must be a list of non-empty strings"):
        ReasonCatalog.from_dict(_put(copy.deepcopy(BASE), where, [*good, bad]))


# --- generated catalogs round-trip exactly ---------------------------------------------------
CODES = st.from_regex(r"[A-Z][A-Z0-9_]{0,5}", fullmatch=True)
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
GLOBS = st.from_regex(r"[a-z_*?]{1,8}", fullmatch=True)
TEXT = st.text(min_size=1, max_size=15).filter(str.strip)
LITERAL = st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=6)


@st.composite
def templates(draw):
    parts = draw(st.lists(st.one_of(LITERAL, st.sampled_from(HINT_FIELDS)), min_size=1))
    text = "".join(f"{{{p}}}" if p in HINT_FIELDS else p for p in parts)
    return text if text.strip() else "{label}"


@st.composite
def catalogs(draw):
    languages = draw(
        st.lists(st.sampled_from(["zh", "en", "ms", "zh-TW"]), min_size=1, unique=True)
    )

    def texts():
        return draw(st.fixed_dictionaries({lang: TEXT for lang in languages}))

    def hints():
        dirs = draw(st.lists(st.sampled_from(HINT_DIRECTIONS), unique=True, max_size=3))
        return {
            d: draw(st.fixed_dictionaries({lang: templates() for lang in languages})) for d in dirs
        }

    codes = draw(st.lists(CODES, min_size=1, max_size=6, unique=True))
    n_groups = draw(st.integers(1, len(codes)))
    features = iter(draw(st.lists(NAMES, min_size=n_groups, max_size=3 * n_groups, unique=True)))
    groups = []
    for i, code in enumerate(codes[:n_groups]):
        others = [c for c in codes[:n_groups] if c != code]
        groups.append(
            ReasonGroup(
                code=code,
                short=texts(),
                long=texts(),
                features=(next(features),) if i == 0 or draw(st.booleans()) else (),
                patterns=tuple(draw(st.lists(GLOBS, min_size=0 if i == 0 else 1, max_size=2))),
                hints=hints(),
                missing=draw(st.sampled_from([None, *others])),
                claim=draw(st.sampled_from([None, "low", "high", "none"])),
            )
        )
    return ReasonCatalog(
        groups=tuple(groups),
        name=draw(TEXT),
        version=draw(TEXT),
        languages=tuple(languages),
        protected=tuple(draw(st.lists(NAMES, max_size=2))),
        immutable=tuple(draw(st.lists(GLOBS, max_size=2))),
        time_bound=tuple(draw(st.lists(NAMES, max_size=2))),
        actions=tuple(ActionReason(c, texts(), texts()) for c in codes[n_groups:]),
        generic_hints=hints(),
    )


@given(catalogs())
def test_property_generated_catalogs_round_trip(cat):
    assert ReasonCatalog.from_dict(cat.to_dict()) == cat
    assert ReasonCatalog.from_json(cat.to_json()) == cat
    assert ReasonCatalog.from_dict(json.loads(json.dumps(cat.to_dict()))).to_dict() == cat.to_dict()


def test_default_catalog_round_trips_through_yaml():
    pytest.importorskip("yaml")
    cat = default_catalog()
    assert ReasonCatalog.from_yaml(cat.to_yaml()) == cat


# --- 2. hint templates ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("Raise {lable} to {target}", "unknown placeholder {lable}"),
        ("Raise {label", "does not parse"),
        ("Raise label}", "does not parse"),
        ("Raise {0}", "positional placeholder {0}"),
        ("Raise {}", "positional placeholder {}"),
        ("{label.__class__.__mro__}", "attribute or index access in placeholder"),
        ("{label[0]}", "attribute or index access in placeholder"),
        ("{label!r}", "conversion !r in placeholder {label}"),
        ("{points:>5}", "format spec :>5 in placeholder {points}"),
        ("{label:{points}}", "format spec"),
    ],
)
def test_bad_generic_template_is_refused_at_load(template, fragment):
    data = default_catalog().to_dict()
    data["generic_hints"]["increase"]["en"] = template
    with pytest.raises(SpecError) as err:
        ReasonCatalog.from_dict(data)
    msg = str(err.value)
    assert "generic_hints: increase template in 'en'" in msg
    assert fragment in msg
    assert repr(template) in msg


def test_bad_group_template_names_group_direction_and_language():
    data = default_catalog().to_dict()
    bil01 = next(g for g in data["groups"] if g["code"] == "BIL01")
    bil01["hints"]["decrease"]["zh"] = "使{lable}降到{target}"
    with pytest.raises(
        SpecError,
        match=r"reason group BIL01: hints: decrease template in 'zh': unknown placeholder",
    ):
        ReasonCatalog.from_dict(data)
    with pytest.raises(SpecError, match="reason group A01: hints: time template in 'en'"):
        ReasonGroup("A01", {"en": "a"}, {"en": "b"}, features=("f",), hints={"time": {"en": "{0}"}})


@pytest.mark.parametrize(
    "template",
    [
        "Raise {label} from {current} to {target} in {delta} (+{points} points)",
        "No placeholder at all",
        "{{literal braces}} around {label}",
        "再过{delta}，{label}将达到{target}（约加{points}分）",
    ],
)
def test_good_templates_are_accepted(template):
    data = default_catalog().to_dict()
    data["generic_hints"]["time"]["en"] = template
    assert ReasonCatalog.from_dict(data).generic_hints["time"]["en"] == template


@given(
    st.lists(
        st.sampled_from([*"{}.![]:0 ab>", *(f"{{{f}}}" for f in HINT_FIELDS), "lable"]),
        max_size=12,
    ).map("".join)
)
def test_property_an_accepted_template_always_formats(template):
    try:
        _check_template(template, "t")
    except SpecError:
        return
    assert isinstance(template.format(**dict.fromkeys(HINT_FIELDS, "v")), str)


class _StubCatalog:
    """A catalog-like object whose templates were never validated."""

    def __init__(self, template: str) -> None:
        self.template = template

    def hint_template(self, code, direction, language):
        return self.template


@pytest.mark.parametrize("template", ["Raise {lable}", "{0}", "{label", "{points:d}"])
def test_unfillable_template_at_explain_time_raises_spec_error(template):
    finder = HintFinder(
        model=None,
        names=("x",),
        groups={},
        features={},
        catalog=_StubCatalog(template),
        sign=1.0,
        min_gain=1.0,
        input_kind="numpy",
    )
    feature = _Feature("x", np.zeros(1), np.zeros(1), False, True, "count", {"en": "x"})
    with pytest.raises(SpecError, match=r"reason A01: increase hint template in 'en'"):
        finder._phrase("A01", feature, "increase", 1.0, 2.0, 20.0, "en")


# --- 3. with_groups / with_actions ------------------------------------------------------------
def test_with_groups_refuses_a_code_repeated_in_the_argument():
    a1, a2 = _group("LND01", "stated_income", "Low income"), _group("LND01", "debt_ratio", "Debt")
    with pytest.raises(
        SpecError, match="with_groups: duplicate reason codes in the argument: LND01"
    ):
        default_catalog().with_groups([a1, a2])


def test_with_actions_refuses_a_code_repeated_in_the_argument():
    with pytest.raises(SpecError, match=r"with_actions: duplicate reason codes .*: ACT09"):
        default_catalog().with_actions([_action("ACT09"), _action("ACT09", "Cut")])


@pytest.mark.parametrize(
    ("method", "argument", "fragment"),
    [
        ("with_groups", "LND01", "with_groups must be a collection of ReasonGroup objects"),
        ("with_groups", {"code": "X"}, "with_groups must be a collection"),
        ("with_groups", 5, "with_groups must be a collection"),
        ("with_groups", [{"code": "X"}], "with_groups holds a dict"),
        ("with_groups", [_action("ACT09")], "with_groups holds a ActionReason"),
        ("with_actions", "ACT09", "with_actions must be a collection of ActionReason objects"),
        ("with_actions", [_group("LND01", "x")], "with_actions holds a ReasonGroup"),
    ],
)
def test_with_methods_refuse_non_items(method, argument, fragment):
    with pytest.raises(SpecError, match=fragment):
        getattr(default_catalog(), method)(argument)


def test_with_methods_still_replace_existing_codes():
    cat = default_catalog()
    bil01 = cat.group("BIL01")
    new_bil01 = ReasonGroup("BIL01", bil01.short, bil01.long, patterns=bil01.patterns, claim="low")
    out = cat.with_groups((new_bil01, _group("LND01", "stated_income")))
    assert out.codes == (*cat.codes, "LND01")
    assert out.group("BIL01") == new_bil01
    code = cat.actions[0].code
    replaced = cat.with_actions([_action(code, "Replaced")])
    assert [a.code for a in replaced.actions] == [
        *(a.code for a in cat.actions if a.code != code),
        code,
    ]
    assert replaced.text(code, "en") == "Replaced"


@given(
    st.lists(
        st.sampled_from(["BIL01", "BIL02", "TEN01", "LND01", "LND02"]), unique=True, max_size=5
    )
)
def test_property_with_groups_keeps_order_and_replaces(codes):
    cat = default_catalog()
    new = [_group(c, f"new_{c.lower()}") for c in codes]
    out = cat.with_groups(new)
    added = [c for c in codes if c not in cat.codes]
    assert out.codes == (*cat.codes, *added)
    for g in new:
        assert out.group(g.code) == g
    for c in cat.codes:
        if c not in codes:
            assert out.group(c) == cat.group(c)


def test_formatter_parse_is_what_the_check_relies_on():
    # guard against a Python change in how parse reports attribute access / conversions
    parsed = list(string.Formatter().parse("{label.x!r:>3}"))
    assert parsed == [("", "label.x", ">3", "r")]
