"""The reason catalog: codes, bilingual texts and the feature -> reason-group map.

A :class:`ReasonCatalog` is a frozen, validated, JSON/YAML-serialisable spec. It says which
*reason group* every model feature speaks through, so correlated features (all the
late-payment windows, say) produce one adverse-action reason rather than four, and it holds
the short and long texts of each reason in every catalog language (Chinese and English by
default). It also marks features that must never appear in reasons (*protected*), features
no applicant can change (*immutable*) and features that only change with the passage of time
(*time-bound*, such as account age), which the improvement hints respect.

Matching rules
--------------
A group lists features by exact name (``features``) and by pattern (``patterns``). A pattern
is a shell glob (``bill_*late*``, matched case-sensitively against the whole name) or, when
prefixed with ``re:``, a regular expression that must match the whole name
(``re:loan_(max|current)_dpd.*``). An exact listing wins over patterns, so a user can move a
single feature out of a pattern-matched group by naming it in another group. A feature named
exactly in two groups, or matched by patterns of two groups and named in none, is ambiguous
and :meth:`ReasonCatalog.resolve` refuses it, as it refuses a feature no group claims.

Examples
--------
>>> from thinfile_credit.reasons import ReasonCatalog, ReasonGroup
>>> late = ReasonGroup(
...     code="BIL01",
...     short={"zh": "账单逾期", "en": "Late bill payments"},
...     long={"zh": "近期有账单未按时支付。", "en": "Recent bills were paid late."},
...     patterns=("bill_*late*",),
... )
>>> catalog = ReasonCatalog(groups=(late,), name="mini")
>>> catalog.resolve(["bill_max_days_late_365d"])
{'bill_max_days_late_365d': 'BIL01'}
>>> catalog.text("BIL01", "en")
'Late bill payments'
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from thinfile_credit.errors import SpecError
from thinfile_credit.reasons._catalog_checks import (
    CLAIMS,
    _check_pattern,
    _check_routes,
    _hint_templates,
    _items,
    _label_text,
    _list,
    _mapping,
    _new_by_code,
    _no_unknown,
    _optional_mapping,
    _str_list,
    _texts,
)

# the hint vocabulary keeps its import path, thinfile_credit.reasons.catalog
from thinfile_credit.reasons._catalog_checks import HINT_DIRECTIONS as HINT_DIRECTIONS
from thinfile_credit.reasons._catalog_checks import HINT_FIELDS as HINT_FIELDS
from thinfile_credit.reasons._catalog_files import _FORMAT_VERSION, _FORMAT_VERSIONS, _CatalogFiles
from thinfile_credit.reasons._catalog_lookups import _CatalogLookups, match_pattern

__all__ = ["ActionReason", "CatalogMatch", "ReasonCatalog", "ReasonGroup", "match_pattern"]

#: Codes are short upper-case identifiers: they end up in letters, logs and SQL.
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
#: Keys of a group's plain-data form (``beyond`` since format 2).
_GROUP_KEYS = frozenset(
    ("code", "short", "long", "features", "patterns", "hints", "missing", "claim", "beyond")
)


@dataclass(frozen=True)
class ReasonGroup:
    """One adverse-action reason and the features that speak through it.

    Parameters
    ----------
    code : str
        Reason code, upper case (``"BIL01"``); ties between equally strong reasons are
        broken by code, so codes also fix the order of otherwise equal reasons.
    short, long : mapping of language -> str
        Short reason text (the line on a decline letter) and a longer explanation.
    features : tuple of str
        Exact feature names in the group.
    patterns : tuple of str
        Glob patterns, or ``re:``-prefixed regular expressions, naming more features.
    hints : mapping of direction -> (mapping of language -> str), optional
        Improvement-hint templates, keyed by ``"increase"``, ``"decrease"`` (the feature
        must go up / down to recover points) or ``"time"`` (time-bound features). Templates
        may use ``{label}``, ``{current}``, ``{target}``, ``{delta}`` and ``{points}``;
        missing directions fall back to the catalog's generic templates.
    missing : str, optional
        Code of the group that speaks for this group's features where an applicant's value
        is missing. A missing bill feature means "no bill was due in its window", so the
        points it costs are worded as "limited bill payment record" rather than "late
        bill payments".
        The route is followed once (the target's own ``missing`` is not applied again)
        and must name another group of the catalog. A group that only speaks for other
        groups' features (a route target) may name no feature and no pattern.
    claim : {"low", "high", "none"}, optional
        Marks a text that compares the applicant with others rather than stating a fact:
        ``"low"`` for "few", "limited", "too new" ("Limited bill payment record"),
        ``"high"`` for "many", "a high share". With ``ReasonCoder(check_values=True)``
        a feature of neutral direction (how many bills fell due) is stated only on the
        side the text describes of the value the model scores best in the reference
        sample (12 bills are not "few" when the model scores 4 best), and with
        ``points_below_max`` a feature of known direction only on its adverse side of
        that value. ``"none"`` marks a text saying the applicant has none of what the
        features count ("No bill payment history"): a loss is stated only where the
        count is 0 or less. A text stating a fact ("late bill payments") has no claim:
        any late bill makes it true.
    beyond : str, optional
        Code of the group whose text states this group's losses on the far side of its
        text. With ``ReasonCoder(check_values=True)`` a loss whose value lies strictly
        beyond the feature's favourable end, neutral value or best-scoring value (where
        this group's text would be false and the loss would go unstated) is worded by
        ``beyond`` instead: a *rising* order trend under "declining shopping activity"
        goes to "recent increase in shopping activity", 12 bills under "limited bill
        payment record" to "many bills falling due". A loss at the end itself stays
        unstated (neither text is true there), and so does one whose far side the target's
        ``claim`` does not describe (a ``"high"`` target takes only values above the end,
        a ``"low"`` one only values below it, a ``"none"`` one none). Followed once, like
        ``missing``; must name another group of the catalog.

    Raises
    ------
    SpecError
        On a malformed code, ``claim``, ``missing`` or ``beyond``; ``features`` or
        ``patterns`` that are not a collection of non-empty strings (a lone string is
        refused, not split into characters); a bad pattern; texts that are not a non-empty
        mapping of language -> text; an unknown hint direction; or a hint template that
        does not parse, or uses a placeholder other than ``{label}``, ``{current}``,
        ``{target}``, ``{delta}`` and ``{points}``, a positional field, attribute or
        index access, a conversion or a format spec.

    Examples
    --------
    >>> g = ReasonGroup(code="TEN01", short={"en": "Account too new"},
    ...                 long={"en": "The account was opened recently."},
    ...                 patterns=("ten_account_age*",))
    >>> g.matches("ten_account_age_days")
    True
    """

    code: str
    short: Mapping[str, str]
    long: Mapping[str, str]
    features: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    hints: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    missing: str | None = None
    claim: str | None = None
    beyond: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE_RE.match(self.code):
            raise SpecError(
                f"reason code {self.code!r} must be 1-32 upper-case letters, digits or '_' "
                "starting with a letter"
            )
        if self.claim is not None and self.claim not in CLAIMS:
            raise SpecError(
                f"reason group {self.code}: claim={self.claim!r} is not one of "
                f"{', '.join(map(repr, CLAIMS))}"
            )
        for route in ("missing", "beyond"):
            target = getattr(self, route)
            if target is not None and (not isinstance(target, str) or not _CODE_RE.match(target)):
                raise SpecError(f"reason group {self.code}: {route}={target!r} is not a code")
            if target == self.code:
                raise SpecError(f"reason group {self.code}: {route} must name another group")
        for attr in ("features", "patterns"):
            value = getattr(self, attr)
            if (
                isinstance(value, str | Mapping)
                or not isinstance(value, Iterable)
                or not all(isinstance(v, str) and v for v in value)
            ):
                raise SpecError(f"reason group {self.code}: {attr} must be non-empty strings")
            object.__setattr__(self, attr, tuple(value))
        for pattern in self.patterns:
            _check_pattern(pattern, where=f"reason group {self.code}")
        object.__setattr__(self, "short", _texts(self.short, f"{self.code}.short"))
        object.__setattr__(self, "long", _texts(self.long, f"{self.code}.long"))
        object.__setattr__(
            self, "hints", _hint_templates(self.hints, f"reason group {self.code}: hints")
        )

    def matches(self, name: str) -> bool:
        """True when ``name`` is listed exactly or matched by a pattern."""
        return name in self.features or any(match_pattern(p, name) for p in self.patterns)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation (JSON/YAML-safe)."""
        out: dict[str, Any] = {
            "code": self.code,
            "short": dict(self.short),
            "long": dict(self.long),
            "features": list(self.features),
            "patterns": list(self.patterns),
        }
        if self.hints:
            out["hints"] = {k: dict(v) for k, v in self.hints.items()}
        if self.missing is not None:
            out["missing"] = self.missing
        if self.claim is not None:
            out["claim"] = self.claim
        if self.beyond is not None:
            out["beyond"] = self.beyond
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReasonGroup:
        """Rebuild from :meth:`to_dict` output.

        Raises
        ------
        SpecError
            When ``data`` is not a mapping, on unknown keys, on ``features`` or
            ``patterns`` that are not a list of non-empty strings (a YAML scalar such as
            ``patterns: bill_*late*`` is refused, not split into characters), on ``hints``
            that are not a mapping, or any validation failure of :class:`ReasonGroup`.
        """
        data = _mapping(data, "reason group entry")
        _no_unknown(data, _GROUP_KEYS, "group")
        where = f"reason group {data.get('code', '?')}"
        return cls(
            code=data.get("code", ""),
            short=data.get("short", {}),
            long=data.get("long", {}),
            features=_str_list(data.get("features", ()), f"{where}: features"),
            patterns=_str_list(data.get("patterns", ()), f"{where}: patterns"),
            hints=_optional_mapping(data.get("hints"), f"{where}: hints"),
            missing=data.get("missing"),
            claim=data.get("claim"),
            beyond=data.get("beyond"),
        )


@dataclass(frozen=True)
class ActionReason:
    """A reason attached to an account action rather than to a feature group.

    Limit-ladder actions (limit cut, freeze, no increase) need reasons too; they come from
    the policy rule that fired, not from model contributions, so they carry only texts.

    Parameters
    ----------
    code : str
        Reason code, unique across the catalog's groups and actions.
    short, long : mapping of language -> str
        Texts in every catalog language.

    Examples
    --------
    >>> ActionReason("ACT01", {"en": "Limit reduced"}, {"en": "An instalment is overdue."}).code
    'ACT01'
    """

    code: str
    short: Mapping[str, str]
    long: Mapping[str, str]

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE_RE.match(self.code):
            raise SpecError(f"action reason code {self.code!r} is not a valid code")
        object.__setattr__(self, "short", _texts(self.short, f"{self.code}.short"))
        object.__setattr__(self, "long", _texts(self.long, f"{self.code}.long"))

    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation."""
        return {"code": self.code, "short": dict(self.short), "long": dict(self.long)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ActionReason:
        """Rebuild from :meth:`to_dict` output.

        Raises
        ------
        SpecError
            When ``data`` is not a mapping, on unknown keys or an invalid code or text.
        """
        data = _mapping(data, "action reason entry")
        _no_unknown(data, {"code", "short", "long"}, "action")
        return cls(data.get("code", ""), data.get("short", {}), data.get("long", {}))


@dataclass(frozen=True)
class CatalogMatch:
    """How a catalog maps a list of model features (the result of :meth:`ReasonCatalog.match`).

    Attributes
    ----------
    groups : dict of feature -> code
        Features mapped to exactly one group.
    unmapped : tuple of str
        Features no group claims (protected features are not listed here).
    ambiguous : dict of feature -> tuple of codes
        Features claimed by several groups with equal standing.
    protected : tuple of str
        Features the catalog marks as protected.
    """

    groups: dict[str, str]
    unmapped: tuple[str, ...]
    ambiguous: dict[str, tuple[str, ...]]
    protected: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every non-protected feature maps to exactly one group."""
        return not self.unmapped and not self.ambiguous


# Lookups and the JSON / YAML / file round trips are mixins (_catalog_lookups.py,
# _catalog_files.py) to keep this module under the size rule; the class stays here.
@dataclass(frozen=True)
class ReasonCatalog(_CatalogLookups, _CatalogFiles):
    """Reason codes, bilingual texts and the feature -> group map.

    Parameters
    ----------
    groups : tuple of ReasonGroup
        The reason groups; codes must be unique.
    name : str, default "custom"
        Catalog name, recorded with every coder fitted on it.
    version : str, default "1"
        Catalog version (the lender's own versioning of texts and mappings).
    languages : tuple of str, default ("zh", "en")
        Languages every text must be given in.
    protected : tuple of str
        Feature names or patterns that are protected attributes (never in reasons or hints;
        a coder refuses a model using them unless it is a fairness analysis).
    immutable : tuple of str
        Feature names or patterns an applicant cannot change (never hinted).
    time_bound : tuple of str
        Feature names or patterns that change only with time (hinted as waiting time).
    actions : tuple of ActionReason
        Reasons for account actions (limit cut, freeze...), e.g. from a limit ladder.
    generic_hints : mapping of direction -> (mapping of language -> str)
        Fallback hint templates for groups without their own.

    Raises
    ------
    SpecError
        On groups or actions that are not :class:`ReasonGroup` / :class:`ActionReason`
        objects, duplicate codes, languages that are not non-empty strings, a lone string
        for ``languages``, ``protected``, ``immutable`` or ``time_bound``, missing texts,
        bad patterns, a feature named exactly in two groups, a ``missing`` or ``beyond``
        route naming no group of the catalog, a group naming no feature and no pattern
        that no route targets, or generic hint templates that break the rules of
        :class:`ReasonGroup` hint templates.

    Examples
    --------
    >>> from thinfile_credit.reasons import default_catalog
    >>> cat = default_catalog()
    >>> cat.group_of("bill_overdue_count_now")
    'BIL02'
    >>> cat.is_protected("soc_degree_social")
    False
    """

    groups: tuple[ReasonGroup, ...]
    name: str = "custom"
    version: str = "1"
    languages: tuple[str, ...] = ("zh", "en")
    protected: tuple[str, ...] = ()
    immutable: tuple[str, ...] = ()
    time_bound: tuple[str, ...] = ()
    actions: tuple[ActionReason, ...] = ()
    generic_hints: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # lookups derived at construction (not part of the spec)
    _exact: dict[str, str] = field(init=False, repr=False, compare=False)
    _by_code: dict[str, ReasonGroup] = field(init=False, repr=False, compare=False)
    _actions: dict[str, ActionReason] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "groups", _items(self.groups, ReasonGroup, "ReasonCatalog.groups"))
        object.__setattr__(
            self, "actions", _items(self.actions, ActionReason, "ReasonCatalog.actions")
        )
        if not self.groups:
            raise SpecError("a reason catalog needs at least one group")
        if (
            isinstance(self.languages, str | Mapping)
            or not isinstance(self.languages, Iterable)
            or not self.languages
        ):
            raise SpecError("ReasonCatalog.languages must be a non-empty tuple of codes")
        object.__setattr__(self, "languages", tuple(self.languages))
        bad = [lang for lang in self.languages if not isinstance(lang, str) or not lang.strip()]
        if bad:
            listing = ", ".join(map(repr, bad))
            raise SpecError(f"ReasonCatalog.languages must be non-empty strings, got {listing}")
        for attr in ("protected", "immutable", "time_bound"):
            value = getattr(self, attr)
            if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
                raise SpecError(f"ReasonCatalog.{attr} must be a tuple of names or patterns")
            value = tuple(value)
            for pattern in value:
                _check_pattern(pattern, where=f"ReasonCatalog.{attr}")
            object.__setattr__(self, attr, value)
        codes = [g.code for g in self.groups] + [a.code for a in self.actions]
        dupes = sorted({c for c in codes if codes.count(c) > 1})
        if dupes:
            raise SpecError(f"duplicate reason codes: {', '.join(dupes)}")
        _check_routes(self.groups)
        items: tuple[ReasonGroup | ActionReason, ...] = (*self.groups, *self.actions)
        for item in items:
            for kind in ("short", "long"):
                missing = [lang for lang in self.languages if lang not in getattr(item, kind)]
                if missing:
                    raise SpecError(
                        f"reason {item.code}: {kind} text missing for language(s) "
                        f"{', '.join(missing)}"
                    )
        owners: dict[str, list[str]] = {}
        for g in self.groups:
            for feature in g.features:
                owners.setdefault(feature, []).append(g.code)
        twice = {f: c for f, c in owners.items() if len(c) > 1}
        if twice:
            listing = "; ".join(f"{f} in {', '.join(c)}" for f, c in sorted(twice.items()))
            raise SpecError(f"features named exactly in several groups: {listing}")
        object.__setattr__(
            self,
            "generic_hints",
            _hint_templates(self.generic_hints, "ReasonCatalog.generic_hints"),
        )
        object.__setattr__(self, "_exact", {f: c[0] for f, c in owners.items()})
        object.__setattr__(self, "_by_code", {g.code: g for g in self.groups})
        object.__setattr__(self, "_actions", {a.code: a for a in self.actions})

    # --- validation against a model ------------------------------------------------------
    def match(self, features: Iterable[str]) -> CatalogMatch:
        """Map model features to groups without raising (see :meth:`resolve`).

        Examples
        --------
        >>> from thinfile_credit.reasons import default_catalog
        >>> m = default_catalog().match(["bill_overdue_count_now", "mystery"])
        >>> m.unmapped
        ('mystery',)
        """
        groups: dict[str, str] = {}
        unmapped: list[str] = []
        ambiguous: dict[str, tuple[str, ...]] = {}
        protected: list[str] = []
        for name in features:
            if self.is_protected(name):
                protected.append(name)
                continue
            claims = self.groups_claiming(name)
            if not claims:
                unmapped.append(name)
            elif len(claims) > 1:
                ambiguous[name] = claims
            else:
                groups[name] = claims[0]
        return CatalogMatch(groups, tuple(unmapped), ambiguous, tuple(protected))

    def resolve(self, features: Iterable[str]) -> dict[str, str]:
        """Map every non-protected feature to its group code, or fail listing the misfits.

        Raises
        ------
        SpecError
            Naming every unmapped and every multiply-mapped feature.
        """
        m = self.match(features)
        if not m.ok:
            parts = []
            if m.unmapped:
                parts.append(f"unmapped features: {', '.join(m.unmapped)}")
            if m.ambiguous:
                parts.append(
                    "features mapped to several groups: "
                    + "; ".join(f"{f} -> {', '.join(c)}" for f, c in m.ambiguous.items())
                )
            raise SpecError(f"catalog {self.name!r} cannot map the model: " + " | ".join(parts))
        return m.groups

    # --- composition ------------------------------------------------------------------
    def with_actions(self, actions: Sequence[ActionReason]) -> ReasonCatalog:
        """A copy with ``actions`` added (codes already present are replaced).

        Raises
        ------
        SpecError
            When ``actions`` is a string, a mapping or not a collection, holds anything but
            :class:`ActionReason` objects, repeats a code, or the copy is invalid (an action
            code equal to a group code, say).
        """
        new = _new_by_code(actions, ActionReason, "with_actions")
        kept = tuple(a for a in self.actions if a.code not in new)
        return _replace(self, actions=kept + tuple(new.values()))

    def with_groups(self, groups: Sequence[ReasonGroup]) -> ReasonCatalog:
        """A copy with ``groups`` added (a group with an existing code replaces it).

        Raises
        ------
        SpecError
            When ``groups`` is a string, a mapping or not a collection, holds anything but
            :class:`ReasonGroup` objects, repeats a code, or the copy is invalid (a feature
            named exactly in two groups, say).
        """
        new = _new_by_code(groups, ReasonGroup, "with_groups")
        kept = tuple(new.pop(g.code, g) for g in self.groups)
        return _replace(self, groups=kept + tuple(new.values()))

    # --- serialisation (plain data; text and files in _catalog_files.py) ------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReasonCatalog:
        """Rebuild from :meth:`to_dict` output.

        Raises
        ------
        SpecError
            When ``data`` is not a mapping, on unknown keys, an unsupported format version
            (1, before ``beyond`` routes, and 2 load; a version 1 file naming a ``beyond``
            route is refused),
            a ``name`` or ``version`` that is not a string (or, for ``version``, an
            integer), a list field (``languages``, ``protected``, ``immutable``,
            ``time_bound``, a group's ``features`` or ``patterns``) that is not a list of
            non-empty strings, ``groups`` or ``actions`` that are not a list of mappings,
            hint templates that are not a mapping or break the template rules, or any
            validation failure of :class:`ReasonCatalog`.
        """
        data = _mapping(data, "a reason catalog")
        allowed = {
            "format_version",
            "name",
            "version",
            "languages",
            "protected",
            "immutable",
            "time_bound",
            "generic_hints",
            "groups",
            "actions",
        }
        _no_unknown(data, allowed, "catalog")
        fmt = data.get("format_version", _FORMAT_VERSION)
        if type(fmt) is not int or fmt not in _FORMAT_VERSIONS:
            raise SpecError(f"reason catalog format_version {fmt!r} is not supported")
        if fmt < 2:  # beyond routes came with format 2: an older file cannot hold them
            for entry in data.get("groups", ()) or ():
                if isinstance(entry, Mapping) and "beyond" in entry:
                    raise SpecError(
                        f"reason group {entry.get('code', '?')}: a beyond route needs "
                        f"catalog format_version 2 (the file says {fmt})"
                    )
        return cls(
            groups=tuple(
                ReasonGroup.from_dict(g) for g in _list(data.get("groups", ()), "catalog groups")
            ),
            name=_label_text(data.get("name", "custom"), "catalog name", ints=False),
            version=_label_text(data.get("version", "1"), "catalog version", ints=True),
            languages=_str_list(data.get("languages", ("zh", "en")), "catalog languages"),
            protected=_str_list(data.get("protected", ()), "catalog protected"),
            immutable=_str_list(data.get("immutable", ()), "catalog immutable"),
            time_bound=_str_list(data.get("time_bound", ()), "catalog time_bound"),
            actions=tuple(
                ActionReason.from_dict(a) for a in _list(data.get("actions", ()), "catalog actions")
            ),
            generic_hints=_optional_mapping(data.get("generic_hints"), "catalog generic_hints"),
        )


# --- helpers ----------------------------------------------------------------------------


def _replace(catalog: ReasonCatalog, **changes: Any) -> ReasonCatalog:
    # dataclasses.replace re-runs __post_init__, so the copy is validated like any catalog
    return dataclasses.replace(catalog, **changes)
