"""Validation and parsing helpers of reason catalog specs.

The vocabulary a spec may use (:data:`HINT_DIRECTIONS`, :data:`CLAIMS`,
:data:`HINT_FIELDS`) and the checks :class:`~thinfile_credit.reasons.ReasonGroup`,
:class:`~thinfile_credit.reasons.ActionReason` and
:class:`~thinfile_credit.reasons.ReasonCatalog` run when built and in ``from_dict``:
patterns, texts, hint templates, and the lists, mappings and labels read from JSON or
YAML. Every failure is a :class:`~thinfile_credit.errors.SpecError` naming the field.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Set
from types import MappingProxyType
from typing import Any

from thinfile_credit.errors import SpecError

__all__ = ["CLAIMS", "HINT_DIRECTIONS", "HINT_FIELDS"]

#: Hint template directions a group may define.
HINT_DIRECTIONS = ("increase", "decrease", "time")
#: Values a group's text can describe (``ReasonGroup.claim``).
CLAIMS = ("low", "high", "none")
#: Placeholders a hint template may use (the values ``HintFinder`` fills in, all text).
HINT_FIELDS = ("label", "current", "target", "delta", "points")


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


def _check_routes(groups: tuple[Any, ...]) -> None:
    """Every ``missing`` and ``beyond`` route names a group of the catalog, and every
    group names a feature or a pattern unless a route targets it (a group that only
    speaks for other groups' features)."""
    codes = {g.code for g in groups}
    targets: set[str] = set()
    for route, what in (("missing", "missing-value"), ("beyond", "beyond")):
        pairs = [(g.code, getattr(g, route)) for g in groups if getattr(g, route) is not None]
        dangling = [f"{code} -> {target}" for code, target in pairs if target not in codes]
        if dangling:
            raise SpecError(f"{what} routes name no group of the catalog: " + ", ".join(dangling))
        targets.update(target for _, target in pairs)
    idle = [g.code for g in groups if not g.features and not g.patterns and g.code not in targets]
    if idle:
        raise SpecError(
            f"reason group(s) {', '.join(idle)} name no feature and no pattern, and no "
            "missing or beyond route targets them"
        )


def _no_unknown(data: Mapping[str, Any], allowed: Set[str], what: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise SpecError(f"unknown {what} key(s): {', '.join(unknown)}")
