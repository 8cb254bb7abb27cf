"""Loaders for public credit datasets the user has downloaded to a local folder.

These files are not shipped with the library (their licences differ; only German Credit,
CC BY 4.0, is bundled - see :func:`thinfile_credit.datasets.load_german_credit`). Each
loader returns the features and a 0/1 target where **1 = bad**, with the dataset's own
special codes left in place so binning can treat them as Special values.

Examples
--------
>>> from pathlib import Path
>>> from thinfile_credit.datasets import public
>>> sorted(public.PUBLIC_DATASETS)
['german_credit', 'give_me_some_credit', 'heloc', 'taiwan_default']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from thinfile_credit.errors import DataError, SpecError

__all__ = ["PUBLIC_DATASETS", "PublicDataset", "load_public", "stratified_split"]


@dataclass(frozen=True)
class PublicDataset:
    """Where a public dataset's file lives in its folder and how its target is coded.

    ``bad_value`` and ``good_value`` are the target's two codes as the dataset's README
    documents them; any other value (or a missing one) is an error, never a good.
    """

    name: str
    file: str
    target: str
    bad_value: object
    drop: tuple[str, ...] = ()
    special_codes: tuple[float, ...] = ()
    categorical: bool = False
    good_value: object = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        if self.good_value is None or self.good_value == self.bad_value:
            raise SpecError(
                f"PublicDataset {self.name!r} needs a good_value different from its "
                f"bad_value {self.bad_value!r}"
            )


#: Supported datasets, keyed by their folder name.
PUBLIC_DATASETS: dict[str, PublicDataset] = {
    "give_me_some_credit": PublicDataset(
        "give_me_some_credit",
        "cs-training.csv",
        "SeriousDlqin2yrs",
        1,
        drop=("Unnamed: 0",),
        good_value=0,
    ),
    "heloc": PublicDataset(
        "heloc",
        "heloc_dataset_v1.csv",
        "RiskPerformance",
        "Bad",
        special_codes=(-9.0, -8.0, -7.0),
        good_value="Good",
    ),
    "taiwan_default": PublicDataset(
        "taiwan_default",
        "default_of_credit_card_clients.csv",
        "default_payment_next_month",
        1,
        drop=("ID",),
        good_value=0,
    ),
    "german_credit": PublicDataset(
        "german_credit", "german_credit.csv", "credit_risk", 2, categorical=True, good_value=1
    ),
}


def load_public(name: str, folder: str | Path) -> tuple[pd.DataFrame, pd.Series]:
    """Load a public credit dataset from ``folder``.

    Parameters
    ----------
    name : {"give_me_some_credit", "heloc", "taiwan_default", "german_credit"}
        Which dataset.
    folder : path
        The folder holding the dataset's file (e.g. ``../shared/data/heloc``).

    Returns
    -------
    X : pandas.DataFrame
        Features; numeric columns as float, categorical ones as strings.
    y : pandas.Series
        Target, ``1`` = bad, named ``"bad"``.

    Raises
    ------
    DataError
        Unknown dataset name, the file or target column is missing, or a target value is
        missing or neither the dataset's bad nor its good code (the rows are named as
        0-based positions among the file's data rows).

    Examples
    --------
    >>> load_public("nope", ".")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.DataError: unknown public dataset 'nope'; known: ...
    """
    spec = PUBLIC_DATASETS.get(name)
    if spec is None:
        raise DataError(
            f"unknown public dataset {name!r}; known: {', '.join(sorted(PUBLIC_DATASETS))}"
        )
    path = Path(folder) / spec.file
    if not path.is_file():
        raise DataError(f"file not found: {path}", table=name)
    frame = pd.read_csv(path)
    if spec.target not in frame.columns:
        raise DataError("target column missing", table=name, column=spec.target)
    y = _target(frame[spec.target], spec)
    X = frame.drop(columns=[spec.target, *[c for c in spec.drop if c in frame.columns]])
    for col in X.columns:
        if pd.api.types.is_numeric_dtype(X[col]):
            X[col] = X[col].astype("float64")
        else:
            X[col] = X[col].astype("str")
    return X.reset_index(drop=True), y.reset_index(drop=True)


def _target(values: pd.Series, spec: PublicDataset) -> pd.Series:
    """The 0/1 target (1 = bad), refusing a missing or unrecognised code."""
    bad = (values == spec.bad_value).to_numpy(dtype=bool)
    good = (values == spec.good_value).to_numpy(dtype=bool)
    missing = values.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing).tolist()
        message = f"missing target in {len(rows)} row{'s' if len(rows) != 1 else ''}"
        raise DataError(message, table=spec.name, column=spec.target, rows=rows)
    unknown = ~(bad | good)
    if unknown.any():
        rows = np.flatnonzero(unknown).tolist()
        seen = ", ".join(repr(v) for v in pd.unique(values[unknown])[:5])
        raise DataError(
            f"target value(s) {seen} in {len(rows)} row{'s' if len(rows) != 1 else ''} are "
            f"neither bad ({spec.bad_value!r}) nor good ({spec.good_value!r})",
            table=spec.name,
            column=spec.target,
            rows=rows,
        )
    return pd.Series(bad.astype("int64"), index=values.index, name="bad")


def stratified_split(
    X: pd.DataFrame, y: pd.Series, test_size: float = 0.3, random_state: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """The library's fixed benchmark split: stratified 70/30 with seed 42.

    Every model comparison on public data in the docs uses this split, so figures for
    the scorecard and the gradient-boosted scorers are on the same rows.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": range(10)}); y = pd.Series([0, 1] * 5)
    >>> Xtr, Xte, ytr, yte = stratified_split(X, y)
    >>> len(Xtr), len(Xte)
    (7, 3)
    """
    from sklearn.model_selection import train_test_split

    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    return (
        Xtr.reset_index(drop=True),
        Xte.reset_index(drop=True),
        ytr.reset_index(drop=True),
        yte.reset_index(drop=True),
    )
