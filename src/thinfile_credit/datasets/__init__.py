"""Bundled sample data and loaders for public credit datasets kept in a local folder.

Examples
--------
>>> from thinfile_credit.datasets import load_german_credit
>>> X, y = load_german_credit(as_frame="polars")
>>> X.height, y.name
(789, 'bad')
"""

from thinfile_credit.datasets.german import (
    GERMAN_CREDIT_CATEGORICAL,
    GERMAN_CREDIT_NUMERIC,
    german_credit_codebook,
    load_german_credit,
)
from thinfile_credit.datasets.public import (
    PUBLIC_DATASETS,
    PublicDataset,
    load_public,
    stratified_split,
)

__all__ = [
    "GERMAN_CREDIT_CATEGORICAL",
    "GERMAN_CREDIT_NUMERIC",
    "PUBLIC_DATASETS",
    "PublicDataset",
    "german_credit_codebook",
    "load_german_credit",
    "load_public",
    "stratified_split",
]
