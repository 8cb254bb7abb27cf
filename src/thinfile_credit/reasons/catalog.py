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
import fnmatch
import json
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from thinfile_credit.errors import SpecError

__all__ = ["ActionReason", "CatalogMatch", "ReasonCatalog", "ReasonGroup", "match_pattern"]

#: Codes are short upper-case identifiers: they end up in letters, logs and SQL.
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,31}$")
#: Hint template directions a group may define.
HINT_DIRECTIONS = ("increase", "decrease", "time")
#: Values a group's text can describe (``ReasonGroup.claim``).
CLAIMS = ("low", "high", "none")
#: Placeholders a hint template may use (the values ``HintFinder`` fills in, all text).
HINT_FIELDS = ("label", "current", "target", "delta", "points")
_FORMAT_VERSION = 1


def match_pattern(pattern: str, name: str) -> bool:
    """True when feature ``name`` matches a catalog ``pattern``.

    Parameters
    ----------
    pattern : str
        A shell glob, or a regular expression prefixed with ``re:`` (full match).
    name : str
        Feature name.

    Examples
    --------
    >>> match_pattern("bill_*late*", "bill_max_days_late_365d")
    True
    >>> match_pattern("re:loan_(max|current)_dpd.*", "loan_current_dpd")
    True
    >>> match_pattern("ten_account_age*", "ten_device_changes_90d")
    False
    """
    if pattern.startswith("re:"):
        return re.fullmatch(pattern[3:], name) is not None
    return fnmatch.fnmatchcase(name, pattern)


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
        and must name another group of the catalog.
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

    Raises
    ------
    SpecError
        On a malformed code, ``claim`` or ``missing``; ``features`` or ``patterns`` that
        are not a collection of non-empty strings (a lone string is refused, not split
        into characters) or both empty; a bad pattern; texts that are not a non-empty
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
        if self.missing is not None and (
            not isinstance(self.missing, str) or not _CODE_RE.match(self.missing)
        ):
            raise SpecError(f"reason group {self.code}: missing={self.missing!r} is not a code")
        if self.missing == self.code:
            raise SpecError(f"reason group {self.code}: missing must name another group")
        for attr in ("features", "patterns"):
            value = getattr(self, attr)
            if (
                isinstance(value, str | Mapping)
                or not isinstance(value, Iterable)
                or not all(isinstance(v, str) and v for v in value)
            ):
                raise SpecError(f"reason group {self.code}: {attr} must be non-empty strings")
            object.__setattr__(self, attr, tuple(value))
        if not self.features and not self.patterns:
            raise SpecError(f"reason group {self.code} names no feature and no pattern")
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
        _no_unknown(
            data,
            {"code", "short", "long", "features", "patterns", "hints", "missing", "claim"},
            "group",
        )
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


@dataclass(frozen=True)
class ReasonCatalog:
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
        bad patterns, a feature named exactly in two groups, or generic hint templates that
        break the rules of :class:`ReasonGroup` hint templates.

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
        group_codes = {g.code for g in self.groups}
        dangling = [
            f"{g.code} -> {g.missing}"
            for g in self.groups
            if g.missing is not None and g.missing not in group_codes
        ]
        if dangling:
            raise SpecError(
                "missing-value routes name no group of the catalog: " + ", ".join(dangling)
            )
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

    # --- lookups ----------------------------------------------------------------------
    @property
    def codes(self) -> tuple[str, ...]:
        """Group codes in catalog order."""
        return tuple(g.code for g in self.groups)

    def group(self, code: str) -> ReasonGroup:
        """The group with ``code`` (raises :class:`SpecError` when unknown)."""
        try:
            return self._by_code[code]
        except KeyError:
            raise SpecError(f"unknown reason code {code!r}") from None

    def groups_claiming(self, name: str) -> tuple[str, ...]:
        """Codes of every group that claims ``name`` (exact listing wins over patterns)."""
        exact = self._exact.get(name)
        if exact is not None:
            return (exact,)
        return tuple(g.code for g in self.groups if any(match_pattern(p, name) for p in g.patterns))

    def missing_route(self, code: str) -> str | None:
        """The group speaking for ``code``'s features where a value is missing, if any.

        Examples
        --------
        >>> from thinfile_credit.reasons import default_catalog
        >>> default_catalog().missing_route("BIL01")
        'BIL04'
        """
        return self.group(code).missing

    def group_of(self, name: str) -> str | None:
        """The code of the one group claiming ``name``; ``None`` if none or several do."""
        claims = self.groups_claiming(name)
        return claims[0] if len(claims) == 1 else None

    def is_protected(self, name: str) -> bool:
        """True when ``name`` is a protected attribute (matched ignoring case: a lender's
        ``Gender`` or ``AGE`` column is as protected as ``gender``)."""
        return _any_match(self.protected, name) or _any_match(self.protected, name.lower())

    def is_immutable(self, name: str) -> bool:
        """True when an applicant cannot change ``name`` (protected features included)."""
        return _any_match(self.immutable, name) or self.is_protected(name)

    def is_time_bound(self, name: str) -> bool:
        """True when ``name`` changes only with the passage of time."""
        return _any_match(self.time_bound, name)

    def text(self, code: str, language: str = "zh", *, long: bool = False) -> str:
        """Text of a group or action reason in ``language``.

        Raises
        ------
        SpecError
            For an unknown code or a language the catalog does not hold.
        """
        if language not in self.languages:
            raise SpecError(
                f"language {language!r} is not in the catalog (has {', '.join(self.languages)})"
            )
        item = self._by_code.get(code) or self._actions.get(code)
        if item is None:
            raise SpecError(f"unknown reason code {code!r}")
        return str((item.long if long else item.short)[language])

    def hint_template(self, code: str, direction: str, language: str) -> str | None:
        """The hint template for a group and direction, falling back to the generic one."""
        own = self.group(code).hints.get(direction)
        if own is not None and language in own:
            return own[language]
        generic = self.generic_hints.get(direction)
        return None if generic is None else generic.get(language)

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

    # --- serialisation ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain-data representation (JSON/YAML-safe, stable key order)."""
        return {
            "format_version": _FORMAT_VERSION,
            "name": self.name,
            "version": self.version,
            "languages": list(self.languages),
            "protected": list(self.protected),
            "immutable": list(self.immutable),
            "time_bound": list(self.time_bound),
            "generic_hints": {k: dict(v) for k, v in self.generic_hints.items()},
            "groups": [g.to_dict() for g in self.groups],
            "actions": [a.to_dict() for a in self.actions],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReasonCatalog:
        """Rebuild from :meth:`to_dict` output.

        Raises
        ------
        SpecError
            When ``data`` is not a mapping, on unknown keys, an unsupported format version,
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
        if type(fmt) is not int or fmt != _FORMAT_VERSION:
            raise SpecError(f"reason catalog format_version {fmt!r} is not supported")
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

    def to_json(self, **kwargs: Any) -> str:
        """JSON text (UTF-8 characters kept readable)."""
        kwargs.setdefault("ensure_ascii", False)
        kwargs.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_json(cls, text: str) -> ReasonCatalog:
        """Rebuild from :meth:`to_json` output.

        Raises
        ------
        SpecError
            On invalid JSON or any failure of :meth:`from_dict`.
        """
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError(f"reason catalog is not valid JSON: {exc}") from None
        return cls.from_dict(data)

    def to_yaml(self) -> str:
        """YAML text (needs the ``yaml`` extra)."""
        from thinfile_credit._optional import require

        yaml = require("yaml", "yaml")
        return str(yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False))

    @classmethod
    def from_yaml(cls, text: str) -> ReasonCatalog:
        """Rebuild from :meth:`to_yaml` output (safe loader only).

        Raises
        ------
        SpecError
            On invalid YAML or any failure of :meth:`from_dict`.
        MissingDependencyError
            When PyYAML is not installed.
        """
        from thinfile_credit._optional import require

        yaml = require("yaml", "yaml")
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError(f"reason catalog is not valid YAML: {exc}") from None
        return cls.from_dict(data)

    def save(self, path: str | Path) -> Path:
        """Write to ``path``; ``.yaml``/``.yml`` give YAML, anything else JSON."""
        path = Path(path)
        text = self.to_yaml() if path.suffix.lower() in (".yaml", ".yml") else self.to_json()
        path.write_text(text, encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> ReasonCatalog:
        """Read a catalog written by :meth:`save` (format chosen by the file suffix).

        Raises
        ------
        SpecError
            As :meth:`from_json` / :meth:`from_yaml`.
        OSError
            When the file cannot be read.
        """
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() in (".yaml", ".yml"):
            return cls.from_yaml(text)
        return cls.from_json(text)


# --- helpers ----------------------------------------------------------------------------
def _check_pattern(pattern: Any, *, where: str) -> None:
    if not isinstance(pattern, str) or not pattern:
        raise SpecError(f"{where}: pattern {pattern!r} must be a non-empty string")
    if pattern.startswith("re:"):
        try:
            re.compile(pattern[3:])
        except re.error as exc:
            raise SpecError(f"{where}: bad regular expression {pattern!r}: {exc}") from None


def _texts(value: Any, where: str) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not value:
        raise SpecError(f"{where} must be a non-empty mapping of language -> text")
    for lang, text in value.items():
        if not isinstance(lang, str) or not isinstance(text, str) or not text.strip():
            raise SpecError(f"{where}: text for {lang!r} must be a non-empty string")
    return MappingProxyType(dict(value))


def _check_template(text: str, where: str) -> None:
    """Refuse a hint template ``str.format`` could not fill from :data:`HINT_FIELDS`.

    Only bare placeholders are allowed: no positional field (``{}``, ``{0}``), no attribute
    or index access (``{label.__class__}``: an injection risk in a service), no conversion
    (``!r``) and no format spec (the values are already formatted text).

    Examples
    --------
    >>> _check_template("Raise {label} to {target} (+{points} points, {{approx.}})", "t")
    >>> _check_template("Raise {lable}", "t")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: t: unknown placeholder {lable} in 'Raise {lable}' ...
    """
    try:
        fields = [(name, spec, conv) for _, name, spec, conv in string.Formatter().parse(text)]
    except ValueError as exc:
        raise SpecError(f"{where}: template {text!r} does not parse: {exc}") from None
    allowed = ", ".join(f"{{{f}}}" for f in HINT_FIELDS)
    for name, spec, conv in fields:
        if name is None:  # literal text only
            continue
        if name == "" or name.isdigit():
            problem = "positional placeholder"
        elif any(c in name for c in ".["):
            problem = "attribute or index access in placeholder"
        elif name not in HINT_FIELDS:
            problem = "unknown placeholder"
        elif conv is not None:
            problem = f"conversion !{conv} in placeholder"
        elif spec:
            problem = f"format spec :{spec} in placeholder"
        else:
            continue
        raise SpecError(f"{where}: {problem} {{{name}}} in {text!r} (allowed: {allowed})")


def _hint_templates(value: Any, where: str) -> Mapping[str, Mapping[str, str]]:
    """Validate ``direction -> language -> template``; read-only copy."""
    if not isinstance(value, Mapping):
        raise SpecError(
            f"{where} must be a mapping of direction -> (language -> template), "
            f"got {type(value).__name__} {value!r}"
        )
    hints: dict[str, Mapping[str, str]] = {}
    for direction, templates in value.items():
        if direction not in HINT_DIRECTIONS:
            raise SpecError(
                f"{where}: hint direction {direction!r} is not one of {', '.join(HINT_DIRECTIONS)}"
            )
        texts = _texts(templates, f"{where}.{direction}")
        for lang, text in texts.items():
            _check_template(text, f"{where}: {direction} template in {lang!r}")
        hints[direction] = texts
    return MappingProxyType(hints)


def _str_list(value: Any, where: str) -> tuple[str, ...]:
    """A spec's list of non-empty strings; a lone string is refused, never split.

    Examples
    --------
    >>> _str_list(["bill_*late*"], "patterns")
    ('bill_*late*',)
    >>> _str_list("bill_*late*", "patterns")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.SpecError: patterns must be a list of strings, got the string ...
    """
    if isinstance(value, str):
        raise SpecError(
            f"{where} must be a list of strings, got the string {value!r} "
            f"(write it as a one-item list: [{value!r}])"
        )
    items = _list(value, where)
    bad = [v for v in items if not isinstance(v, str) or not v.strip()]
    if bad:
        raise SpecError(
            f"{where} must be a list of non-empty strings, got {', '.join(map(repr, bad))}"
        )
    return items


def _list(value: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(value, list | tuple):
        raise SpecError(f"{where} must be a list, got {type(value).__name__} {value!r}")
    return tuple(value)


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(f"{where} must be a mapping, got {type(value).__name__} {value!r}")
    return value


def _optional_mapping(value: Any, where: str) -> Mapping[str, Any]:
    """A mapping field where an empty YAML entry (``None``) means "none"."""
    return {} if value is None else _mapping(value, where)


def _label_text(value: Any, where: str, *, ints: bool) -> str:
    # an integer version (``version: 2``) reads back exactly; a float (1.10 -> "1.1") does not
    if isinstance(value, str) or (ints and type(value) is int):
        return str(value)
    raise SpecError(f"{where} must be a string, got {type(value).__name__} {value!r}")


def _items(value: Any, kind: type, where: str) -> tuple[Any, ...]:
    """A tuple of ``kind`` objects from a collection (not a string or a mapping)."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise SpecError(
            f"{where} must be a collection of {kind.__name__} objects, "
            f"got {type(value).__name__} {value!r}"
        )
    items = tuple(value)
    for item in items:
        if not isinstance(item, kind):
            raise SpecError(
                f"{where} holds a {type(item).__name__} ({item!r}), not a {kind.__name__}"
            )
    return items


def _new_by_code(value: Any, kind: type, where: str) -> dict[str, Any]:
    """``code -> item`` for ``with_groups`` / ``with_actions``, refusing a repeated code."""
    items = _items(value, kind, where)
    codes = [item.code for item in items]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise SpecError(f"{where}: duplicate reason codes in the argument: {', '.join(dupes)}")
    return {item.code: item for item in items}


def _any_match(patterns: Iterable[str], name: str) -> bool:
    return any(p == name or match_pattern(p, name) for p in patterns)


def _no_unknown(data: Mapping[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SpecError(f"unknown {what} key(s): {', '.join(unknown)}")


def _replace(catalog: ReasonCatalog, **changes: Any) -> ReasonCatalog:
    # dataclasses.replace re-runs __post_init__, so the copy is validated like any catalog
    return dataclasses.replace(catalog, **changes)
