"""What a member of a NumPy ``.npz`` archive declares, checked before NumPy allocates anything.

A ``.npy`` header states the array's shape and type; NumPy allocates that much memory before
reading the data, so a 12 KB file may ask for terabytes.  :func:`member_problem` reads only the
header and compares the declared size with what the archive can hold: no more than the
member's stated uncompressed size, which itself cannot exceed what deflate can expand the
stored bytes to.
"""

from __future__ import annotations

import math
import zipfile

import numpy as np
from numpy.lib import format as npy_format

# deflate expands data at most ~1032-fold; the margin covers headers of tiny members
MAX_EXPANSION = 1100
SLACK_BYTES = 4096


def member_problem(archive: zipfile.ZipFile, key: str) -> str:
    """Why the entry ``key`` cannot be read safely, or '' when it can (or is missing: the reader says so).

    May raise what reading a damaged zip raises (``zipfile.BadZipFile``, ``zlib.error``,
    ``NotImplementedError`` for an unknown compression, ``RuntimeError`` for encryption, ``OSError``).
    """
    names = set(archive.namelist())
    if f"{key}.npy" not in names:
        return "is not a NumPy array" if key in names else ""
    info = archive.getinfo(f"{key}.npy")
    if info.file_size > MAX_EXPANSION * info.compress_size + SLACK_BYTES:
        return (f"declares {_size(info.file_size)} uncompressed in {_size(info.compress_size)}, more than "
                "compression can hold")
    with archive.open(info) as fh:
        try:
            version = npy_format.read_magic(fh)
            read = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
            shape, _, dtype = read(fh)
        except ValueError:
            return "is not a NumPy array (its header cannot be read)"
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    if nbytes > info.file_size:
        return (f"declares an array of shape {tuple(shape)} ({_size(nbytes)}) but holds {_size(info.file_size)}")
    return ""


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return ""
