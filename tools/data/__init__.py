"""A realistic, reproducible benchmark dataset: generators, a fast `COPY` loader, import files.

Run from the project root with `tools` on the path (see `__main__` for the command line):

    PYTHONPATH=tools .venv/bin/python -m data load --out build/bench-data
    PYTHONPATH=tools .venv/bin/python -m data csv --rows 20000 --out build/import.csv
"""

from .dataset import Dataset, DatasetUser
from .imports import import_rows, write_import_csv, write_import_jsonl
from .load import DatasetLoadError, load_dataset

__all__ = (
    "Dataset",
    "DatasetLoadError",
    "DatasetUser",
    "import_rows",
    "load_dataset",
    "write_import_csv",
    "write_import_jsonl",
)
