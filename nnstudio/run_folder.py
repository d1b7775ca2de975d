"""A run folder that always holds exactly one run: written aside, then moved into place at once.

:class:`RunFolder` writes a run's files into a fresh hidden sibling of the target folder
(``.NAME.nnstudio-new-PID-XXXX``) and then puts that folder in place of the target in one step:
on Linux an atomic exchange of the two paths (``renameat2`` with ``RENAME_EXCHANGE``), so at
every instant ``NAME`` is either the complete previous run or the complete new one; elsewhere
two renames, the previous run first moved to ``.NAME.nnstudio-old-PID-XXXX``.  The previous run
is then deleted.  A process killed at any point leaves ``NAME`` whole; the hidden siblings it
may leave are removed by the next run into the same folder (and a previous run left aside by
the two-rename path is moved back first).

A target folder that holds anything besides run files is refused unless ``force`` is given;
then it is replaced as a whole, its other files included.

For the crash tests, ``NNSTUDIO_PAUSE_AT=<step>`` makes a save stop at that step (``config.json``,
``history.csv``, ``metrics.json`` or ``model.npz`` once that file is written in the new folder,
``exchanged`` once the new folder is in place) and wait for a line on standard input, after
printing ``paused at <step>`` to standard error.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

from .errors import UserError
from .files import _UMASK, FileFormatError

PAUSE_ENV = "NNSTUDIO_PAUSE_AT"
_NEW, _OLD = "nnstudio-new", "nnstudio-old"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def pause_point(step: str) -> None:
    """Stop here when :data:`PAUSE_ENV` names ``step`` (crash tests kill the process meanwhile)."""
    if os.environ.get(PAUSE_ENV) == step:
        print(f"paused at {step}", file=sys.stderr, flush=True)
        sys.stdin.readline()


def is_run_entry(name: str, run_files: tuple[str, ...]) -> bool:
    """Whether a folder entry belongs to a run: one of its files, or the temporary file of one."""
    return name in run_files or any(name.startswith(f".{f}.") and name.endswith(".tmp") for f in run_files)


class RunFolder:
    """Prepare with the constructor, write files into :attr:`path`, then :meth:`commit` (or :meth:`discard`)."""

    def __init__(self, target: str | os.PathLike, run_files: tuple[str, ...], *, force: bool = False):
        self.target = Path(target)
        self.run_files = run_files
        if self.target.exists() and not self.target.is_dir():
            raise UserError(f"--out {self.target}: is a file; give a folder")
        parent = self.target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserError(f"cannot create the run folder {self.target}: {exc.strerror}") from None
        _clean_siblings(self.target)
        self._check_target(force)
        try:
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.{_NEW}-{os.getpid()}-", dir=parent))
        except OSError as exc:
            raise UserError(f"cannot create the run folder {self.target}: {exc.strerror}") from None
        os.chmod(self.path, 0o777 & ~_UMASK)  # mkdtemp makes it owner-only
        self._check_writable()

    def _check_writable(self) -> None:
        """Fail now, not after a long training, when files cannot be written there."""
        try:
            fd, name = tempfile.mkstemp(dir=self.path)
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            self.discard()
            raise FileFormatError(f"{self.target / self.run_files[0]}: cannot be written in {self.target} "
                                  f"({exc.strerror or exc}); choose a folder you can write to") from None

    def _check_target(self, force: bool) -> None:
        if not self.target.is_dir() or force:
            return
        try:
            foreign = sorted(e.name for e in os.scandir(self.target)
                             if not (e.is_file(follow_symlinks=False) and is_run_entry(e.name, self.run_files)))
        except OSError as exc:
            raise UserError(f"--out {self.target}: cannot be read ({exc.strerror})") from None
        if foreign:
            shown = ", ".join(repr(name[:40]) for name in foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise UserError(f"--out {self.target}: holds files that are not an nnstudio run ({shown}); choose a "
                            "new or empty folder, or add --force to replace the folder and everything in it")

    def commit(self) -> None:
        """Put the new folder in place of the target; delete the previous run."""
        try:
            previous = self._swap()
        except OSError as exc:
            raise FileFormatError(f"{self.target}: cannot be replaced ({exc.strerror or exc}); the previous run, "
                                  "if any, is unchanged") from None
        _fsync_folder(self.target.parent)
        pause_point("exchanged")
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)

    def _swap(self) -> Path | None:
        """Move the new folder into place; where the previous run went (None if there was none)."""
        if not self.target.exists():
            os.rename(self.path, self.target)
            return None
        if _exchange(self.path, self.target):
            return self.path  # the exchange left the previous run at our temporary name
        previous = self.path.with_name(self.path.name.replace(_NEW, _OLD, 1))
        os.rename(self.target, previous)
        try:
            os.rename(self.path, self.target)
        except OSError:
            os.rename(previous, self.target)
            raise
        return previous

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap the two paths in one atomic step; False where the system cannot (then nothing changed)."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    return False  # EINVAL/ENOSYS: a file system or kernel without the exchange


_RENAMEAT2 = []


def _renameat2():
    if not _RENAMEAT2:
        function = None
        if sys.platform.startswith("linux"):
            try:
                function = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).renameat2
                function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
                function.restype = ctypes.c_int
            except (OSError, AttributeError):
                function = None
        _RENAMEAT2.append(function)
    return _RENAMEAT2[0]


def _clean_siblings(target: Path) -> None:
    """Remove what killed runs into ``target`` left beside it; first move back a previous run left aside."""
    prefix = f".{target.name}."
    try:
        entries = [e for e in os.scandir(target.parent) if e.name.startswith(prefix) and e.is_dir()]
    except OSError:
        return
    for entry in entries:
        rest = entry.name[len(prefix):]
        kind = next((k for k in (_NEW, _OLD) if rest.startswith(k + "-")), None)
        if kind is None or _alive(rest[len(kind) + 1:].split("-", 1)[0]):
            continue
        if kind == _OLD and not target.exists():
            os.rename(entry.path, target)  # the two-rename path was cut between its renames
            continue
        shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid_text: str) -> bool:
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
