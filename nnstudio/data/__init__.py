"""Data sets and splits (no Qt)."""

from .datasets import CLASSIFICATION, DATASETS, REGRESSION, Dataset, DatasetSpec, ParamSpec, load_dataset
from .split import DataError, Split, Standardizer, load_split, split_dataset

__all__ = ["CLASSIFICATION", "DATASETS", "REGRESSION", "Dataset", "DatasetSpec", "ParamSpec", "load_dataset",
           "DataError", "Split", "Standardizer", "load_split", "split_dataset"]
