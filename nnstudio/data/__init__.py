"""Data sets and splits (no Qt)."""

from .datasets import CLASSIFICATION, DATASETS, REGRESSION, Dataset, DatasetSpec, ParamSpec, load_dataset
from .split import DataError, Split, Standardizer, load_split, split_dataset
from .csv import CsvTable, csv_params, load_csv, read_csv  # registers the "csv" data set

__all__ = ["CLASSIFICATION", "DATASETS", "REGRESSION", "Dataset", "DatasetSpec", "ParamSpec", "load_dataset",
           "DataError", "Split", "Standardizer", "load_split", "split_dataset",
           "CsvTable", "csv_params", "load_csv", "read_csv"]
