"""One definition of a user error, shared by the command line and the window's workers."""

from __future__ import annotations

import pytest

from nnstudio.compare.factors import FactorValueError
from nnstudio.config import ConfigError, ExperimentConfig
from nnstudio.data.split import DataError
from nnstudio.errors import UserError, user_message
from nnstudio.files import FileFormatError
from nnstudio.registry import UnknownNameError
from nnstudio.tuning.space import SpaceError
from nnstudio.tuning.storage import StorageError, StudyNotFoundError


@pytest.mark.parametrize("kind, base", [
    (ConfigError, ValueError), (DataError, ValueError), (FileFormatError, ValueError),
    (UnknownNameError, KeyError), (StorageError, ValueError), (StudyNotFoundError, KeyError),
    (SpaceError, ValueError), (FactorValueError, ValueError),
])
def test_every_kind_is_a_user_error_and_keeps_its_base(kind, base) -> None:
    assert issubclass(kind, UserError)
    assert issubclass(kind, base)


def test_a_bad_config_value_is_shown_as_its_one_line_message() -> None:
    with pytest.raises(UserError) as info:
        ExperimentConfig.from_dict({**ExperimentConfig().to_dict(), "epochs": -3})
    message = user_message(info.value)
    assert message == str(info.value) and "epochs" in message and "\n" not in message


def test_an_unknown_name_is_not_quoted_like_a_key_error() -> None:
    assert user_message(UnknownNameError("optimizer", "adma", ["adam", "sgd"])) == \
        "unknown optimizer 'adma'; choose one of: adam, sgd"


def test_a_bug_is_not_a_user_error() -> None:
    assert user_message(ZeroDivisionError("division by zero")) is None
    assert user_message(ValueError("shapes do not match")) is None
    assert user_message(FileNotFoundError(2, "No such file or directory", "x.csv")) is None


def test_while_reading_input_a_value_or_os_error_is_the_users() -> None:
    assert user_message(ValueError("could not convert 'a' to float"), reading_input=True) == \
        "could not convert 'a' to float"
    missing = FileNotFoundError(2, "No such file or directory", "x.csv")
    assert user_message(missing, reading_input=True) == str(missing)
    assert user_message(KeyError("epoch"), reading_input=True) is None


def test_an_unreadable_file_is_named_with_its_reason(tmp_path):
    from nnstudio.errors import unreadable

    missing, folder = tmp_path / "gone.csv", tmp_path
    with pytest.raises(OSError) as info:
        open(missing)
    assert unreadable(missing, info.value) == f"{missing}: no such file"
    with pytest.raises(OSError) as info:
        open(folder)
    assert unreadable(folder, info.value, "; choose a CSV file") == f"{folder}: is a folder; choose a CSV file"
    denied = PermissionError(13, "Permission denied", "x")
    assert unreadable("x", denied) == "x: cannot be read (Permission denied)"
