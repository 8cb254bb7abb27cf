"""The explaining half of :class:`~thinfile_credit.reasons.coder.ReasonCoder`'s API: the
``_Explaining`` mixin.

``points_lost``, ``group_contributions``, ``explain``, ``explain_contributions`` and
``explain_one``, which ``ReasonCoder`` inherits, and what they need: the tidy frame of a
batch, improvement hints, one applicant's input (a mapping, a 1-D row, a scorer's own
single-applicant path) and the language of the texts. Parameters, ``fit`` and
``unstated_points`` are in :mod:`thinfile_credit.reasons.coder`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from thinfile_credit.errors import DataError, SpecError
from thinfile_credit.protocol import Contributions
from thinfile_credit.reasons._coder_losses import _GroupLosses
from thinfile_credit.reasons._inputs import (
    _build_like,
    _check_contributions,
    _ids,
    _output_kind,
)
from thinfile_credit.reasons._ranking import top_reasons
from thinfile_credit.reasons._tidy import GroupLoss, _group_sum, reasons_frame
from thinfile_credit.reasons.explanation import Explanation, Hint, Reason

__all__: list[str] = []

FloatArray = NDArray[np.float64]


class _Explaining(_GroupLosses):
    """Reasons, group points and hints for fitted coders (see ``ReasonCoder``)."""

    # --- explaining -------------------------------------------------------------------
    def points_lost(self, X: Any) -> FloatArray:
        """Points each reason group costs each applicant (the quantity reasons rank).

        Parameters
        ----------
        X : DataFrame or array
            Applicants, in the model's input form.

        Returns
        -------
        ndarray of shape (n, len(groups_))
            Positive where the group pushed towards decline; columns follow ``groups_``.
        """
        self._check_fitted()
        contrib = self.model_.contributions(X)
        return self._group_loss(contrib, X)

    def group_contributions(self, X: Any) -> FloatArray:
        """Points each reason group adds to each applicant's score (sums over its features).

        Protected features belong to no group, so with ``fairness_analysis=True`` the rows
        do not add up to the score; otherwise ``baseline + row sum == score``.

        Parameters
        ----------
        X : DataFrame or array
            Applicants, in the model's input form.

        Returns
        -------
        ndarray of shape (n, len(groups_))
            Columns follow ``groups_``.
        """
        self._check_fitted()
        contrib = self.model_.contributions(X)
        values = _check_contributions(contrib, table="X")
        self._check_names(contrib)
        return _group_sum(values, self._membership)

    def explain(self, X: Any, ids: Any = None, *, language: str | None = None) -> Any:
        """Reasons for a batch of applicants as a tidy frame.

        Parameters
        ----------
        X : DataFrame or array
            Applicants in the model's input form.
        ids : array-like, optional
            Application ids (row positions when omitted).
        language : str, optional
            Overrides the coder's ``language``.

        Returns
        -------
        DataFrame
            One row per (applicant, reason): ``application_id``, ``rank``, ``code``,
            ``text``, ``points_lost``, ``also_considered`` (and ``hint`` with
            ``hints=True``); of the kind of ``X`` (pandas for arrays). Applicants with no
            adverse group have no rows.
        """
        self._check_fitted()
        contrib = self.model_.contributions(X)
        kind = _output_kind(X)
        return self._frame(contrib, X, ids, language, kind)

    def explain_contributions(
        self,
        contributions: Contributions,
        ids: Any = None,
        *,
        X: Any = None,
        language: str | None = None,
        output: str = "pandas",
    ) -> Any:
        """Reasons from already computed contributions (no second scoring pass).

        Parameters
        ----------
        contributions : Contributions
            The model's contributions for the applicants.
        ids : array-like, optional
            Application ids.
        X : DataFrame or array, optional
            The applicants' features, in the same order as the contributions; needed
            with ``check_values`` (when the catalog routes or directions apply to a model
            feature), for hints, and for a model whose maxima are per row.
        language : str, optional
            Overrides the coder's ``language``.
        output : {"pandas", "polars", "pyarrow"}, default "pandas"
            Kind of frame returned.
        """
        self._check_fitted()
        if output not in ("pandas", "polars", "pyarrow"):
            raise SpecError(f"output must be 'pandas', 'polars' or 'pyarrow', got {output!r}")
        return self._frame(contributions, X, ids, language, output)

    def explain_one(
        self,
        row: Any,
        application_id: Any = None,
        *,
        language: str | None = None,
        hints: bool | None = None,
    ) -> Explanation:
        """Reasons for one applicant as a structured :class:`Explanation`.

        Parameters
        ----------
        row : mapping, one-row frame, 1-D array or Contributions
            The applicant's features (a ``{feature: value}`` mapping, a one-row frame or a
            1-D array in model order), or the model's one-row contributions.
        application_id : object, optional
            Carried into the result.
        language : str, optional
            Overrides the coder's ``language``.
        hints : bool, optional
            Overrides the coder's ``hints``.
        """
        self._check_fitted()
        lang = self._language(language)
        want_hints = self.hints if hints is None else bool(hints)
        if isinstance(row, Contributions):
            contrib, X = row, None
        else:
            X, fast = self._one_row_input(row)
            contrib = fast if fast is not None else self.model_.contributions(X)
        values = _check_contributions(contrib, table="applicant")
        if values.shape[0] != 1:
            raise DataError(f"explain_one needs exactly one applicant, got {values.shape[0]}")
        self._check_names(contrib)
        if X is None and self._routes is not None:
            raise DataError(
                "explain_one(contributions) cannot check the reasons against the "
                "applicant's values (check_values=True): use "
                "explain_contributions(contributions, X=features), or fit the coder "
                "with check_values=False",
                table="applicant",
            )
        lazy = self._loss(contrib, X)
        loss = lazy.full() if isinstance(lazy, GroupLoss) else lazy
        # the batch's own ranking, so one applicant gets exactly the reasons of a batch
        ranked = top_reasons(loss, self.max_reasons, self.also_considered, self.min_points)
        short, long = self._texts[lang]
        routed = self._through(lazy, np.zeros(1, dtype=np.intp)) if ranked.groups.size else None
        through = None if routed is None else routed[0]
        picked = [
            Reason(
                rank=int(slot) + 1,
                code=self.groups_[j],
                text=short[j],
                long_text=long[j],
                points_lost=float(lost),
                features=(
                    self._group_features[self.groups_[j]]
                    if through is None
                    else tuple(str(n) for n in self.feature_names_in_[through == j])
                ),
                also_considered=bool(slot >= self.max_reasons),
            )
            for slot, j, lost in zip(ranked.slots.tolist(), ranked.groups.tolist(), ranked.points)
        ]
        if want_hints and picked:
            if X is None:
                raise DataError("hints need the applicant's features, not only contributions")
            found = self._hints_for(X, [(0, r.code) for r in picked], lang, lazy)
            picked = [_with_hint(r, h) for r, h in zip(picked, found)]
        main = tuple(r for r in picked if not r.also_considered)
        extra_reason = next((r for r in picked if r.also_considered), None)
        return Explanation(
            application_id=application_id,
            score=float(contrib.total()[0]),
            language=lang,
            method=self.method,
            reasons=main,
            also_considered=extra_reason,
        )

    # --- internals --------------------------------------------------------------------
    def _frame(
        self, contrib: Contributions, X: Any, ids: Any, language: str | None, kind: str
    ) -> Any:
        lang = self._language(language)
        if X is not None:
            n_x, n_c = _n_rows(X), contrib.values.shape[0]
            if n_x != n_c:
                raise DataError(
                    f"X has {n_x} rows but the contributions {n_c}: they must describe the "
                    "same applicants, in the same order",
                    table="X",
                )
        loss = self._loss(contrib, X)
        picked = top_reasons(loss, self.max_reasons, self.also_considered, self.min_points)
        hint_texts: list[str | None] | None = None
        if self.hints:
            if X is None:
                raise DataError("hints need the applicants' features (pass X)")
            pairs = [(int(r), self.groups_[int(g)]) for r, g in zip(picked.rows, picked.groups)]
            found = self._hints_for(X, pairs, lang, loss)
            hint_texts = [None if h is None else h.text for h in found]
        cache: dict[str, Any] = self.__dict__.setdefault("_enum_cache", {})
        return reasons_frame(
            picked,
            _ids(ids, loss.shape[0]),
            self.groups_,
            self._texts[lang][0],
            self.max_reasons,
            kind,
            hint_texts=hint_texts,
            cache=cache.setdefault(lang, {}),
        )

    def _hints_for(
        self,
        X: Any,
        pairs: list[tuple[int, str]],
        lang: str,
        loss: FloatArray | GroupLoss,
    ) -> list[Hint | None]:
        from thinfile_credit.reasons.hints import HintFinder

        if self._hint_finder is None:
            self._hint_finder = HintFinder.from_coder(self)
        rows = np.array(sorted({r for r, _ in pairs}), dtype=np.intp)
        through = self._through(loss, rows)
        allowed: list[frozenset[str]] | None = None
        if through is not None:
            # a hint moves a feature whose points this reason states for this applicant
            # and that belongs to it (HintFinder searches a group's own features only):
            # never one routed to it (a missing value, or another group's far-side loss
            # under a beyond route: "shop less" or "borrow sooner" is no advice to give)
            # nor one left unstated
            at = {int(r): i for i, r in enumerate(rows)}
            index = {c: j for j, c in enumerate(self.groups_)}
            names = self.feature_names_in_
            allowed = [
                frozenset(str(n) for n in names[through[at[r]] == index[code]]) for r, code in pairs
            ]
        return self._hint_finder.find(X, pairs, lang, allowed=allowed)

    def _one_row_input(self, row: Any) -> tuple[Any, Contributions | None]:
        names = [str(n) for n in self.feature_names_in_]
        if isinstance(row, Mapping):
            missing = [n for n in names if n not in row]
            if missing:
                raise DataError(
                    "model features missing from the applicant",
                    table="applicant",
                    column=", ".join(missing),
                )
            fast = self._contributions_one(row, names)
            if fast is not None:
                return row, fast
            data = {n: [row.get(n)] for n in self._input_names}
            for n in names:
                data.setdefault(n, [row[n]])
            return _build_like(data, list(data), self._reference_kind), None
        if isinstance(row, np.ndarray) or (isinstance(row, Sequence) and not isinstance(row, str)):
            arr = np.asarray(row)
            width = {len(names), len(self._input_names)}
            if arr.ndim != 1 or arr.shape[0] not in width:
                raise DataError(
                    f"a 1-D applicant row needs {len(names)} values in model order, "
                    f"got shape {arr.shape}",
                    table="applicant",
                )
            cols = names if arr.shape[0] == len(names) else list(self._input_names)
            data = {n: [arr[i]] for i, n in enumerate(cols)}
            return _build_like(data, cols, self._reference_kind), None
        return row, None

    def _contributions_one(self, row: Mapping[str, Any], names: list[str]) -> Contributions | None:
        # A scorer's own single-applicant path (e.g. WoEScorecard.contributions_one) avoids
        # building a one-row frame, which alone costs more than the reasons.
        one = getattr(self.model_, "contributions_one", None)
        score_one = getattr(self.model_, "score_one", None)
        if not (callable(one) and callable(score_one)):
            return None
        points = one(row)
        values = np.array([[float(points[n]) for n in names]], dtype=np.float64)
        baseline = float(score_one(row)) - float(values.sum())
        return Contributions(values, np.array([baseline]), tuple(names))

    def _language(self, language: str | None) -> str:
        lang = self.language if language is None else language
        if lang not in self._texts:
            raise SpecError(
                f"language {lang!r} is not in the catalog (has {', '.join(self._texts)})"
            )
        return lang


# --- module helpers -----------------------------------------------------------------------


def _with_hint(reason: Reason, hint: Hint | None) -> Reason:
    if hint is None:
        return reason
    from dataclasses import replace

    return replace(reason, hint=hint)


def _n_rows(X: Any) -> int:
    """Rows of a frame or array (pandas, Polars, PyArrow, NumPy)."""
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)
