"""How a :class:`~thinfile_credit.reasons.ReasonCatalog` answers questions about features
and codes.

:func:`match_pattern` (a shell glob, or a ``re:`` regular expression) and the
``_CatalogLookups`` mixin ``ReasonCatalog`` inherits: which groups claim a feature (an
exact listing wins over patterns), the protected / immutable / time-bound marks, and a
code's group, texts, missing-value and beyond routes and hint template. ``match_pattern`` keeps its
import paths, ``thinfile_credit.reasons.catalog.match_pattern`` and
``thinfile_credit.reasons.match_pattern``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from thinfile_credit.errors import SpecError

if TYPE_CHECKING:
    from thinfile_credit.reasons.catalog import ActionReason, ReasonGroup

__all__ = ["match_pattern"]


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


class _CatalogLookups:
    """The lookups of ``ReasonCatalog`` (see its parameters)."""

    if TYPE_CHECKING:
        groups: tuple[ReasonGroup, ...]
        languages: tuple[str, ...]
        protected: tuple[str, ...]
        immutable: tuple[str, ...]
        time_bound: tuple[str, ...]
        generic_hints: Mapping[str, Mapping[str, str]]
        _exact: dict[str, str]
        _by_code: dict[str, ReasonGroup]
        _actions: dict[str, ActionReason]

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

    def beyond_route(self, code: str) -> str | None:
        """The group speaking for ``code``'s losses on the far side of its text, if any
        (see :class:`~thinfile_credit.reasons.ReasonGroup` ``beyond``).

        Examples
        --------
        >>> from thinfile_credit.reasons import default_catalog
        >>> default_catalog().beyond_route("CON05")
        'CON05_HIGH'
        """
        return self.group(code).beyond

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


# --- helpers ----------------------------------------------------------------------------


def _any_match(patterns: Iterable[str], name: str) -> bool:
    return any(p == name or match_pattern(p, name) for p in patterns)
