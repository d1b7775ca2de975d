"""Saving and loading experiment files (``.json``) safely.

Writes are atomic: the data goes to a temporary file in the same folder, is flushed to disk,
and then replaces the target in one rename, so a crash mid-save never destroys the previous
file.  Loading never runs code; a corrupt, truncated or foreign file raises
:class:`FileFormatError` with a message that names the file and says what is wrong.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .config import ConfigError, ExperimentConfig

EXPERIMENT_SUFFIX = ".json"


class FileFormatError(ValueError):
    """A file cannot be read as what it claims to be; the message names the file."""


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temporary file + fsync + rename)."""
    path = Path(path)
    if path.is_dir():
        raise FileFormatError(f"{path}: is a folder; choose a file name")
    if not path.parent.exists():
        raise FileFormatError(f"{path}: the folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def save_experiment(path: str | os.PathLike, config: ExperimentConfig) -> None:
    """Write ``config`` as JSON (with its ``schema_version``), atomically."""
    atomic_write_text(path, config.to_json() + "\n")


def load_experiment(path: str | os.PathLike) -> ExperimentConfig:
    """Read an experiment file, migrating older schema versions.

    Raises :class:`FileFormatError` for a missing, unreadable, non-JSON or foreign file and
    for invalid field values (the message names the file and the field).
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FileFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise FileFormatError(f"{path}: is a folder, not an experiment file") from None
    except OSError as exc:
        raise FileFormatError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FileFormatError(f"{path}: is not a text file; an experiment file is JSON") from None
    if not text.strip():
        raise FileFormatError(f"{path}: is empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{path}: is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                              "the file may be truncated or not an experiment file") from None
    if not isinstance(data, dict) or not ({"schema_version", "layers"} & set(data)):
        raise FileFormatError(f"{path}: is JSON but not an nnstudio experiment (no schema_version or layers)")
    try:
        return ExperimentConfig.from_dict(data)
    except ConfigError as exc:
        raise FileFormatError(f"{path}: {exc}") from None
    except TypeError as exc:
        raise FileFormatError(f"{path}: unexpected content ({exc})") from None
