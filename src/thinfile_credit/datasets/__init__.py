"""Bundled sample data and loaders for public credit datasets kept in a local folder."""

from thinfile_credit.datasets.public import (
    PUBLIC_DATASETS,
    PublicDataset,
    load_public,
    stratified_split,
)

__all__ = ["PUBLIC_DATASETS", "PublicDataset", "load_public", "stratified_split"]
