"""Saving and loading experiment files (``.json``) and model files (``.npz``) safely.

Writes are atomic: the data goes to a temporary file in the same folder, is flushed to disk,
and then replaces the target in one rename, so a crash mid-save never destroys the previous
file.  Loading never runs code; a corrupt, truncated or foreign file raises
:class:`FileFormatError` with a message that names the file and says what is wrong.

A model file is a NumPy ``.npz`` archive of plain arrays, read with ``allow_pickle=False``:

=======================  ==================================================================
key                      content
=======================  ==================================================================
``nnstudio_format``      the marker ``"nnstudio-model"``
``format_version``       :data:`MODEL_FORMAT_VERSION` (int)
``config``               the experiment config as JSON text
``info``                 facts about the run (data set, metrics) as JSON text
``task``                 ``"classification"`` or ``"regression"``
``n_inputs/n_outputs``   network input and output sizes
``param/<name>``         each parameter, e.g. ``param/layer1.W`` (n_in, units)
``buffer/<layer>.*``     batch-norm running ``mean`` and ``var`` (units,)
``scaler_mean/scale``    the training split's feature statistics (n_features,)
``target_mean/scale``    regression target statistics (scalars; 0 and 1 for classifiers)
``class_labels``         the original labels as text, with ``class_label_type``
                         (``str``, ``int``, ``float`` or ``bool``) to restore their type
``feature_names``        column names (n_features,), and ``target_name``
=======================  ==================================================================
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .config import ConfigError, ExperimentConfig, parse_json
from .errors import UserError, unreadable
from .json_input import parse_int, shown
from .npz_members import member_problem

if TYPE_CHECKING:
    from .model import TrainedModel

EXPERIMENT_SUFFIX = ".json"
MODEL_SUFFIX = ".npz"
MODEL_FORMAT = "nnstudio-model"
MODEL_FORMAT_VERSION = 1


class FileFormatError(UserError, ValueError):
    """A file cannot be read as what it claims to be, or cannot be written; the message names
    the file."""


def _temp_file_beside(path: Path) -> tuple[int, str]:
    """A new temporary file in ``path``'s folder, as ``(fd, name)``; :class:`FileFormatError`
    with the reason when ``path`` names a folder or its folder is missing, read-only or foreign."""
    if path.is_dir():
        raise FileFormatError(f"{path}: is a folder; choose a file name")
    if not path.parent.exists():
        raise FileFormatError(f"{path}: the folder {path.parent} does not exist")
    try:
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # a read-only or foreign folder: nothing was written
        raise FileFormatError(f"{path}: cannot be written in {path.parent} ({exc.strerror or exc}); "
                              "choose a folder you can write to") from None


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temporary file + fsync + rename)."""
    path = Path(path)
    fd, tmp = _temp_file_beside(path)
    try:
        # mkstemp creates the file owner-only; give it the mode a plain open() would have.
        os.fchmod(fd, _default_file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):  # a full disk, say: the previous file is intact
            raise FileFormatError(f"{path}: cannot be written ({exc.strerror or exc}); "
                                  "the previous file, if any, is unchanged") from None
        raise


def check_can_write(path: str | os.PathLike) -> None:
    """Raise :class:`FileFormatError` now, with the message a write would give, if a file at
    ``path`` could not be written (a missing, read-only or foreign folder); for checking an
    output path before a long run rather than after it.  Leaves nothing behind."""
    fd, tmp = _temp_file_beside(Path(path))
    os.close(fd)
    os.unlink(tmp)


def _read_umask() -> int:
    umask = os.umask(0)  # the only way to read it; done once, at import, before any threads write
    os.umask(umask)
    return umask


_UMASK = _read_umask()


def _default_file_mode() -> int:
    return 0o666 & ~_UMASK


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _read_bytes(path: Path, kind: str, limit: int = -1) -> bytes:
    """The file's first ``limit`` bytes (all with -1); FileFormatError names what went wrong."""
    try:
        with open(path, "rb") as fh:
            return fh.read(limit)
    except OSError as exc:
        raise FileFormatError(unreadable(path, exc, f", not {kind}")) from None


def save_experiment(path: str | os.PathLike, config: ExperimentConfig) -> None:
    """Write ``config`` as JSON (with its ``schema_version``), atomically."""
    atomic_write_text(path, config.to_json() + "\n")


def load_experiment(path: str | os.PathLike) -> ExperimentConfig:
    """Read an experiment file, migrating older schema versions.

    Raises :class:`FileFormatError` for a missing, unreadable, non-JSON or foreign file and
    for invalid field values (the message names the file and the field).
    """
    path = Path(path)
    raw = _read_bytes(path, "an experiment file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FileFormatError(f"{path}: is not a text file; an experiment file is JSON") from None
    if not text.strip():
        raise FileFormatError(f"{path}: the file is empty")
    try:
        data = json.loads(text, parse_int=parse_int)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{path}: is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                              "the file may be truncated or not an experiment file") from None
    except (ValueError, RecursionError):
        try:
            data = parse_json(text)  # names where the JSON goes wrong
        except ConfigError as exc:
            raise FileFormatError(f"{path}: {exc}") from None
    if not isinstance(data, dict) or not ({"schema_version", "layers"} & set(data)):
        raise FileFormatError(f"{path}: is JSON but not an nnstudio experiment (no schema_version or layers)")
    try:
        return ExperimentConfig.from_dict(data)
    except ConfigError as exc:
        raise FileFormatError(f"{path}: {exc}") from None
    except (TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise FileFormatError(f"{path}: unexpected content ({shown(str(exc), 80)})") from None


# -- model files -------------------------------------------------------------------------

_LABEL_TYPES = {"bool": lambda s: s == "True", "int": int, "float": float, "str": str}


def _label_type(labels: tuple) -> str:
    """How to turn the stored text of ``labels`` back into values of their type."""
    def every(types, but=()):
        return bool(labels) and all(isinstance(v, types) and not isinstance(v, but) for v in labels)

    if every((bool, np.bool_)):
        return "bool"
    if every((int, np.integer), but=(bool, np.bool_)):
        return "int"
    if every((float, np.floating)):
        return "float"
    return "str"


def _label_text(value) -> str:
    return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)


def model_arrays(model: "TrainedModel") -> dict[str, np.ndarray]:
    """The arrays of a model file, by key (see the module docstring)."""
    net = model.network
    labels = tuple(model.class_labels)
    arrays: dict[str, np.ndarray] = {
        "nnstudio_format": np.array(MODEL_FORMAT),
        "format_version": np.array(MODEL_FORMAT_VERSION),
        "config": np.array(model.stored_config.to_json()),
        "info": np.array(json.dumps(model.info, default=str)),
        "task": np.array(model.task),
        "n_inputs": np.array(net.n_inputs),
        "n_outputs": np.array(net.n_outputs),
        "scaler_mean": np.asarray(model.scaler.mean, dtype=np.float64),
        "scaler_scale": np.asarray(model.scaler.scale, dtype=np.float64),
        "target_mean": np.array(float(model.target_mean)),
        "target_scale": np.array(float(model.target_scale)),
        "class_labels": np.array([_label_text(v) for v in labels], dtype=str),
        "class_label_type": np.array(_label_type(labels)),
        "feature_names": np.array(list(model.feature_names), dtype=str),
        "target_name": np.array(model.target_name),
    }
    for name, value in zip(net.param_names, net.params):
        arrays[f"param/{name}"] = value
    for name, value in zip(_buffer_names(net), net.get_buffers()):
        arrays[f"buffer/{name}"] = value
    return arrays


def _buffer_names(net) -> list[str]:
    return [f"{layer.name}.{stat}" for layer in net.layers if layer.batch_norm for stat in ("mean", "var")]


def save_model(path: str | os.PathLike, model) -> None:
    """Write a :class:`~nnstudio.model.TrainedModel` (or a finished ``Trainer``) to ``path``, atomically."""
    from .model import TrainedModel

    if not isinstance(model, TrainedModel):
        model = TrainedModel.from_network(model.config, model.network, model.split)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **model_arrays(model))
    atomic_write_bytes(path, buffer.getvalue())


def load_model(path: str | os.PathLike) -> "TrainedModel":
    """Read a model file written by :func:`save_model`; it predicts exactly as before saving.

    Never unpickles anything.  Raises :class:`FileFormatError` for a missing, foreign,
    truncated or damaged file and for a model written by a newer nnstudio.
    """
    path = Path(path)
    with _open_npz(path) as archive:
        arrays = _ModelArrays(path, archive)
        return arrays.build()


def _open_npz(path: Path):
    head = _read_bytes(path, "a model file", limit=4)  # the zip signature only, not the whole file
    if not head:
        raise FileFormatError(f"{path}: the file is empty")
    if head != b"PK\x03\x04":
        what = "a single NumPy array" if head == b"\x93NUM" else "not a NumPy .npz archive"
        raise FileFormatError(f"{path}: is not an nnstudio model file ({what})")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:
        raise FileFormatError(f"{path}: is truncated or damaged ({_reason(exc)}); save the model again") from None
    return archive


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class _ModelArrays:
    """Typed, checked access to the arrays of an open model archive."""

    def __init__(self, path: Path, archive):
        self.path, self.archive = path, archive
        if "nnstudio_format" not in archive.files or self.text("nnstudio_format") != MODEL_FORMAT:
            raise FileFormatError(f"{path}: is a NumPy archive but not an nnstudio model file "
                                  "(no nnstudio_format marker)")
        version = self.integer("format_version")
        if version > MODEL_FORMAT_VERSION:
            raise FileFormatError(f"{path}: model format version {version} was written by a newer nnstudio; "
                                  "upgrade to open it")
        if version < 1:
            raise FileFormatError(f"{path}: is damaged (format version {version})")

    def get(self, key: str) -> np.ndarray:
        try:
            problem = member_problem(self.archive.zip, key)  # before NumPy allocates what it declares
            value = None if problem else self.archive[key]
        except KeyError:
            raise FileFormatError(f"{self.path}: is damaged: the entry {key!r} is missing") from None
        except ValueError as exc:
            if "allow_pickle" in str(exc):
                raise FileFormatError(f"{self.path}: the entry {key!r} holds pickled Python objects, which "
                                      "nnstudio never loads (they could run code); this is not an nnstudio "
                                      "model file") from None
            raise FileFormatError(f"{self.path}: is damaged: the entry {key!r} cannot be read "
                                  f"({_reason(exc)})") from None
        except (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as exc:
            raise FileFormatError(f"{self.path}: is truncated or damaged ({_reason(exc)}); "
                                  "save the model again") from None
        if problem or not isinstance(value, np.ndarray):
            raise FileFormatError(f"{self.path}: is damaged: the entry {key!r} {problem or 'is not a NumPy array'}")
        return value

    def text(self, key: str) -> str:
        value = self.get(key)
        if value.shape != () or value.dtype.kind != "U":
            raise FileFormatError(f"{self.path}: is damaged: the entry {key!r} is not text")
        return str(value)

    def texts(self, key: str) -> list[str]:
        value = self.get(key)
        if value.ndim != 1 or (value.size and value.dtype.kind != "U"):
            raise FileFormatError(f"{self.path}: is damaged: the entry {key!r} is not a list of text")
        return [str(v) for v in value]

    def integer(self, key: str) -> int:
        value = self.get(key)
        if value.shape != () or value.dtype.kind not in "iu":
            raise FileFormatError(f"{self.path}: is damaged: the entry {key!r} is not an integer")
        return int(value)

    def number(self, key: str) -> float:
        value = self.get(key)
        if value.shape != () or value.dtype.kind != "f":
            raise FileFormatError(f"{self.path}: is damaged: the entry {key!r} is not a number")
        return float(value)

    def vector(self, key: str, size: int) -> np.ndarray:
        value = self.get(key)
        if value.shape != (size,) or value.dtype.kind != "f":
            raise FileFormatError(f"{self.path}: is damaged: {key!r} should hold {size} numbers, "
                                  f"not an array of shape {value.shape}")
        return value.astype(np.float64)

    def build(self) -> "TrainedModel":
        from .data.split import Standardizer
        from .engine.network import Network
        from .model import TrainedModel

        try:
            config = ExperimentConfig.from_json(self.text("config"))
        except ConfigError as exc:
            raise FileFormatError(f"{self.path}: its config is not valid ({exc})") from None
        n_in, n_out = self.integer("n_inputs"), self.integer("n_outputs")
        if n_in < 1 or n_out < 1:
            raise FileFormatError(f"{self.path}: is damaged (network size {n_in} -> {n_out})")
        try:
            net = Network.from_config(config, n_in, n_out)
        except (ValueError, KeyError) as exc:
            raise FileFormatError(f"{self.path}: its network cannot be rebuilt ({_reason(exc)})") from None
        self._fill(net)
        label_type = self.text("class_label_type")
        if label_type not in _LABEL_TYPES:
            raise FileFormatError(f"{self.path}: is damaged: unknown class label type {label_type!r}")
        try:
            labels = tuple(_LABEL_TYPES[label_type](s) for s in self.texts("class_labels"))
        except ValueError:
            raise FileFormatError(f"{self.path}: is damaged: class labels do not match their type") from None
        try:
            info = json.loads(self.text("info"))
        except json.JSONDecodeError:
            raise FileFormatError(f"{self.path}: is damaged: its info is not JSON") from None
        scaler = Standardizer(self.vector("scaler_mean", n_in), self.vector("scaler_scale", n_in))
        names = tuple(self.texts("feature_names"))
        task = self._task(n_out, labels)
        return TrainedModel(config, net, scaler, task, labels, names, self.text("target_name"),
                            self.number("target_mean"), self.number("target_scale"),
                            info if isinstance(info, dict) else {})

    def _task(self, n_out: int, labels: tuple) -> str:
        from .model import task_problem

        task = self.text("task")
        problem = task_problem(task, n_out, len(labels))
        if problem:
            raise FileFormatError(f"{self.path}: is damaged: {problem}")
        return task

    def _fill(self, net) -> None:
        for name, dst in zip(net.param_names, net.params):
            self._copy(f"param/{name}", dst)
        for layer in net.layers:
            if layer.batch_norm:
                self._copy(f"buffer/{layer.name}.mean", layer.running_mean)
                self._copy(f"buffer/{layer.name}.var", layer.running_var)

    def _copy(self, key: str, dst: np.ndarray) -> None:
        value = self.get(key)
        if value.shape != dst.shape:
            raise FileFormatError(f"{self.path}: is damaged: {key!r} has shape {value.shape}, "
                                  f"expected {dst.shape}")
        if value.dtype.kind != "f":
            raise FileFormatError(f"{self.path}: is damaged: {key!r} holds {value.dtype} values, "
                                  "expected floating-point numbers")
        dst[...] = value
