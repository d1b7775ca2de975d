"""Damaged model files: every one is a one-line FileFormatError, and nothing huge is allocated."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

from nnstudio.config import ExperimentConfig, LayerConfig
from nnstudio.data import load_split
from nnstudio.engine import Trainer
from nnstudio.files import FileFormatError, load_model, model_arrays, save_model
from nnstudio.model import TrainedModel


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    cfg = ExperimentConfig(layers=(LayerConfig(8, "relu", batch_norm=True),), epochs=1).replace(
        data={"name": "iris"})
    split = load_split(cfg.data)
    trainer = Trainer(cfg, split, histograms=False)
    for _ in trainer.run():
        pass
    return TrainedModel.from_network(cfg, trainer.network, split)


def write_arrays(path, arrays) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


def test_a_valid_model_loads(model, tmp_path):
    save_model(tmp_path / "m.npz", model)
    assert load_model(tmp_path / "m.npz").class_labels == model.class_labels


def test_every_flipped_flag_bit_is_a_message_or_harmless(model, tmp_path):
    save_model(tmp_path / "m.npz", model)
    good = (tmp_path / "m.npz").read_bytes()
    expected = model.predict_output(np.zeros((1, 4)))
    offsets = []  # general-purpose flags and compression method of every local and central header
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = good.find(signature)
        for _ in range(4):  # the marker, the format version and two more members
            offsets += [start + flag_at, start + flag_at + 1, start + flag_at + 2]
            start = good.find(signature, start + 1)
    assert len(offsets) == 24
    for offset in offsets:
        for bit in range(8):
            data = bytearray(good)
            data[offset] ^= 1 << bit
            (tmp_path / "bad.npz").write_bytes(bytes(data))
            try:
                loaded = load_model(tmp_path / "bad.npz")
            except FileFormatError as exc:
                assert "\n" not in str(exc) and "bad.npz" in str(exc)
            else:
                np.testing.assert_array_equal(loaded.predict_output(np.zeros((1, 4))), expected)


def test_short_class_labels_are_refused(model, tmp_path):
    arrays = model_arrays(model)
    arrays["class_labels"] = arrays["class_labels"][:2]
    write_arrays(tmp_path / "m.npz", arrays)
    with pytest.raises(FileFormatError, match=r"is damaged: 2 class labels for a network with 3 outputs"):
        load_model(tmp_path / "m.npz")


def test_an_unknown_task_is_refused(model, tmp_path):
    arrays = model_arrays(model)
    arrays["task"] = np.array("banana")
    write_arrays(tmp_path / "m.npz", arrays)
    with pytest.raises(FileFormatError, match=r"is damaged: unknown task 'banana'"):
        load_model(tmp_path / "m.npz")


def test_a_member_that_is_not_npy_is_refused(model, tmp_path):
    arrays = model_arrays(model)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for key, value in arrays.items():
            if key == "param/layer1.W":
                zf.writestr(key, b"not an array")  # no .npy suffix, no header
            else:
                out = io.BytesIO()
                np.save(out, value)
                zf.writestr(key + ".npy", out.getvalue())
    (tmp_path / "m.npz").write_bytes(buffer.getvalue())
    with pytest.raises(FileFormatError, match=r"the entry 'param/layer1.W' is not a NumPy array"):
        load_model(tmp_path / "m.npz")


def test_integer_weights_say_what_is_wrong(model, tmp_path):
    arrays = model_arrays(model)
    arrays["param/layer1.W"] = arrays["param/layer1.W"].astype(np.int64)
    write_arrays(tmp_path / "m.npz", arrays)
    with pytest.raises(FileFormatError, match=r"'param/layer1.W' holds int64 values, expected floating-point"):
        load_model(tmp_path / "m.npz")


def _huge_header(shape) -> bytes:
    header = repr({"descr": "<f8", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\0" * 64


DECLARED = {"array": r"m.npz: is damaged: the entry 'param/layer1.W' declares an array of shape "
                     r"\(1000000, 1000000\) \(7.3 TiB\) but holds",
            "member": r"m.npz: is damaged: the entry 'param/layer1.W' declares 4.0 GiB uncompressed in"}


@pytest.mark.parametrize("declared", ["array", "member"])
def test_huge_declared_shapes_are_refused_before_allocating(model, tmp_path, declared):
    arrays = model_arrays(model)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            out = io.BytesIO()
            np.save(out, value)
            data = _huge_header((1_000_000, 1_000_000)) if key == "param/layer1.W" else out.getvalue()
            zf.writestr(key + ".npy", data)
    raw = buffer.getvalue()
    if declared == "member":  # the zip entry itself claims 7 TiB of content
        raw = _claim_size(raw, b"param/layer1.W.npy", 7 << 40)
    (tmp_path / "m.npz").write_bytes(raw)
    assert len(raw) < 20_000
    tracemalloc.start()
    try:
        with pytest.raises(FileFormatError, match=DECLARED[declared]) as info:
            load_model(tmp_path / "m.npz")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000 and "\n" not in str(info.value)


def _claim_size(raw: bytes, name: bytes, size: int) -> bytes:
    """Set the uncompressed size of member ``name`` in its central directory entry (zip64 not needed
    below 4 GiB, so claim 0xFFFFFFFF-1 when asked for more)."""
    data = bytearray(raw)
    start = data.find(b"PK\x01\x02" + b"")
    while start >= 0:
        name_len = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46:start + 46 + name_len] == name:
            struct.pack_into("<I", data, start + 24, min(size, 0xFFFFFFFE))
            return bytes(data)
        start = data.find(b"PK\x01\x02", start + 1)
    raise AssertionError("member not found")
