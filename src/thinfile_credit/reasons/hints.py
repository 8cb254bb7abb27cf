"""Improvement hints: the smallest change in a reason's features that recovers points.

For each adverse reason the finder tries, for every changeable feature of the reason's group,
a grid of candidate values drawn from the reference sample (its distinct values, or 41
quantiles when there are many) and re-scores the applicant with the model itself, so one
rule serves every scorer:

* a scorecard's score changes only at bin edges, so the closest candidate that recovers
  points is the *next better bin*;
* for a GBM the same search walks along the feature (monotone constraints make it a walk
  in one direction) and stops at the first step worth at least ``min_points``.

The closest candidate (in reference-sample rank, so features in different units compare)
that recovers at least ``min_points`` is kept for each feature; across a group's features
the one recovering the most points wins (ties: the smaller change, then the name). Protected
and immutable features are never hinted; time-bound features (account age...) only move
forward and are phrased as waiting time. All candidates of a batch are scored in one model
call.

Examples
--------
>>> from thinfile_credit.reasons import ReasonCoder
>>> from thinfile_credit.reasons._demo import tiny_scorecard
>>> model, X = tiny_scorecard()
>>> coder = ReasonCoder(language="en", hints=True).fit(model, X)
>>> e = coder.explain_one(X.iloc[0].to_dict())
>>> e.reasons[0].hint.text
'Settle overdue bills to bring bill overdue count now down to 1 (+20 points)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit._frames import from_polars
from thinfile_credit.reasons.explanation import Hint

__all__ = ["HintFinder", "format_value"]

_GRID_SIZE = 41
_ZH_UNITS = {"days": "天", "months": "个月"}


@dataclass(frozen=True)
class _Feature:
    name: str
    grid: NDArray[np.float64]
    sorted_ref: NDArray[np.float64]
    time_bound: bool
    is_integer: bool
    unit: str
    labels: Mapping[str, str]


class HintFinder:
    """Search engine behind ``ReasonCoder(hints=True)``; built from a fitted coder.

    Parameters
    ----------
    model : Scorer
        The coder's model.
    names : tuple of str
        Model features in order.
    groups : dict of code -> tuple of str
        Hintable features of each reason group.
    features : dict of str -> _Feature
        Candidate grids and phrasing data of every hintable feature.
    catalog : ReasonCatalog
        Source of hint templates.
    sign : float
        +1 when a higher score is better.
    min_gain : float
        Least points a hint must recover.
    input_kind : str
        Kind of frame the model takes (``"numpy"``, ``"pandas"``, ``"polars"``...).
    input_names : tuple of str, optional
        The model's ``feature_names_in_`` when wider than ``names``.
    """

    def __init__(
        self,
        model: Any,
        names: tuple[str, ...],
        groups: dict[str, tuple[str, ...]],
        features: dict[str, _Feature],
        catalog: Any,
        sign: float,
        min_gain: float,
        input_kind: str,
        input_names: tuple[str, ...] = (),
    ) -> None:
        self.model = model
        self.names = names
        self.groups = groups
        self.features = features
        self.catalog = catalog
        self.sign = sign
        self.min_gain = min_gain
        self.input_kind = input_kind
        self.input_names = input_names or names

    @classmethod
    def from_coder(cls, coder: Any) -> HintFinder:
        """Build grids from a fitted :class:`~thinfile_credit.reasons.ReasonCoder`."""
        from thinfile_credit.reasons._inputs import _model_frame

        names = tuple(str(n) for n in coder.feature_names_in_)
        catalog = coder.catalog_
        ref = _model_frame(coder._X_reference, names, coder._input_names)
        dictionary = _dictionary(coder.dictionary)
        features: dict[str, _Feature] = {}
        for name in names:
            if name not in coder.feature_groups_ or catalog.is_immutable(name):
                continue
            s = ref.get_column(name)
            if not (s.dtype.is_numeric() or s.dtype == pl.Boolean):
                continue
            values = s.cast(pl.Float64).drop_nulls().drop_nans().to_numpy()
            if values.size == 0:
                continue
            values = np.sort(values)
            distinct = np.unique(values)
            if distinct.size <= _GRID_SIZE:
                grid = distinct
            else:
                grid = np.unique(
                    np.quantile(values, np.linspace(0, 1, _GRID_SIZE), method="inverted_cdf")
                )
            # A binned model's split points are the exact thresholds of its next better bin.
            grid = np.unique(np.concatenate([grid, _split_points(coder.model_, name)]))
            info = dictionary.get(name, {})
            unit = str(info.get("unit") or _guess_unit(name))
            labels = _labels(name, info, catalog, coder.feature_groups_[name])
            features[name] = _Feature(
                name=name,
                grid=grid,
                sorted_ref=values,
                time_bound=catalog.is_time_bound(name),
                is_integer=bool(s.dtype.is_integer() or np.all(values == np.round(values))),
                unit=unit,
                labels=labels,
            )
        groups = {
            code: tuple(f for f in coder._group_features[code] if f in features)
            for code in coder.groups_
        }
        return cls(
            model=coder.model_,
            names=names,
            groups=groups,
            features=features,
            catalog=catalog,
            sign=coder._sign,
            min_gain=max(float(coder.min_points), 1e-6),
            input_kind=coder._reference_kind,
            input_names=coder._input_names,
        )

    def find(
        self,
        X: Any,
        pairs: list[tuple[int, str]],
        language: str,
        *,
        allowed: list[frozenset[str]] | None = None,
    ) -> list[Hint | None]:
        """Best hint for each ``(row position, reason code)`` pair (``None`` if no change helps).

        Parameters
        ----------
        X : DataFrame or array
            Applicants (model input form); rows are addressed by position.
        pairs : list of (int, str)
            Applicant position and reason code.
        language : str
            Language of the phrased hints.
        allowed : list of frozenset of str, optional
            Per pair, the features the hint may move (those whose points the reason states
            for that applicant); every hintable feature of the group when omitted. Only
            the group's own features are ever searched: a feature routed to it (a missing
            value, a far-side loss under a beyond route) is not hinted.
        """
        from thinfile_credit.reasons._inputs import _model_frame

        if not pairs:
            return []
        if isinstance(X, Mapping):  # one applicant as a mapping
            X = {k: [v] for k, v in X.items()}
            X = pl.DataFrame(X, strict=False)
        Xp = _model_frame(X, self.names, self.input_names)
        rows_needed = sorted({r for r, _ in pairs})
        parts: list[pl.DataFrame] = [Xp[rows_needed]]
        base_pos = {r: i for i, r in enumerate(rows_needed)}
        # candidate bookkeeping: pair index, feature, value, position in the stack
        owner: list[NDArray[np.int64]] = []
        feats: list[str] = []
        vals: list[NDArray[np.float64]] = []
        offset = len(rows_needed)
        by_feature: dict[str, tuple[list[int], list[float], list[int]]] = {}
        for p, (row, code) in enumerate(pairs):
            for name in self.groups.get(code, ()):
                if allowed is not None and name not in allowed[p]:
                    continue
                f = self.features[name]
                current = _value(Xp, row, name)
                cand = f.grid
                if f.time_bound and np.isfinite(current):
                    cand = cand[cand > current]
                elif np.isfinite(current):
                    cand = cand[cand != current]
                if cand.size == 0:
                    continue
                slot = by_feature.setdefault(name, ([], [], []))
                slot[0].extend([row] * cand.size)
                slot[1].extend(cand.tolist())
                slot[2].extend([p] * cand.size)
        for name, (rows, values, pair_ids) in by_feature.items():
            dtype = Xp.schema[name]
            frame = Xp[rows].with_columns(pl.Series(name, values).cast(dtype, strict=False))
            parts.append(frame)
            owner.append(np.asarray(pair_ids, dtype=np.int64))
            feats.extend([name] * len(values))
            vals.append(np.asarray(values, dtype=np.float64))
        if offset == sum(p.height for p in parts):
            return [None] * len(pairs)
        stack = pl.concat(parts, how="vertical")
        scores = np.asarray(self.model.score(self._as_input(stack)), dtype=np.float64)
        base = scores[:offset]
        cand_scores = scores[offset:]
        cand_pair = np.concatenate(owner)
        cand_value = np.concatenate(vals)
        cand_row = np.array([pairs[p][0] for p in cand_pair], dtype=np.int64)
        gain = self.sign * (cand_scores - base[[base_pos[r] for r in cand_row]])
        return [
            self._best(p, pairs[p], Xp, cand_pair, feats, cand_value, gain, language)
            for p in range(len(pairs))
        ]

    def _best(
        self,
        p: int,
        pair: tuple[int, str],
        Xp: pl.DataFrame,
        cand_pair: NDArray[np.int64],
        feats: list[str],
        cand_value: NDArray[np.float64],
        gain: NDArray[np.float64],
        language: str,
    ) -> Hint | None:
        row, code = pair
        idx = np.flatnonzero((cand_pair == p) & (gain >= self.min_gain - 1e-9))
        best: tuple[float, float, str, float, float] | None = None  # -gain, dist, name, v, x
        per_feature: dict[str, tuple[float, float, float]] = {}
        for i in idx:
            name = feats[i]
            f = self.features[name]
            current = _value(Xp, row, name)
            dist = _rank_distance(f.sorted_ref, current, cand_value[i])
            kept = per_feature.get(name)
            # closest improving step per feature; among equally close, the larger gain
            if kept is None or (dist, -gain[i]) < (kept[0], -kept[1]):
                per_feature[name] = (dist, float(gain[i]), float(cand_value[i]))
        for name in sorted(per_feature):
            dist, g, v = per_feature[name]
            key = (-g, dist, name, v, _value(Xp, row, name))
            if best is None or key[:3] < best[:3]:
                best = key
        if best is None:
            return None
        neg_gain, _, name, target, current = best
        f = self.features[name]
        if f.time_bound:
            direction = "time"
        else:
            direction = "increase" if (not np.isfinite(current) or target > current) else "decrease"
        text = self._phrase(code, f, direction, current, target, -neg_gain, language)
        return Hint(code, name, current, target, -neg_gain, direction, text)

    def _phrase(
        self,
        code: str,
        f: _Feature,
        direction: str,
        current: float,
        target: float,
        points: float,
        language: str,
    ) -> str:
        template = self.catalog.hint_template(code, direction, language)
        if template is None:
            template = "{label}: {current} -> {target} (+{points})"
        delta = target - current if np.isfinite(current) else target
        unit = f.unit
        if direction == "time":
            delta_text = _duration(abs(delta), unit, language)
        else:
            delta_text = format_value(abs(delta), unit, language, f.is_integer, delta=True)
        try:
            return template.format(
                label=f.labels.get(language, f.name),
                current=format_value(current, unit, language, f.is_integer),
                target=format_value(target, unit, language, f.is_integer),
                delta=delta_text,
                points=f"{points:.0f}" if points >= 10 else f"{points:.1f}".rstrip("0").rstrip("."),
            )
        except (KeyError, IndexError, AttributeError, ValueError, TypeError) as exc:
            # catalogs check templates at construction; this guards catalog-like objects
            from thinfile_credit.errors import SpecError

            raise SpecError(
                f"reason {code}: {direction} hint template in {language!r} cannot be filled "
                f"({type(exc).__name__}: {exc}): {template!r}; templates may use only "
                "{label}, {current}, {target}, {delta} and {points}"
            ) from None

    def _as_input(self, stack: pl.DataFrame) -> Any:
        if self.input_kind == "numpy":
            cols = [c for c in self.input_names if c in stack.columns]
            if len(cols) != len(self.input_names):
                cols = list(self.names)
            return stack.select(cols).cast(pl.Float64).to_numpy()
        kind = self.input_kind if self.input_kind in ("pandas", "polars", "pyarrow") else "pandas"
        return from_polars(stack, kind)  # type: ignore[arg-type]


def format_value(
    value: float, unit: str, language: str, is_integer: bool = False, *, delta: bool = False
) -> str:
    """Render a feature value with its unit for a hint.

    Parameters
    ----------
    value : float
        The value (a change when ``delta=True``).
    unit : str
        Unit from the data dictionary (``"share"``, ``"days"``, ``"count"``, ``"CNY"``...).
    language : str
        ``"zh"`` or ``"en"`` (other languages get the English form).
    is_integer : bool, default False
        Show as a whole number.
    delta : bool, default False
        Shares become percentage points.

    Examples
    --------
    >>> format_value(0.75, "share", "en")
    '75%'
    >>> format_value(0.15, "share", "zh", delta=True)
    '15个百分点'
    >>> format_value(30, "days", "en", True)
    '30 days'
    """
    if not np.isfinite(value):
        return "缺失" if language == "zh" else "missing"
    u = unit.lower()
    if u in ("share", "ratio", "rate", "fraction", "proportion", "%", "percent"):
        pct = f"{value * 100:.0f}"
        if delta:
            return f"{pct}个百分点" if language == "zh" else f"{pct} percentage points"
        return f"{pct}%"
    number = f"{value:.0f}" if is_integer or abs(value) >= 100 else f"{value:.2f}".rstrip("0")
    number = number.rstrip(".")
    if u == "flag":
        yes = value >= 0.5
        if language == "zh":
            return "是" if yes else "否"
        return "yes" if yes else "no"
    if u in ("cny", "yuan", "rmb", "amount", "currency", "money"):
        return f"{value:,.0f}元" if language == "zh" else f"CNY {value:,.0f}"
    if u in ("days", "day"):
        return f"{number}天" if language == "zh" else f"{number} days"
    if u in ("months", "month"):
        return f"{number}个月" if language == "zh" else f"{number} months"
    return number


# --- helpers ------------------------------------------------------------------------------
def _duration(days: float, unit: str, language: str) -> str:
    if unit.lower() not in ("days", "day"):
        return format_value(days, unit, language, True)
    if days >= 60:
        months = round(days / 30.4)
        return f"约{months}个月" if language == "zh" else f"about {months} months"
    n = int(np.ceil(days))
    return f"{n}天" if language == "zh" else f"{n} days"


def _split_points(model: Any, name: str) -> NDArray[np.float64]:
    binnings = getattr(getattr(model, "binner_", None), "binnings_", None)
    binning = binnings.get(name) if isinstance(binnings, Mapping) else None
    splits = getattr(binning, "splits", ()) or ()
    try:
        out = np.asarray([float(v) for v in splits], dtype=np.float64)
    except (TypeError, ValueError):
        return np.empty(0)
    return out[np.isfinite(out)]


def _label(definition: str) -> str:
    # "Total order value (GMV) in the last 365 days." -> "total order value (GMV) in ..."
    text = definition.strip().rstrip(".")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def _labels(name: str, info: Mapping[str, Any], catalog: Any, code: str) -> dict[str, str]:
    """How a hint names the feature, per language.

    English: the dictionary's ``definition`` (or ``label_en``), else the name with spaces.
    Every other catalog language ``xx``: the dictionary's ``definition_xx`` or
    ``label_xx``, else the feature's reason group named in that language (the catalog has
    a short text for every group in every language), so a consumer never reads a raw
    column name: ``「目前有逾期未付的账单」相关指标`` in Chinese.
    """
    labels = {
        "en": _label(str(info.get("definition") or info.get("label_en") or name.replace("_", " ")))
    }
    for lang in catalog.languages:
        if lang == "en":
            continue
        own = info.get(f"definition_{lang}") or info.get(f"label_{lang}")
        if own:
            labels[lang] = str(own)
            continue
        group = catalog.text(code, lang)
        labels[lang] = f"「{group}」相关指标" if lang.startswith("zh") else group
    return labels


def _guess_unit(name: str) -> str:
    if any(k in name for k in ("share", "rate", "ratio", "_pct")):
        return "share"
    if "days" in name or "age" in name or "dpd" in name:
        return "days"
    if any(k in name for k in ("gmv", "amount", "basket", "spend")):
        return "CNY"
    return "count"


def _value(Xp: pl.DataFrame, row: int, name: str) -> float:
    v = Xp.get_column(name)[row]
    return float("nan") if v is None else float(v)


def _rank_distance(sorted_ref: NDArray[np.float64], a: float, b: float) -> float:
    if not np.isfinite(a):
        return 0.0
    n = sorted_ref.size
    ra = np.searchsorted(sorted_ref, a, side="left") / n
    rb = np.searchsorted(sorted_ref, b, side="left") / n
    # plain distance as tie-break inside one rank step
    return float(abs(rb - ra)) + 1e-12 * abs(b - a)


def _dictionary(value: Any) -> dict[str, dict[str, Any]]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return {str(k): dict(v) for k, v in value.items()}
    from thinfile_credit._frames import to_polars

    df, _ = to_polars(value, table="dictionary")
    if "name" not in df.columns:
        from thinfile_credit.errors import DataError

        raise DataError("the data dictionary needs a 'name' column", table="dictionary")
    return {str(r["name"]): r for r in df.iter_rows(named=True)}
