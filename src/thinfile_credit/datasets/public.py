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

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from thinfile_credit._numbers import is_real
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
        Unknown dataset name; the file is missing, empty, unreadable as CSV (data rows
        longer than the header included) or has no data rows; the target column is
        missing; or a target value is missing or neither
        the dataset's bad nor its good code (the rows are named as 0-based positions
        among the file's data rows). Codes compare type-strictly: a ``True``/``False``
        column is not the codes ``1``/``0``, nor the text ``"1"`` the number ``1``.

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
    try:
        frame = pd.read_csv(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read {path} as CSV: {exc}", table=name) from exc
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas turns the first fields into an index when rows are longer than the
        # header, shifting every column's values under the wrong name.
        raise DataError(
            f"cannot read {path} as CSV: its data rows have {frame.index.nlevels} more "
            f"field(s) than its header names",
            table=name,
        )
    if len(frame) == 0:
        raise DataError(f"{path} has a header but no data rows", table=name)
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
    bad = _is_code(values, spec.bad_value)
    good = _is_code(values, spec.good_value)
    missing = values.isna().to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing).tolist()
        message = f"missing target in {len(rows)} row{'s' if len(rows) != 1 else ''}"
        raise DataError(message, table=spec.name, column=spec.target, rows=rows)
    unknown = ~(bad | good)
    if unknown.any():
        rows = np.flatnonzero(unknown).tolist()
        seen = ", ".join(repr(v) for v in pd.unique(values[unknown]).tolist()[:5])
        raise DataError(
            f"target value(s) {seen} in {len(rows)} row{'s' if len(rows) != 1 else ''} are "
            f"neither bad ({spec.bad_value!r}) nor good ({spec.good_value!r})",
            table=spec.name,
            column=spec.target,
            rows=rows,
        )
    return pd.Series(bad.astype("int64"), index=values.index, name="bad")


def _is_code(values: pd.Series, code: object) -> NDArray[np.bool_]:
    """Where ``values`` equal ``code`` *and* are of its kind (bool, number or text).

    Plain ``==`` would take ``True`` for the code ``1`` and ``1.0`` for ``True``.
    """
    if values.dtype == object:
        return np.array([_same_kind(v, code) and v == code for v in values], dtype=bool)
    if pd.api.types.is_bool_dtype(values.dtype) != isinstance(code, bool | np.bool_):
        return np.zeros(len(values), dtype=bool)
    return (values == code).fillna(False).to_numpy(dtype=bool)


def _same_kind(value: object, code: object) -> bool:
    def kind(v: object) -> str:
        if isinstance(v, bool | np.bool_):
            return "bool"
        return "number" if isinstance(v, int | float | np.number) else type(v).__name__

    return kind(value) == kind(code)


def stratified_split(
    X: Any, y: Any, test_size: float = 0.3, random_state: int = 42
) -> tuple[Any, Any, Any, Any]:
    """The library's fixed benchmark split: stratified 70/30 with seed 42.

    Every model comparison on public data in the docs uses this split, so figures for
    the scorecard and the gradient-boosted scorers are on the same rows.

    Parameters
    ----------
    X : pandas.DataFrame or array-like
        Features, one row per applicant.
    y : pandas.Series or array-like
        The 0/1 target (1 = bad) of the same applicants. When both ``X`` and ``y`` are
        pandas objects their indexes must be equal (same labels, same order): rows are
        paired by position, so a ``y`` in another order would label the wrong
        applicants. Array-likes must have as many rows as ``X``.
    test_size : float, default 0.3
        Share of rows in the test part, strictly between 0 and 1.
    random_state : int, default 42
        Seed, an integer in ``[0, 2**32)``.

    Returns
    -------
    X_train, X_test, y_train, y_test
        The two parts of ``X`` and ``y``; pandas inputs come back with a fresh
        ``RangeIndex``.

    Raises
    ------
    DataError
        ``X`` and ``y`` are not aligned (pandas indexes differ, or lengths differ);
        ``y`` is not one-dimensional, or has a missing value or a value other than 0/1
        or a boolean (text such as ``"1"`` included; the rows are named by their index
        labels, positions for array-likes); either class has fewer than 2 members; or
        ``test_size`` leaves fewer than 2 rows (one per class) in the train or the test
        part.
    SpecError
        ``test_size`` is not a real number in (0, 1), or ``random_state`` is not an
        integer in ``[0, 2**32)`` (booleans included).

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"a": range(10)}); y = pd.Series([0, 1] * 5)
    >>> Xtr, Xte, ytr, yte = stratified_split(X, y)
    >>> len(Xtr), len(Xte)
    (7, 3)
    >>> stratified_split(X, y.sort_values())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    thinfile_credit.errors.DataError: y: X and y are not aligned: their indexes differ ...
    """
    from sklearn.model_selection import train_test_split

    share = _split_share(test_size)
    _check_seed(random_state)
    _check_split_inputs(X, y, share)
    # The caller's objects and arguments, unchanged: valid input splits exactly as before.
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    return (
        _fresh_index(Xtr),
        _fresh_index(Xte),
        _fresh_index(ytr),
        _fresh_index(yte),
    )


def _split_share(test_size: object) -> float:
    if not is_real(test_size) or not 0.0 < float(test_size) < 1.0:  # type: ignore[arg-type]
        raise SpecError(f"test_size must be a real number in (0, 1), got {test_size!r}")
    return float(test_size)  # type: ignore[arg-type]


def _check_seed(random_state: object) -> None:
    """None, an integer in [0, 2**32) or a ``RandomState``: what ``train_test_split``
    takes (a bool is no seed)."""
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return
    if (
        isinstance(random_state, bool | np.bool_)
        or not isinstance(random_state, int | np.integer)
        or not 0 <= random_state < 2**32
    ):
        raise SpecError(
            "random_state must be None, an integer in [0, 2**32) or a numpy RandomState, "
            f"got {random_state!r}"
        )


def _check_split_inputs(X: Any, y: Any, share: float) -> None:
    """Refuse what ``train_test_split`` would mispair, reject untyped, or label wrongly."""
    n_x = _n_rows(X, "X")
    n_y = _n_rows(y, "y")
    if isinstance(X, pd.DataFrame | pd.Series) and isinstance(y, pd.Series | pd.DataFrame):
        if not X.index.equals(y.index):
            raise DataError(
                "X and y are not aligned: their indexes differ (rows are paired by "
                "position); reindex y to X's index first, e.g. y.loc[X.index]",
                table="y",
            )
    elif n_x != n_y:
        raise DataError(f"X has {n_x} rows but y has {n_y}", table="y")
    labels = y.iloc[:, 0] if isinstance(y, pd.DataFrame) and y.shape[1] == 1 else y
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise DataError(f"y must be one-dimensional, got shape {arr.shape}", table="y")
    names = labels.index if isinstance(labels, pd.Series) else pd.RangeIndex(len(arr))
    missing = np.asarray(pd.isna(arr), dtype=bool)
    if missing.any():
        rows = names[missing].tolist()
        raise DataError(f"missing label in {len(rows)} row(s)", table="y", rows=rows)
    if arr.dtype.kind in "biuf":
        wrong = ~((arr == 0) | (arr == 1))
    else:  # text, mixed objects: each value must be a number 0 or 1 or a boolean
        wrong = np.array([not _is_zero_one(v) for v in arr], dtype=bool)
    if wrong.any():
        rows = names[wrong].tolist()
        seen = ", ".join(repr(v) for v in pd.unique(arr[wrong]).tolist()[:5])
        raise DataError(f"labels must be 0 or 1 (1 = bad), got {seen}", table="y", rows=rows)
    n_bad = int(np.count_nonzero(arr == 1))
    counts = {0: len(arr) - n_bad, 1: n_bad}
    few = {k: c for k, c in counts.items() if c < 2}
    if few:
        raise DataError(
            "a stratified split needs at least 2 rows of each class; got "
            + ", ".join(f"{c} of class {k}" for k, c in few.items()),
            table="y",
        )
    n_test = math.ceil(share * len(arr))  # train_test_split's rounding
    n_train = len(arr) - n_test
    if n_test < 2 or n_train < 2:
        raise DataError(
            f"test_size={share} splits {len(arr)} rows into {n_train} train and {n_test} "
            "test rows; each part needs at least one row of each class",
            table="y",
        )


def _n_rows(values: Any, name: str) -> int:
    shape = getattr(values, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(values)
    except TypeError:
        raise DataError(f"{name} must be a frame or array, got {type(values).__name__}") from None


def _is_zero_one(value: object) -> bool:
    return isinstance(value, int | float | np.number | np.bool_) and bool(value in (0, 1))


def _fresh_index(part: Any) -> Any:
    return part.reset_index(drop=True) if isinstance(part, pd.DataFrame | pd.Series) else part
