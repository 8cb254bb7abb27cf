"""Points lost per reason group at explain time: the ``_GroupLosses`` mixin of
:class:`~thinfile_credit.reasons.coder.ReasonCoder`.

``_loss`` turns a model's contributions into the points each reason group costs each
applicant: a lazy :class:`~thinfile_credit.reasons._tidy.GroupLoss` when the losses are
linear (plain group sums, or sums routed by the applicants' values with ``check_values``),
the model's own ``points_below_max`` per row, or Owen values. ``_through`` says which group
each feature's points went to, ``_check_names`` refuses contributions of another model.
The explaining methods and :mod:`thinfile_credit.reasons.coverage` read these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from thinfile_credit.errors import DataError, ModelError
from thinfile_credit.protocol import Contributions
from thinfile_credit.reasons._coder_fitting import _FittedState
from thinfile_credit.reasons._inputs import _as_matrix, _check_contributions
from thinfile_credit.reasons._tidy import GroupLoss, Routes, _group_sum, _refuse_non_finite
from thinfile_credit.reasons._values import _value_source

__all__: list[str] = []

FloatArray = NDArray[np.float64]


class _GroupLosses(_FittedState):
    """Points lost per group, and where each feature's points went."""

    def _group_loss(self, contrib: Contributions, X: Any) -> FloatArray:
        loss = self._loss(contrib, X)
        return loss.full() if isinstance(loss, GroupLoss) else loss

    def _loss(self, contrib: Contributions, X: Any) -> FloatArray | GroupLoss:
        """Points lost per group: lazily (a :class:`GroupLoss`) when they are linear."""
        # Routed sums read the contributions a block of rows at a time and refuse
        # non-finite ones as they go: a large batch is read once, not twice.
        defer = self.attribution == "sum" and self._routes is not None and not self._pbm_per_row
        values, unchecked = _contribution_values(contrib, defer)
        self._check_names(contrib)
        if self.attribution == "owen":
            from thinfile_credit.reasons.owen import owen_points_lost

            if X is None:
                raise DataError("Owen attribution needs the applicants' features (pass X)")
            if isinstance(X, Mapping):
                X = pl.DataFrame({k: [v] for k, v in X.items()}, strict=False)
            return owen_points_lost(self, X, max_evals=self.owen_max_evals)
        if self._pbm_per_row:
            if X is None:
                raise DataError(
                    "this model's maxima vary by applicant; pass X to explain_contributions"
                )
            pbm = _as_matrix(
                self.model_.points_below_max(X), tuple(self.feature_names_in_), "points_below_max"
            )
            if self._routes is not None:
                # sign -1 against a zero baseline: each feature's loss is its pbm
                return self._routed(pbm, self._routes.feature_baseline, -1.0, X)
            return _group_sum(pbm, self._membership)
        if self._routes is not None:
            return self._routed(values, self._routes.feature_baseline, self._sign, X, unchecked)
        return GroupLoss(
            values,
            self._membership,
            self.group_baseline_points_,
            self._sign,
            None,
            self._layout,
            plans=self._sum_plans(),
        )

    def _routed(
        self,
        values: FloatArray,
        baseline: FloatArray,
        sign: float,
        X: Any,
        unchecked: str | None = None,
    ) -> GroupLoss:
        """:class:`GroupLoss` of ``values`` routed by the applicants' values ``X``
        (``unchecked``: the table named if ``values`` turn out not to be finite, see
        :attr:`GroupLoss.unchecked`)."""
        spec = self._routes
        assert spec is not None
        try:
            if X is None:
                raise DataError(
                    "reasons are checked against the applicants' values (check_values=True): "
                    "pass X, or fit the coder with check_values=False",
                    table="X",
                )
            # value_flags, read a block of rows at a time as the losses are (while the
            # block's contributions are in cache), missing cells only of routed features
            has_route = np.asarray(spec.fallback.any(axis=1), dtype=np.bool_)
            names = tuple(self.feature_names_in_)
            flags = _value_source(X, names, self._input_names, spec, has_route)
            if flags.n_rows != values.shape[0]:
                raise DataError(
                    f"X has {flags.n_rows} rows but the contributions {values.shape[0]}: "
                    "they must describe the same applicants, in the same order",
                    table="X",
                )
        except Exception:
            if unchecked is not None:
                _refuse_non_finite(values, unchecked)  # that error came first, as it did
            raise
        routes = Routes(
            feature_baseline=baseline,
            fallback=spec.fallback,
            flags=flags.fill,
            n_rows=flags.n_rows,
            beyond=spec.beyond,
        )
        return GroupLoss(
            values,
            self._membership,
            self.group_baseline_points_,
            sign,
            routes,
            self._layout,
            unchecked,
            self._sum_plans(),
        )

    def _sum_plans(self) -> dict[Any, Any]:
        """The group-sum plans every :class:`GroupLoss` of this fit shares (a refit
        starts afresh: they are kept with the layout they were made for)."""
        layout, plans = self.__dict__.get("_sum_plans_cache", (None, {}))
        if layout is not self._layout:
            plans = {}
            self.__dict__["_sum_plans_cache"] = (self._layout, plans)
        return plans

    def _through(
        self, loss: FloatArray | GroupLoss, rows: NDArray[np.intp]
    ) -> NDArray[np.intp] | None:
        """For applicants ``rows``: the group each feature's points went to (-1: unstated,
        or a protected feature); ``None`` when every feature speaks through its own
        group."""
        routes = loss.routes if isinstance(loss, GroupLoss) else None
        if routes is None or not isinstance(loss, GroupLoss):
            return None
        lost = routes.feature_baseline - loss.values[rows]
        if loss.sign < 0:
            lost = -lost
        own, fallback = self._own_group, self._fallback_group
        moved = routes.to_fallback[:, rows].T
        target = np.where(moved, fallback, own)
        target[routes.at_end[:, rows].T & (lost > 0) & ~moved] = -1
        if routes.beyond is not None:
            # a loss strictly past the end goes to the beyond group (never missing)
            far = routes.beyond_routed
            go = routes.past[:, rows].T & (lost[:, far] > 0)
            cells = target[:, far]
            np.copyto(cells, self._beyond_group[far][None, :], where=go)
            target[:, far] = cells
        return target

    def _check_names(self, contrib: Contributions) -> None:
        names = tuple(str(n) for n in contrib.feature_names)
        if names != tuple(self.feature_names_in_):
            raise ModelError(
                "contributions name different features than the model the coder was fitted "
                f"on (got {len(names)}, expected {self.n_features_in_})",
                table="contributions",
                column="feature_names",
            )


# --- module helpers -----------------------------------------------------------------------


def _contribution_values(contrib: Any, defer: bool) -> tuple[FloatArray, str | None]:
    """The contributions' values as float64, checked as ``_check_contributions`` checks
    them; with ``defer`` a large batch is checked for all but finiteness, which the
    routed loss blocks check as they read it (the table they name is returned)."""
    if defer and isinstance(contrib, Contributions):
        values = np.asarray(contrib.values, dtype=np.float64)
        if values.ndim == 2 and values.shape[0] >= _DEFER_ROWS:
            from dataclasses import replace

            _check_contributions(replace(contrib, values=values[:0]), table="X")
            return values, "X"
    return _check_contributions(contrib, table="X"), None


#: Batches from this many rows check their contributions while ranking them.
_DEFER_ROWS = 2048
