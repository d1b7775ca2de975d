"""Where studies live: an embedded SQLite store by default, or any SQLAlchemy database URL.

The default store is ``studies.db`` in nnstudio's data folder (``$NNSTUDIO_DATA_DIR`` if set,
else ``$XDG_DATA_HOME/nnstudio`` or ``~/.local/share/nnstudio`` on Linux,
``~/Library/Application Support/nnstudio`` on macOS, ``%APPDATA%\\nnstudio`` on Windows).
It is an ordinary Optuna database: ``optuna-dashboard sqlite:///path/to/studies.db`` opens it.

Both kinds are opened as ``optuna.storages.RDBStorage``, so local and remote studies share one
code path, including heartbeats: a worker records a heartbeat for its running trial every
``heartbeat_interval`` seconds, and a trial whose heartbeat is older than ``grace_period`` is
marked FAIL by the next worker that asks for a trial.  A crashed worker therefore never
leaves a trial RUNNING for good.

SQLite is opened in WAL mode with a long busy timeout: readers (the tuning tab polling for
progress) never block the writers, and concurrent writers from several worker processes wait
for each other instead of failing with "database is locked".
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import sys
import threading
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import optuna
import sqlalchemy
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL

from ..errors import UserError

DATA_DIR_ENV = "NNSTUDIO_DATA_DIR"
STORE_FILE = "studies.db"
SQLITE_BUSY_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 5
URL_EXAMPLES = "sqlite:///path/to/studies.db or postgresql+psycopg2://user:password@host:5432/database"


class StorageError(UserError, ValueError):
    """A storage URL cannot be used, or a study is not there; the message says why (one line)."""


class StudyNotFoundError(StorageError, KeyError):
    """No study of that name in the store; the message lists the studies that exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


def user_data_dir() -> Path:
    """nnstudio's per-user data folder (not created here)."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "nnstudio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "nnstudio"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "nnstudio"


def default_storage_url() -> str:
    """``sqlite:///<data dir>/studies.db``."""
    return f"sqlite:///{user_data_dir() / STORE_FILE}"


def display_url(url: str) -> str:
    """``url`` with any password masked, for messages and the window."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: show it as given
        return url


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except (sqlalchemy.exc.ArgumentError, ValueError):
        raise StorageError(f"{url!r} is not a database URL; expected {URL_EXAMPLES}") from None


def _sqlite_path(parsed: URL) -> Path | None:
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser()


def _prepare_sqlite(parsed: URL, create_folder: bool) -> None:
    """Create the folder of the default store, and switch the file to WAL mode (a persistent setting)."""
    path = _sqlite_path(parsed)
    if path is None:
        return
    if not path.parent.exists():
        if not create_folder:
            raise StorageError(f"cannot open {path}: the folder {path.parent} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise StorageError(f"cannot open {path}: it is a folder, not a database file")
    if not os.access(path.parent, os.W_OK | os.X_OK):  # SQLite writes its journal next to the file
        what = "open" if path.exists() else "create"
        raise StorageError(f"cannot {what} {path}: the folder {path.parent} is not writable; "
                           "choose a store in a folder you can write to")
    try:
        with sqlite3.connect(path, timeout=SQLITE_BUSY_TIMEOUT_S) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.close()
    except sqlite3.DatabaseError as exc:
        hint = " (is it an SQLite database?)" if "not a database" in str(exc) else ""
        raise StorageError(f"cannot open {path}: {exc}{hint}") from None


def _engine_kwargs(parsed: URL) -> dict:
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_S}}
    if backend in ("postgresql", "mysql", "mariadb"):
        # Fail fast on an unreachable host instead of waiting for the OS's TCP timeout.
        return {"connect_args": {"connect_timeout": CONNECT_TIMEOUT_S}, "pool_pre_ping": True}
    return {}


def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    # In WAL mode, NORMAL syncs at checkpoints instead of at every commit: each trial.report
    # stays cheap, and a crash of the process (not of the machine) loses nothing.
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def open_storage(url: str | None = None, *, heartbeat_interval: int | None = None,
                 grace_period: int | None = None) -> optuna.storages.RDBStorage:
    """Open (creating the tables if needed) the store at ``url``; ``None`` means the default store.

    Raises :class:`StorageError` with a one-line message for a malformed URL, an unknown
    database type, a missing driver, an unreachable server or rejected credentials.
    """
    is_default = url is None
    url = default_storage_url() if url is None else url.strip()
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        _prepare_sqlite(parsed, create_folder=is_default)
    shown = display_url(url)
    try:
        storage = _rdb_storage(url, parsed, heartbeat_interval, grace_period)
    except sqlalchemy.exc.NoSuchModuleError:
        raise StorageError(f"{shown}: unknown database type {parsed.drivername!r}; expected {URL_EXAMPLES}") from None
    except ImportError as exc:
        raise StorageError(_missing_driver(shown, parsed, exc)) from None
    except sqlalchemy.exc.ArgumentError as exc:
        raise StorageError(f"{shown}: {_first_line(exc)}") from None
    except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as exc:
        raise StorageError(f"cannot connect to {shown}: {_first_line(exc)}") from None
    except sqlalchemy.exc.DatabaseError as exc:
        raise StorageError(f"{shown}: {_first_line(exc)}") from None
    except RuntimeError as exc:  # Optuna's schema-version check
        raise StorageError(f"{shown}: {_first_line(exc)}") from None
    if backend == "sqlite":
        sqlalchemy.event.listen(storage.engine, "connect", _sqlite_pragmas)
        storage.engine.dispose()  # so pooled connections are reopened with the pragmas
    return storage


def _missing_driver(shown: str, parsed: URL, exc: ImportError) -> str:
    """The message for a URL whose driver module cannot be imported: which module, and for
    PostgreSQL the URL that uses psycopg2 (a bare ``postgresql://`` means SQLAlchemy's default
    driver, which is psycopg 3 since SQLAlchemy 2.1, not the psycopg2 nnstudio's tests install)."""
    cause = exc
    while cause is not None and not isinstance(cause, ModuleNotFoundError):
        cause = cause.__cause__ or cause.__context__
    module = f" (Python module {cause.name!r})" if cause is not None and cause.name else ""
    text = f"{shown}: the database driver for {parsed.drivername!r}{module} is not installed"
    if parsed.get_backend_name() != "postgresql":
        return text + "; install it, or use sqlite:///path/to/studies.db"
    with_psycopg2 = display_url(parsed.set(drivername="postgresql+psycopg2").render_as_string(hide_password=False))
    if parsed.drivername != "postgresql+psycopg2" and importlib.util.find_spec("psycopg2") is not None:
        return text + f"; psycopg2 is installed: use {with_psycopg2}"
    return text + f"; pip install psycopg2-binary and use {with_psycopg2}"


def _rdb_storage(url: str, parsed, heartbeat_interval, grace_period) -> optuna.storages.RDBStorage:
    """Optuna's storage for ``url``.  Two openers of a new, empty store at once both try to create
    its tables, and the slower one fails ("table ... already exists", or a duplicate schema
    version row).  Within this process the openers take turns; another process's race is
    survived by opening again, which then finds the tables the other one made."""
    for attempt in range(SCHEMA_RACE_ATTEMPTS):
        try:
            with _OPEN_LOCK, warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=_engine_kwargs(parsed), heartbeat_interval=heartbeat_interval,
                    grace_period=grace_period)
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError) as exc:
            text = str(exc)
            if ("already exists" not in text and "UNIQUE constraint failed" not in text
                    or attempt == SCHEMA_RACE_ATTEMPTS - 1):
                raise
    raise AssertionError("unreachable")


_OPEN_LOCK = threading.Lock()
SCHEMA_RACE_ATTEMPTS = 3


@dataclass(frozen=True)
class StudyInfo:
    """One line of a store's table of contents."""

    name: str
    direction: str          # "maximize" or "minimize"
    n_trials: int
    best_value: float | None
    started: datetime | None
    user_attrs: dict


def list_studies(storage: optuna.storages.BaseStorage) -> list[StudyInfo]:
    """The studies in ``storage``, oldest first."""
    summaries = optuna.get_all_study_summaries(storage, include_best_trial=True)
    out = []
    for s in summaries:
        best = s.best_trial.value if s.best_trial is not None else None
        out.append(StudyInfo(s.study_name, s.direction.name.lower(), s.n_trials, best, s.datetime_start,
                             dict(s.user_attrs)))
    return out


def study_names(storage: optuna.storages.BaseStorage) -> list[str]:
    return [s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)]


def not_found(storage: optuna.storages.BaseStorage, name: str) -> StudyNotFoundError:
    names = study_names(storage)
    where = display_url(getattr(storage, "url", "")) or "the store"
    listing = f"existing studies: {', '.join(names)}" if names else "the store holds no studies yet"
    return StudyNotFoundError(f"no study named {name!r} in {where}; {listing}")


def delete_study(storage: optuna.storages.BaseStorage, name: str) -> None:
    """Delete study ``name`` and all its trials.  Raises :class:`StudyNotFoundError`."""
    try:
        optuna.delete_study(study_name=name, storage=storage)
    except KeyError:
        raise not_found(storage, name) from None
