"""The bundled German Credit (Statlog) sample: 789 applicants, 20 attributes, 1 = bad.

The data is **Statlog (German Credit Data)** by Prof. Dr. Hans Hofmann, Universität
Hamburg, from the UCI Machine Learning Repository (https://doi.org/10.24432/C5NC77),
licensed under CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). It is bundled
with attribution in ``datasets/data/ATTRIBUTION.md``; the only changes are the CSV
format, descriptive column names, and that about 20% of the original 1,000 rows are held
out for independent evaluation and not shipped (789 rows remain).

Examples
--------
>>> from thinfile_credit.datasets import load_german_credit
>>> X, y = load_german_credit()
>>> X.shape, int(y.sum())
((789, 20), 240)
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any, Literal

import polars as pl

from thinfile_credit.errors import DataError

__all__ = [
    "GERMAN_CREDIT_CATEGORICAL",
    "GERMAN_CREDIT_NUMERIC",
    "german_credit_codebook",
    "load_german_credit",
]

#: Numeric attributes (returned as float64).
GERMAN_CREDIT_NUMERIC: tuple[str, ...] = (
    "duration_months",
    "credit_amount",
    "installment_rate_pct_income",
    "present_residence_since",
    "age_years",
    "n_existing_credits_this_bank",
    "n_people_liable",
)

#: Categorical attributes (UCI codes ``A11``... or, decoded, their meaning).
GERMAN_CREDIT_CATEGORICAL: tuple[str, ...] = (
    "status_checking",
    "credit_history",
    "purpose",
    "savings",
    "present_employment_since",
    "personal_status_sex",
    "other_debtors",
    "property",
    "other_installment_plans",
    "housing",
    "job",
    "telephone",
    "foreign_worker",
)

_TARGET = "credit_risk"
_BAD = 2
_FILES = {
    "german_credit.csv": "c06b2c35115b2cece37d2f77fb053b690c87be490828c33fd0d03e51411d46e8",
    "german_credit_codebook.json": (
        "73a48f120cdb8019fb9f0ad84078ef1ba109f1100bbcc6cbcf925d60e6adcd4e"
    ),
}
# The codebook's own keys, where they differ from the CSV's column names.
_CODEBOOK_KEY = {
    "status_checking": "status",
    "present_employment_since": "present_employment",
    "personal_status_sex": "status_sex",
    "other_installment_plans": "installment_plans",
}


def load_german_credit(
    *, as_frame: Literal["pandas", "polars"] = "pandas", decode: bool = True
) -> tuple[Any, Any]:
    """Load the bundled German Credit sample (789 of the 1,000 UCI applicants).

    Data: Statlog (German Credit Data), Prof. Dr. Hans Hofmann, Universität Hamburg,
    UCI Machine Learning Repository, https://doi.org/10.24432/C5NC77, CC BY 4.0.
    About 20% of the original rows are held out for independent evaluation and are
    not bundled.

    Parameters
    ----------
    as_frame : {"pandas", "polars"}, default "pandas"
        The frame library of the result.
    decode : bool, default True
        Replace the UCI codes of the 13 categorical attributes (``A11``, ``A30``...)
        with their meaning from the codebook (``"... < 0 DM"``, ``"no checking
        account"``...); ``telephone`` and ``foreign_worker`` become ``"yes"``/``"no"``.
        ``False`` keeps the codes, exactly as
        :func:`~thinfile_credit.datasets.load_public` reads the original file.

    Returns
    -------
    X : pandas.DataFrame or polars.DataFrame
        20 attributes: the 7 in :data:`GERMAN_CREDIT_NUMERIC` as float64, the 13 in
        :data:`GERMAN_CREDIT_CATEGORICAL` as strings, in the file's column order.
    y : pandas.Series or polars.Series
        ``bad``: 1 for a bad credit risk (``credit_risk == 2``), else 0; int64.

    Raises
    ------
    DataError
        ``as_frame`` is not "pandas" or "polars", or a bundled file is damaged.

    See Also
    --------
    german_credit_codebook : The code-to-meaning map used by ``decode``.

    Notes
    -----
    The UCI documentation gives a cost matrix: accepting a bad applicant costs 5,
    rejecting a good one costs 1. The bad rate of the bundled rows is 30.4%
    (30.0% in the full 1,000).

    Examples
    --------
    >>> X, y = load_german_credit(as_frame="polars", decode=False)
    >>> X["status_checking"].head(2).to_list(), y.head(2).to_list()
    (['A12', 'A14'], [1, 0])
    >>> X, y = load_german_credit()
    >>> X.loc[0, "status_checking"], X.loc[0, "telephone"]
    ('0 <= ... < 200 DM', 'no')
    """
    if as_frame not in ("pandas", "polars"):
        raise DataError(f"as_frame must be 'pandas' or 'polars', got {as_frame!r}")
    raw = _read_bundled()
    y = (pl.col(_TARGET) == _BAD).cast(pl.Int64).alias("bad")
    categorical = [pl.col(c).cast(pl.String) for c in GERMAN_CREDIT_CATEGORICAL]
    if decode:
        codebook = german_credit_codebook()
        categorical = [
            pl.col(c).cast(pl.String).replace_strict(codebook[c], return_dtype=pl.String)
            for c in GERMAN_CREDIT_CATEGORICAL
        ]
    features = raw.drop(_TARGET).with_columns(
        *categorical, *(pl.col(c).cast(pl.Float64) for c in GERMAN_CREDIT_NUMERIC)
    )
    target = raw.select(y).to_series()
    if as_frame == "polars":
        return features, target
    X = features.to_pandas()
    for col in GERMAN_CREDIT_CATEGORICAL:
        X[col] = X[col].astype("str")
    return X, target.to_pandas()


def german_credit_codebook() -> dict[str, dict[str, str]]:
    """The meaning of every UCI code, by column name of the bundled file.

    Labels are the codebook's with surrounding spaces removed; the two yes/no
    attributes (``telephone``: a registered telephone; ``foreign_worker``) map to
    ``"yes"`` / ``"no"``.

    Returns
    -------
    dict
        ``{column: {code: meaning}}`` for the 13 categorical attributes; a fresh copy.

    Examples
    --------
    >>> book = german_credit_codebook()
    >>> book["purpose"]["A43"], book["telephone"]["A192"]
    ('radio/television', 'yes')
    """
    return {col: dict(codes) for col, codes in _codebook().items()}


# --------------------------------------------------------------------------- helpers


@cache
def _codebook() -> dict[str, dict[str, str]]:
    raw = json.loads(_bundled_bytes("german_credit_codebook.json"))
    out: dict[str, dict[str, str]] = {}
    for col in GERMAN_CREDIT_CATEGORICAL:
        codes = raw[_CODEBOOK_KEY.get(col, col)]
        out[col] = {
            code: ("yes" if label else "no") if isinstance(label, bool) else str(label).strip()
            for code, label in codes.items()
        }
    return out


def _read_bundled() -> pl.DataFrame:
    return pl.read_csv(_bundled_bytes("german_credit.csv"))


def _bundled_bytes(name: str) -> bytes:
    data = (resources.files("thinfile_credit.datasets") / "data" / name).read_bytes()
    # A damaged install must fail loudly rather than yield a silently different sample.
    if hashlib.sha256(data).hexdigest() != _FILES[name]:
        raise DataError(f"bundled file {name} does not match its SHA-256; reinstall the package")
    return data
