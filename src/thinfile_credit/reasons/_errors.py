"""Errors the reason coder raises when a model and a catalog do not fit together.

Examples
--------
>>> err = ReasonMappingError("no group", unmapped=["x"], ambiguous={})
>>> err.unmapped, str(err)
(('x',), 'model.feature_names_in_: no group')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from thinfile_credit.errors import ModelError

__all__ = ["ProtectedFeatureError", "ReasonMappingError"]


class ReasonMappingError(ModelError):
    """The catalog does not map every model feature to exactly one reason group.

    Attributes
    ----------
    unmapped : tuple of str
        Features no group claims.
    ambiguous : dict of str -> tuple of str
        Features claimed by several groups, with the claiming codes.
    """

    def __init__(
        self, message: str, *, unmapped: Sequence[str], ambiguous: Mapping[str, Sequence[str]]
    ) -> None:
        self.unmapped = tuple(unmapped)
        self.ambiguous = {k: tuple(v) for k, v in ambiguous.items()}
        super().__init__(message, table="model", column="feature_names_in_")


class ProtectedFeatureError(ModelError):
    """The model uses protected attributes and the coder was not told it is a fairness analysis."""
