"""One feature's fitted binning as plain data: bins, counts, WoE, and how values map to bins.

Sign convention
---------------
``WoE = ln(%bad / %good)`` where ``%bad`` is the bin's share of all bads and ``%good``
its share of all goods. A bin riskier than average has a **positive** WoE, and the WoE is
the bin's log-odds of bad minus the sample's, so in a logistic regression of ``bad`` on
WoE features every coefficient must be **positive** (about 1 for a feature used alone).
This is the opposite sign of the textbook ``ln(%good/%bad)`` (and of optbinning's table);
it is chosen because the library's log-odds are log-odds of *bad* throughout.

Bin layout
----------
Every feature has, in this order: its regular bins (numeric intervals or groups of
categories), one **Special** bin per declared special code, one **Missing** bin and one
**Unknown** bin (categories never seen at fit; numeric features never use it).

Fallbacks, never a silent 0
---------------------------
* A bin with data but no bads or no goods gets a Laplace-smoothed WoE,
  ``ln(((bad + 0.5) / (B + 0.5)) / ((good + 0.5) / (G + 0.5)))`` (flag ``"smoothed"``).
* A bin with no data at fit (no missing values in training, a special code never seen,
  every Unknown bin) gets the WoE of the feature's **riskiest** bin that had data (flag
  ``"riskiest"``), or exactly 0 if the user chose ``empty_bin_woe="neutral"`` (flag
  ``"neutral"``). Lenders prefer the conservative default: an applicant is never
  rewarded for a value the model has not seen.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.binning._fields import (
    FALLBACK_FLAGS,
    JSON_INFINITY,
    bin_counts,
    category_groups,
    category_list,
    code_to_json,
    fallback_flags,
    finite_reals,
    list_items,
    special_code_values,
)
from thinfile_credit.binning._text import factorize_texts, numeric_values
from thinfile_credit.errors import DataError, SpecError

__all__ = ["FALLBACK_FLAGS", "FeatureBinning", "bin_counts", "compute_woe", "special_code_values"]

Kind = Literal["numeric", "categorical"]
#: Added to both counts of a bin with no bads or no goods.
SMOOTHING = 0.5


@dataclass(frozen=True)
class FeatureBinning:
    """A fitted binning of one feature.

    Parameters
    ----------
    name : str
        Feature name.
    kind : {"numeric", "categorical"}
        Numeric bins are ``(-inf, s0), [s0, s1), ..., [s_last, inf)``; values below the
        first or above the last split land in the end bins.
    splits : tuple of float
        Sorted split points (numeric features).
    groups : tuple of tuple of str
        Categories of each regular bin (categorical features).
    rare_categories : tuple of str
        Categories rarer than ``cat_cutoff`` at fit; they share the bin of ``RARE``
        (without them, ``RARE`` is no token: see :attr:`RARE`).
    special_codes : tuple
        Values with their own Special bin, in bin order: floats for a numeric feature,
        texts under the categorical text rule (``-1``, ``-1.0`` -> ``"-1"``) otherwise.
    n_nonevent, n_event : tuple of int
        Goods and bads per bin, in bin layout order.
    woe : tuple of float
        WoE per bin (``ln(%bad / %good)``, see module notes).
    fallback : tuple of str
        Per bin: ``""`` (fitted), ``"smoothed"``, ``"riskiest"`` or ``"neutral"``.

    Examples
    --------
    >>> import numpy as np
    >>> fb = FeatureBinning.from_counts(
    ...     "age", "numeric", splits=(30.0,), n_nonevent=[40, 50, 5, 0, 0],
    ...     n_event=[10, 5, 5, 0, 0], special_codes=(-1.0,))
    >>> fb.n_bins, fb.missing_bin, fb.fallback[fb.missing_bin]
    (5, 3, 'riskiest')
    >>> fb.bin_index(np.array([18.0, 30.0, -1.0, np.nan])).tolist()
    [0, 1, 2, 3]
    """

    name: str
    kind: Kind
    splits: tuple[float, ...] = ()
    groups: tuple[tuple[str, ...], ...] = ()
    rare_categories: tuple[str, ...] = ()
    special_codes: tuple[Any, ...] = ()
    n_nonevent: tuple[int, ...] = ()
    n_event: tuple[int, ...] = ()
    woe: tuple[float, ...] = ()
    fallback: tuple[str, ...] = ()
    _lookup: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    #: Token standing for all ``rare_categories`` inside ``groups``. It is a token only
    #: when there are rare categories (a fit with ``cat_cutoff`` refuses a real category
    #: of that text); in a binning without them, fitted before the text was reserved, it
    #: is an ordinary category, scored as it always was.
    RARE = "__rare__"

    def __post_init__(self) -> None:
        # every field is checked and normalised here, whoever builds the binning (a fit,
        # from_counts, from_dict of a stored or hand-edited artefact): nothing is coerced
        if not isinstance(self.name, str):
            raise SpecError(f"feature name must be text, got {self.name!r}")
        name = self.name
        if self.kind not in ("numeric", "categorical"):
            raise SpecError(f"unknown feature kind {self.kind!r}", column=name)
        normalised = {
            "splits": tuple(finite_reals(self.splits, "splits", name)),
            "groups": category_groups(self.groups, name),
            "rare_categories": tuple(category_list(self.rare_categories, "rare_categories", name)),
            "special_codes": tuple(list_items(self.special_codes, "special_codes", name)),
            "n_nonevent": tuple(bin_counts(self.n_nonevent, "n_nonevent", name)),
            "n_event": tuple(bin_counts(self.n_event, "n_event", name)),
            "woe": tuple(finite_reals(self.woe, "woe", name)),
            "fallback": tuple(fallback_flags(self.fallback, name)),
        }
        for attr, value in normalised.items():
            object.__setattr__(self, attr, value)
        n = self.n_bins
        for attr in ("n_nonevent", "n_event", "woe", "fallback"):
            if len(getattr(self, attr)) != n:
                raise SpecError(f"{attr} must have {n} entries", column=self.name)
        if any(b <= a for a, b in zip(self.splits, self.splits[1:])):
            raise SpecError("splits must be strictly increasing", column=self.name)
        object.__setattr__(
            self, "special_codes", special_code_values(self.kind, self.special_codes, self.name)
        )
        lookup: dict[str, int] = {}
        for b, group in enumerate(self.groups):
            for category in group:
                lookup[category] = b
        if self.rare_categories and self.RARE in lookup:
            # The token stands for the rare categories and is no category itself: an
            # applicant whose category reads "__rare__" is unseen (Unknown), as in SQL.
            rare_bin = lookup.pop(self.RARE)
            for category in self.rare_categories:
                lookup.setdefault(category, rare_bin)
        object.__setattr__(self, "_lookup", lookup)

    # --- construction ---------------------------------------------------------------
    @classmethod
    def from_counts(
        cls,
        name: str,
        kind: Kind,
        *,
        n_nonevent: Sequence[int],
        n_event: Sequence[int],
        splits: Sequence[float] = (),
        groups: Sequence[Sequence[str]] = (),
        rare_categories: Sequence[str] = (),
        special_codes: Sequence[Any] = (),
        empty_bin_woe: Literal["riskiest", "neutral"] = "riskiest",
    ) -> FeatureBinning:
        """Build a binning from per-bin counts, computing WoE with the documented fallbacks.

        Categories are read by the categorical text rule (``11``, ``11.0`` -> ``"11"``).

        Raises
        ------
        SpecError
            Counts that are not non-negative integers (``5.9``, ``-5``, ``True``), a field
            that is not a list, non-finite splits, missing values as categories; names the
            feature, the field and the bins at fault.
        """
        goods = bin_counts(n_nonevent, "n_nonevent", name)
        bads = bin_counts(n_event, "n_event", name)
        if len(goods) != len(bads):
            raise SpecError(
                f"n_nonevent has {len(goods)} entries but n_event {len(bads)}", column=name
            )
        woe, fallback = compute_woe(goods, bads, empty_bin_woe)
        return cls(
            name=name,
            kind=kind,
            splits=splits,  # type: ignore[arg-type]  # lists welcome; checked on construction
            groups=groups,  # type: ignore[arg-type]
            rare_categories=rare_categories,  # type: ignore[arg-type]
            special_codes=special_codes,  # type: ignore[arg-type]
            n_nonevent=tuple(goods),
            n_event=tuple(bads),
            woe=tuple(woe),
            fallback=tuple(fallback),
        )

    # --- layout -----------------------------------------------------------------------
    @property
    def n_regular(self) -> int:
        """Number of regular bins (intervals or category groups)."""
        return len(self.splits) + 1 if self.kind == "numeric" else max(len(self.groups), 1)

    @property
    def n_bins(self) -> int:
        """Total bins: regular + one per special code + Missing + Unknown."""
        return self.n_regular + len(self.special_codes) + 2

    @property
    def missing_bin(self) -> int:
        """Index of the Missing bin."""
        return self.n_regular + len(self.special_codes)

    @property
    def unknown_bin(self) -> int:
        """Index of the Unknown bin (unseen categories)."""
        return self.missing_bin + 1

    @property
    def iv(self) -> float:
        """Information value of the feature (sum of :meth:`bin_iv`)."""
        return float(self.bin_iv().sum())

    def bin_iv(self) -> NDArray[np.float64]:
        """Per-bin IV ``(%bad - %good) * WoE``; 0 for bins without data."""
        bad = np.asarray(self.n_event, dtype=np.float64)
        good = np.asarray(self.n_nonevent, dtype=np.float64)
        total_bad, total_good = bad.sum(), good.sum()
        if total_bad == 0 or total_good == 0:
            return np.zeros(self.n_bins)
        return (bad / total_bad - good / total_good) * np.asarray(self.woe)

    def bin_labels(self) -> list[str]:
        """Printable condition of every bin, in layout order."""
        labels: list[str] = []
        if self.kind == "numeric":
            edges = [-math.inf, *self.splits, math.inf]
            for lo, hi in itertools.pairwise(edges):
                labels.append(
                    f"[{_fmt(lo)}, {_fmt(hi)})" if lo != -math.inf else f"(-inf, {_fmt(hi)})"
                )
        else:
            for group in self.groups or ((),):
                shown = [
                    ("<rare>" if c == self.RARE and self.rare_categories else c) for c in group
                ]
                labels.append("{" + ", ".join(shown) + "}")
        labels += [f"special {code!r}" for code in self.special_codes]
        labels += ["missing", "unknown"]
        return labels

    # --- applying ---------------------------------------------------------------------
    def bin_index(self, values: NDArray[Any]) -> NDArray[np.intp]:
        """Bin of every value (vectorised).

        Numeric: NaN -> Missing, special codes -> their Special bin, ``+/-inf`` that is not
        a special code -> :class:`DataError`; out-of-range values fall in the end bins.
        Categorical: every value goes through the one text rule of
        :func:`~thinfile_credit.binning._text.category_text` (``3``, ``3.0``, ``np.int64(3)``
        -> ``"3"``, ``True`` -> ``"1"``); ``None``/NaN/``pd.NA`` -> Missing, unseen
        categories -> Unknown.

        Raises
        ------
        DataError
            Infinite numeric values that are not declared special codes, or text (even
            ``"12"``) in a numeric feature; the message names the table ``X``, the column
            and the rows.
        """
        if self.kind == "numeric":
            return self._numeric_index(values)
        return self._categorical_index(values)

    def transform(self, values: NDArray[Any]) -> NDArray[np.float64]:
        """WoE of every value."""
        return np.asarray(self.woe, dtype=np.float64)[self.bin_index(values)]

    def category_bin(self, category: str) -> int:
        """Regular bin of a known category, else the Unknown bin."""
        return self._lookup.get(category, self.unknown_bin)

    @property
    def rare_bin(self) -> int | None:
        """Regular bin of the pooled rare categories (None without them)."""
        if not self.rare_categories:
            return None
        return next((b for b, g in enumerate(self.groups) if self.RARE in g), None)

    def bin_categories(self) -> list[list[str]]:
        """The categories that score in each regular bin, sorted; rare ones spelled out.

        Exactly the categories :meth:`bin_index` maps to that bin (the SQL export lists
        them), so the token :attr:`RARE` of pooled rare categories is never among them.

        Examples
        --------
        >>> fb = FeatureBinning.from_counts(
        ...     "device", "categorical", groups=[["ios"], ["android", FeatureBinning.RARE]],
        ...     rare_categories=["zune", "palm"], n_nonevent=[9, 8, 0, 0], n_event=[1, 2, 0, 0])
        >>> fb.bin_categories()
        [['ios'], ['android', 'palm', 'zune']]
        """
        members: list[list[str]] = [[] for _ in range(self.n_regular)]
        for category, b in self._lookup.items():
            members[b].append(category)
        return [sorted(m) for m in members]

    # --- reporting and serialisation ----------------------------------------------
    def table(self) -> Any:
        """Binning table (pandas DataFrame): counts, event rate, WoE, IV per bin.

        The Unknown bin is listed for categorical features only.
        """
        import pandas as pd

        good = np.asarray(self.n_nonevent, dtype=np.float64)
        bad = np.asarray(self.n_event, dtype=np.float64)
        count = good + bad
        total = count.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = np.where(count > 0, bad / np.where(count > 0, count, 1), np.nan)
        frame = pd.DataFrame(
            {
                "feature": self.name,
                "bin": np.arange(self.n_bins),
                "condition": self.bin_labels(),
                "count": count.astype(np.int64),
                "count_share": count / total if total else np.zeros(self.n_bins),
                "n_good": good.astype(np.int64),
                "n_bad": bad.astype(np.int64),
                "bad_rate": rate,
                "woe": np.asarray(self.woe),
                "iv": self.bin_iv(),
                "fallback": list(self.fallback),
            }
        )
        if self.kind == "numeric":
            frame = frame.iloc[: self.unknown_bin].reset_index(drop=True)
        return frame

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe data; :meth:`from_dict` rebuilds an equal object."""
        return {
            "name": self.name,
            "kind": self.kind,
            "splits": [float(s) for s in self.splits],
            "groups": [list(g) for g in self.groups],
            "rare_categories": list(self.rare_categories),
            "special_codes": [code_to_json(c) for c in self.special_codes],
            "n_nonevent": list(self.n_nonevent),
            "n_event": list(self.n_event),
            "woe": [float(w) for w in self.woe],
            "fallback": list(self.fallback),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeatureBinning:
        """Rebuild from :meth:`to_dict` output.

        The dict is read as written, with no version of its own: a categorical binning
        written before the category text rule (scorecard artefacts of version 1) is
        migrated by the scorecard loader,
        :func:`thinfile_credit.scorecard._json.migrate_v1_binning`, before it gets here.
        Nothing is coerced: numbers must be JSON numbers (the only text read is the
        ``"inf"``/``"-inf"`` :meth:`to_dict` writes for an infinite numeric special code),
        and category texts follow the categorical text rule (``11.0`` -> ``"11"``).

        Raises
        ------
        SpecError
            ``"malformed feature binning"``: a missing key, a field that is not a list,
            non-finite WoE or splits, counts that are not non-negative integers (``5.9``,
            ``-5``, ``True``), text where a number belongs, an unknown fallback flag or
            kind, missing values as categories, a category in two bins; names the feature
            (``column``), the field and the bins at fault (``rows``).

        Examples
        --------
        >>> fb = FeatureBinning.from_counts("dpd", "numeric", splits=(1.0,),
        ...                                 n_nonevent=[9, 4, 0, 0], n_event=[1, 2, 0, 0])
        >>> FeatureBinning.from_dict(fb.to_dict()) == fb
        True
        >>> FeatureBinning.from_dict({**fb.to_dict(), "n_event": [1.5, 2, 0, 0]})
        Traceback (most recent call last):
        ...
        thinfile_credit.errors.SpecError: dpd: malformed feature binning: n_event must be \
non-negative integers, got 1.5 (rows: 0)
        """
        if not isinstance(data, Mapping):
            raise SpecError(
                f"malformed feature binning: expected a dict, got {type(data).__name__}"
            )
        name = data.get("name")
        column = name if isinstance(name, str) else None
        try:
            kind = data["kind"]
            codes = data["special_codes"]
            if kind == "numeric" and isinstance(codes, (list, tuple)):
                codes = [JSON_INFINITY.get(c, c) if isinstance(c, str) else c for c in codes]
            return cls(
                name=data["name"],
                kind=kind,
                splits=data["splits"],
                groups=data["groups"],
                rare_categories=data["rare_categories"],
                special_codes=codes,
                n_nonevent=data["n_nonevent"],
                n_event=data["n_event"],
                woe=data["woe"],
                fallback=data["fallback"],
            )
        except KeyError as exc:
            raise SpecError(f"malformed feature binning: no {exc} field", column=column) from None
        except SpecError as exc:
            raise SpecError(
                f"malformed feature binning: {exc.message}", column=column, rows=exc.rows
            ) from None

    # --- helpers ------------------------------------------------------------------
    def _numeric_index(self, values: NDArray[Any]) -> NDArray[np.intp]:
        values = numeric_values(values, self.name)
        idx = np.searchsorted(np.asarray(self.splits, dtype=np.float64), values, side="right")
        finite = np.isfinite(values)
        if finite.all() and not self.special_codes:
            return idx
        idx[np.isnan(values)] = self.missing_bin
        for offset, code in enumerate(self.special_codes):
            idx[values == code] = self.n_regular + offset
        bad = np.isinf(values) & ~np.isin(values, np.asarray(self.special_codes, dtype=np.float64))
        if bad.any():
            raise DataError(
                "infinite values (declare them as special codes to bin them)",
                table="X",
                column=self.name,
                rows=np.flatnonzero(bad).tolist(),
            )
        return idx

    def _categorical_index(self, values: NDArray[Any]) -> NDArray[np.intp]:
        codes, texts = factorize_texts(values)
        special = {code: self.n_regular + i for i, code in enumerate(self.special_codes)}
        unique_bins = np.fromiter(
            (
                self.missing_bin
                if text is None
                else special.get(text, self._lookup.get(text, self.unknown_bin))
                for text in texts  # its trailing None serves the missing code -1
            ),
            dtype=np.intp,
            count=len(texts),
        )
        out: NDArray[np.intp] = unique_bins[codes]
        return out


def compute_woe(
    n_nonevent: Sequence[int], n_event: Sequence[int], empty_bin_woe: str = "riskiest"
) -> tuple[list[float], list[str]]:
    """WoE per bin, ``ln(%bad / %good)``, with the documented fallbacks.

    Parameters
    ----------
    n_nonevent, n_event : sequence of int
        Goods and bads per bin.
    empty_bin_woe : {"riskiest", "neutral"}
        WoE for bins without data: the riskiest fitted bin's, or 0.

    Returns
    -------
    (woe, fallback)
        Per-bin WoE and fallback flag (``""``, ``"smoothed"``, ``"riskiest"``, ``"neutral"``).

    Raises
    ------
    SpecError
        Counts that are not non-negative integers, lists of different lengths, an unknown
        ``empty_bin_woe``.

    Examples
    --------
    >>> woe, flags = compute_woe([90, 10, 0], [10, 10, 0])
    >>> [round(w, 4) for w in woe], flags
    ([-0.5878, 1.6094, 1.6094], ['', '', 'riskiest'])
    """
    if empty_bin_woe not in ("riskiest", "neutral"):
        raise SpecError(f"empty_bin_woe must be 'riskiest' or 'neutral', got {empty_bin_woe!r}")
    good_counts = bin_counts(n_nonevent, "n_nonevent")
    bad_counts = bin_counts(n_event, "n_event")
    if len(good_counts) != len(bad_counts):
        raise SpecError(f"n_nonevent has {len(good_counts)} entries but n_event {len(bad_counts)}")
    good = np.asarray(good_counts, dtype=np.float64)
    bad = np.asarray(bad_counts, dtype=np.float64)
    total_good, total_bad = good.sum(), bad.sum()
    woe: list[float] = []
    flags: list[str] = []
    for g, b in zip(good.tolist(), bad.tolist()):
        if g + b == 0:
            woe.append(math.nan)
            flags.append(empty_bin_woe)
        elif g > 0 and b > 0:
            woe.append(math.log((b / total_bad) / (g / total_good)))
            flags.append("")
        else:
            # Laplace smoothing keeps a pure bin finite while preserving its direction.
            woe.append(
                math.log(
                    ((b + SMOOTHING) / (total_bad + SMOOTHING))
                    / ((g + SMOOTHING) / (total_good + SMOOTHING))
                )
            )
            flags.append("smoothed")
    fitted = [w for w, f in zip(woe, flags) if f in ("", "smoothed")]
    fill = (max(fitted) if fitted else 0.0) if empty_bin_woe == "riskiest" else 0.0
    woe = [fill if f in ("riskiest", "neutral") else w for w, f in zip(woe, flags)]
    return woe, flags


def _fmt(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else ("inf" if value > 0 else "-inf")
