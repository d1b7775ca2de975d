"""CSV import: parsing rules, labels of any type, the error corpus, memory use."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from nnstudio.config import DataConfig, ExperimentConfig
from nnstudio.data import DATASETS, DataError, load_csv, load_split, read_csv
from nnstudio.data.csv import MAX_AUTO_CLASSES, csv_params


def write(tmp_path, text: str, name: str = "data.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


IRIS_LIKE = "sepal,petal,species\n1.0,2.0,setosa\n1.5,2.5,virginica\n0.5,1.0,setosa\n3.0,4.0,versicolor\n"


# -- parsing ---------------------------------------------------------------------------

def test_text_labels_are_mapped_and_kept(tmp_path):
    ds = load_csv(write(tmp_path, IRIS_LIKE))
    assert ds.task == "classification"
    assert ds.class_labels == ("setosa", "versicolor", "virginica")
    assert ds.y.tolist() == [0, 2, 0, 1]
    np.testing.assert_array_equal(ds.X, [[1.0, 2.0], [1.5, 2.5], [0.5, 1.0], [3.0, 4.0]])
    assert ds.feature_names == ("sepal", "petal")
    assert ds.target_name == "species"
    assert np.asarray(ds.class_labels)[ds.y].tolist() == ["setosa", "virginica", "setosa", "versicolor"]


@pytest.mark.parametrize("target", ["b", 1, "1", -3, " 1 "])
def test_target_by_name_or_index_keeps_feature_order(tmp_path, target):
    path = write(tmp_path, "a,b,c,d\n1,10,3,4\n5,20,7,8\n9,10,11,12\n")
    ds = load_csv(path, target=target)
    assert ds.feature_names == ("a", "c", "d")
    np.testing.assert_array_equal(ds.X, [[1, 3, 4], [5, 7, 8], [9, 11, 12]])
    assert ds.class_labels == (10, 20)
    assert ds.y.tolist() == [0, 1, 0]


def test_empty_target_means_the_last_column(tmp_path):
    ds = load_csv(write(tmp_path, IRIS_LIKE), target="")
    assert ds.target_name == "species"


def test_long_column_lists_are_shortened(tmp_path):
    path = write(tmp_path, ",".join(f"c{i}" for i in range(50)) + "\n" + ",".join("1" * 50) + "\n")
    with pytest.raises(DataError, match=r"0: 'c0', .*19: 'c19', \.\.\. \(50 columns\)$"):
        load_csv(path, target="nope")


def test_auto_task_rules(tmp_path):
    few_ints = write(tmp_path, "x,y\n" + "".join(f"{i},{i % 3}\n" for i in range(30)), "few.csv")
    floats = write(tmp_path, "x,y\n" + "".join(f"{i},{i * 0.5}\n" for i in range(30)), "floats.csv")
    many_ints = write(tmp_path, "x,y\n" + "".join(f"{i},{i}\n" for i in range(MAX_AUTO_CLASSES + 1)), "many.csv")
    assert load_csv(few_ints).task == "classification"
    assert load_csv(few_ints).class_labels == (0, 1, 2)
    reg = load_csv(floats)
    assert reg.task == "regression" and reg.class_labels == ()
    np.testing.assert_array_equal(reg.y, np.arange(30) * 0.5)
    assert load_csv(many_ints).task == "regression"
    assert load_csv(many_ints, task="classification").n_classes == MAX_AUTO_CLASSES + 1
    assert load_csv(few_ints, task="regression").task == "regression"


def test_equal_numbers_written_differently_are_one_class(tmp_path):
    ds = load_csv(write(tmp_path, "x,y\n1,1\n2,1.0\n3,2\n4,2.00\n"))
    assert ds.class_labels == (1, 2)
    assert ds.y.tolist() == [0, 0, 1, 1]


def test_headerless_semicolon_quoted_and_bom(tmp_path):
    headerless = load_csv(write(tmp_path, "1,2,0\n3,4,1\n5,6,0\n", "h.csv"))
    assert headerless.feature_names == ("column 1", "column 2")
    assert headerless.n_samples == 3
    semi = load_csv(write(tmp_path, '\ufeff"a";"b";"label"\n"1.5";2;"x y"\n3;4;"z"\n', "s.csv"))
    assert semi.feature_names == ("a", "b")
    np.testing.assert_array_equal(semi.X, [[1.5, 2.0], [3.0, 4.0]])
    assert semi.class_labels == ("x y", "z")


def test_blank_lines_are_skipped(tmp_path):
    ds = load_csv(write(tmp_path, "a,b\n\n1,0\n\n2,1\n3,0\n\n"))
    assert ds.X[:, 0].tolist() == [1, 2, 3]


def test_drop_missing_drops_exactly_the_rows_with_gaps(tmp_path):
    text = "a,b,label\n1,2,x\n,3,y\n4,NA,x\n5,6,\n7,8,y\n9,nan,x\n10,11,x\n"
    ds = load_csv(write(tmp_path, text), drop_missing=True)
    np.testing.assert_array_equal(ds.X, [[1, 2], [7, 8], [10, 11]])
    assert np.asarray(ds.class_labels)[ds.y].tolist() == ["x", "y", "x"]
    assert read_csv(tmp_path / "data.csv", drop_missing=True).dropped_rows == 4


def test_fast_and_careful_readers_agree(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    lines = ["a,b,c,d,label"] + [",".join(f"{v:.17g}" for v in row) + f",{'pq'[i % 2]}" for i, row in enumerate(X)]
    clean = load_csv(write(tmp_path, "\n".join(lines) + "\n", "clean.csv"))
    # one gap sends the whole file through the row-by-row reader
    gappy = load_csv(write(tmp_path, "\n".join(lines + ["1,2,,4,p"]) + "\n", "gappy.csv"), drop_missing=True)
    np.testing.assert_array_equal(clean.X, X)
    np.testing.assert_array_equal(gappy.X, clean.X)
    np.testing.assert_array_equal(gappy.y, clean.y)


def test_no_target_reads_features_only(tmp_path):
    table = read_csv(write(tmp_path, "a,b\n1,2\n3,4\n"), has_target=False)
    assert table.target_name is None and table.feature_names == ("a", "b")
    np.testing.assert_array_equal(table.X, [[1, 2], [3, 4]])


# -- the error corpus ----------------------------------------------------------------------

ERRORS = {
    "empty": ("", {}, "is empty"),
    "blank": ("\n  \n", {}, "is empty"),
    "header only": ("a,b,label\n", {}, "has a header but no data rows"),
    "ragged": ("a,b,label\n1,2,x\n3,y\n", {}, "line 3: has 2 fields but the header has 3"),
    "text feature": ("a,b,label\n1,2,x\n3,abc,y\n", {}, "line 3, column 'b' (column 2): 'abc' is not a number"),
    "missing feature": ("a,b,label\n1,2,x\n,4,y\n", {},
                        "line 3: column 'a' (column 1) has a missing value; fill it in or drop rows"),
    "missing marker": ("a,b,label\n1,2,x\n3,NA,y\n", {}, "column 'b' (column 2) has a missing value ('NA')"),
    "missing target": ("a,b,label\n1,2,x\n3,4,\n", {}, "line 3: column 'label' (column 3) has a missing value"),
    "infinite": ("a,b,label\n1,inf,x\n", {}, "line 2, column 'b' (column 2): 'inf' is not a finite number"),
    "one class": ("a,label\n1,x\n2,x\n3,x\n", {}, "the target column 'label' has only one class ('x')"),
    "unknown target": ("a,b,label\n1,2,x\n", {"target": "zzz"},
                       "there is no column 'zzz' for the target; the columns are 0: 'a', 1: 'b', 2: 'label'"),
    "target index": ("a,b,label\n1,2,x\n", {"target": 7}, "index 7 is out of range for the target"),
    "no features": ("label\nx\ny\n", {}, "has a single column (no ',', ';' or tab on line 1); it needs at least one feature column"),
    "text regression": ("a,y\n1,2.5\n2,high\n", {"task": "regression"},
                        "column 'y': 'high' is not a number; a regression target must be numeric"),
    "all missing": ("a,label\n,x\nNA,y\n", {"drop_missing": True}, "all 2 data rows have missing values"),
    "bad task": ("a,label\n1,x\n", {"task": "clustering"}, "task 'clustering' is not valid"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_error_corpus_names_file_line_and_column(tmp_path, case):
    text, options, expected = ERRORS[case]
    path = write(tmp_path, text)
    with pytest.raises(DataError) as info:
        load_csv(path, **options)
    message = str(info.value)
    assert expected in message
    if case != "bad task":
        assert str(path) in message
    assert "\n" not in message


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        load_csv(tmp_path)


def test_binary_file_is_not_taken_for_text(tmp_path):
    path = tmp_path / "model.csv"
    path.write_bytes(b"PK\x03\x04\xff\xfe\x00\x81binary")
    with pytest.raises(DataError, match="is not a UTF-8 text file"):
        load_csv(path)


def test_too_few_rows_for_the_split_names_the_file(tmp_path):
    path = write(tmp_path, "a,label\n1,x\n2,y\n3,x\n")
    with pytest.raises(DataError, match=r"3 rows are too few .* need at least 6") as info:
        load_split(DataConfig("csv", csv_params(path)))
    assert str(path) in str(info.value)


def test_an_empty_path_asks_for_a_file():
    with pytest.raises(DataError, match="no file chosen"):
        load_split(DataConfig("csv", {}))


# -- the registry entry ---------------------------------------------------------------------

def test_registered_csv_splits_stratified_and_config_round_trips(tmp_path):
    rows = "".join(f"{i},{i * 2},{'ab'[i % 2]}\n" for i in range(40))
    path = write(tmp_path, "u,v,cls\n" + rows)
    data = DataConfig("csv", csv_params(path, target="cls"))
    cfg = ExperimentConfig(data=data)
    again = ExperimentConfig.from_json(cfg.to_json())
    assert again.data == data and hash(again.data) == hash(data)
    assert isinstance(again.data.params["path"], str)
    split = load_split(data)
    assert split.class_labels == ("a", "b")
    for y in (split.y_train, split.y_val, split.y_test):
        counts = np.bincount(y, minlength=2)
        assert abs(int(counts[0]) - int(counts[1])) <= 1


def test_the_cache_reloads_a_changed_file(tmp_path):
    path = write(tmp_path, "a,label\n1,x\n2,y\n")
    first = DATASETS["csv"].load(csv_params(path))
    assert DATASETS["csv"].load(csv_params(path)) is first
    assert not first.X.flags.writeable  # shared between callers, so read-only
    path.write_text("a,label\n1,x\n2,y\n3,z\n")  # a new size (and time) makes a new key
    assert DATASETS["csv"].load(csv_params(path)).n_samples == 3


def test_large_numeric_file_is_not_copied_needlessly(tmp_path):
    rng = np.random.default_rng(1)
    data = np.c_[rng.normal(size=(20_000, 50)), rng.integers(0, 3, 20_000)]
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write(",".join([f"x{i}" for i in range(50)] + ["label"]) + "\n")
        np.savetxt(fh, data, delimiter=",", fmt="%.6g")
    tracemalloc.start()
    try:
        # a middle column as target: the features are shifted in place, and its 20,000 distinct
        # values (a regression target) cost a little bookkeeping
        ds = load_csv(path, target=10)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    result_bytes = data.nbytes
    assert ds.X.shape == (20_000, 50)
    assert peak < 1.5 * result_bytes, f"peak {peak / 1e6:.1f} MB for {result_bytes / 1e6:.1f} MB of data"
