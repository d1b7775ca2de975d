"""CSV files at the edges: open quotes, duplicate names, CR-only lines, overflowing numbers."""

from __future__ import annotations

import pytest

from nnstudio.data import DataError, load_csv, read_csv


def write(tmp_path, text: str, name: str = "data.csv", newline: str = "\n"):
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode())
    return path


ROWS = "".join(f"{i},{i % 3},{'ab'[i % 2]}\n" for i in range(40))


def test_unclosed_quote_is_refused_at_the_line_it_opened(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,x\n3,4,\"y\n" + ROWS)
    with pytest.raises(DataError, match=r"data.csv, line 3, column 'y' \(column 3\): a quote opened here is not "
                                        r"closed on that line \(the field runs on to line 43\)"):
        load_csv(path)


def test_unclosed_quote_in_a_feature_is_refused_too(tmp_path):
    path = write(tmp_path, "a,b,y\n\"1,2,x\n" + ROWS)
    with pytest.raises(DataError, match=r"line 2, column 'a' \(column 1\): a quote opened here"):
        load_csv(path)


def test_duplicate_column_names_are_refused(tmp_path):
    path = write(tmp_path, "f1,f1,f3\n" + ROWS)
    with pytest.raises(DataError, match=r"line 1: the column name 'f1' appears twice \(columns 1 and 2\)"):
        read_csv(path)


@pytest.mark.parametrize("newline", ["\r", "\r\n"])
def test_cr_only_line_endings_with_missing_values_and_text(tmp_path, newline):
    text = "a,b,y\n1,2,x\n3,,y\n" + ROWS
    path = write(tmp_path, text, newline=newline)
    table = read_csv(path, drop_missing=True)
    assert table.n_rows == 41 and table.dropped == ((1, "column 'b' (column 2) has a missing value"),)
    with pytest.raises(DataError, match=r"line 3: column 'b' \(column 2\) has a missing value"):
        read_csv(path)
    ds = load_csv(write(tmp_path, "a,b,y\n" + ROWS, name="clean.csv", newline=newline))
    assert ds.X.shape == (40, 2) and ds.class_labels == ("a", "b")


@pytest.mark.parametrize("cell, problem", [("inf", "is not a finite number"), ("1e308", "is too large"),
                                           ("-1e120", "is too large")])
def test_non_finite_or_huge_regression_target_names_line_and_column(tmp_path, cell, problem):
    rows = "".join(f"{i},{i * 0.5},{i * 1.5}\n" for i in range(30))
    path = write(tmp_path, f"a,b,y\n{rows}7,8,{cell}\n")
    with pytest.raises(DataError, match=rf"line 32, column 'y' \(the target\): '{cell}' {problem}"):
        load_csv(path, task="regression")


@pytest.mark.parametrize("cell", ["1e308", "-1e200"])
def test_huge_feature_is_refused_not_zeroed(tmp_path, cell):
    rows = "".join(f"{i},{i * 0.5},{i % 2}\n" for i in range(30))
    path = write(tmp_path, f"a,b,y\n{rows}7,{cell},1\n")
    with pytest.raises(DataError, match=rf"line 32, column 'b' \(column 2\): '{cell}' is too large"):
        load_csv(path)


def test_messages_cut_cells_short_and_never_echo_a_line(tmp_path):
    secret = "root:x:0:0:root:/root:/bin/bash-and-a-much-longer-tail-of-text"
    path = write(tmp_path, f"{secret}\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    with pytest.raises(DataError) as info:
        load_csv(path)
    assert "root:x" not in str(info.value) and "has a single column" in str(info.value)
    path = write(tmp_path, f"a,b,y\n1,{secret},x\n2,3,y\n", name="text.csv")
    with pytest.raises(DataError) as info:
        load_csv(path)
    assert secret not in str(info.value) and "'root:x:0:0:root:/root:/bin/bash-...'" in str(info.value)
