"""File → Open on a malformed experiment file shows why, in one line naming the field."""

from __future__ import annotations

import json

import pytest

from test_gui_window import dialogs, small_config, trigger, window  # noqa: F401 (fixtures)


def _file(tmp_path, mutate=None, text=None):
    path = tmp_path / "odd.json"
    if text is None:
        raw = small_config().to_dict()
        mutate(raw)
        text = json.dumps(raw)
    path.write_text(text)
    return path


@pytest.mark.parametrize("case, fragment", [
    ("params text", "data.params: 'abc' is not valid"),
    ("400 digits", "learning_rate: <a 401-digit integer> is not valid"),
    ("5000 digits", "learning_rate: <a 5000-digit integer> is not valid"),
    ("nested", "data: 'nesting deeper than 64 levels"),
    ("standardize list", "data.standardize: [] is not valid"),
    ("train_metrics dict", "train_metrics: {'a': 1} is not valid"),
])
def test_open_shows_why_a_malformed_file_failed(window, dialogs, tmp_path, case, fragment):  # noqa: F811
    base = small_config().to_json()
    files = {
        "params text": lambda: _file(tmp_path, lambda d: d["data"].__setitem__("params", "abc")),
        "400 digits": lambda: _file(tmp_path, lambda d: d.__setitem__("learning_rate", 10 ** 400)),
        "5000 digits": lambda: _file(tmp_path, text=base.replace('"learning_rate": 0.001',
                                                                  '"learning_rate": ' + "9" * 5000)),
        "nested": lambda: _file(tmp_path, text=base.replace('"params": {', '"params": {"x": ' + "[" * 50_000
                                                             + "]" * 50_000 + ", ")),
        "standardize list": lambda: _file(tmp_path, lambda d: d["data"].__setitem__("standardize", [])),
        "train_metrics dict": lambda: _file(tmp_path, lambda d: d.__setitem__("train_metrics", {"a": 1})),
    }
    before = window.editor.config
    dialogs.open_path = str(files[case]())
    trigger(window, "openAction")
    assert len(dialogs.errors) == 1, case
    assert "odd.json" in dialogs.errors[0] and fragment in dialogs.errors[0] and "\n" not in dialogs.errors[0]
    assert window.editor.config == before and window.file_path() is None


def test_open_shows_a_message_even_for_a_failure_the_loader_does_not_name(window, dialogs, tmp_path,  # noqa: F811
                                                                           monkeypatch):
    import nnstudio.gui.window.files as window_files

    def broken(path):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(window_files, "load_experiment", broken)
    dialogs.open_path = str(_file(tmp_path, lambda d: None))
    trigger(window, "openAction")
    assert dialogs.errors == [f"{tmp_path / 'odd.json'}: cannot be read as an experiment "
                              "(RecursionError: maximum recursion depth exceeded)"]
