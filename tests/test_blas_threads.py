"""The BLAS thread policy: one thread for small products or a busy machine, scoped limits that restore."""

from __future__ import annotations

import pytest

from nnstudio import compute
from nnstudio.config import DataConfig, ExperimentConfig, LayerConfig
from nnstudio.data import load_split
from nnstudio.engine import Trainer


def test_small_products_get_one_thread_whatever_the_cores():
    assert compute.blas_threads_for(compute.PARALLEL_BLAS_MACS - 1, cores=8) == 1
    assert compute.blas_threads_for(0, cores=64) == 1


def test_large_products_get_one_thread_per_given_core():
    assert compute.blas_threads_for(compute.PARALLEL_BLAS_MACS, cores=4) == 4
    assert compute.blas_threads_for(10 ** 12, cores=1) == 1


@pytest.mark.parametrize("load, expected", [(0.0, 4), (1.2, 3), (3.6, 1), (40.0, 1)])
def test_idle_cpus_subtract_the_machine_load(monkeypatch, load, expected):
    monkeypatch.setattr(compute, "cpu_count", lambda: 4)
    monkeypatch.setattr(compute.os, "getloadavg", lambda: (load, load, load))
    assert compute.idle_cpus() == expected
    assert compute.blas_threads_for(10 ** 12) == expected


def test_blas_threads_limits_inside_the_block_and_restores_after():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return {p["filepath"]: p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"}

    before = blas_threads()
    with compute.blas_threads(1):
        assert set(blas_threads().values()) == {1}
    assert blas_threads() == before


def test_the_blas_libraries_are_found_once_per_process(monkeypatch):
    """Finding them walks every loaded library: later blocks reuse what the first one found."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    monkeypatch.setattr(compute, "_BLAS", [])
    scans = []

    class Counted(threadpoolctl.ThreadpoolController):
        def __init__(self):
            scans.append(1)
            super().__init__()

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", Counted)
    compute.find_blas_in_background()
    found = compute.blas_controller()  # waits for the background search, does not start another
    for _ in range(3):
        with compute.blas_threads(1):
            assert {lib["num_threads"] for lib in found.info()} == {1}
    assert scans == [1] and compute.blas_controller() is found
    assert {lib.user_api for lib in found.lib_controllers} == {"blas"}


def test_largest_product_is_rows_times_the_largest_weight_matrix():
    split = load_split(DataConfig(name="iris"))
    layers = (LayerConfig(16, "relu"), LayerConfig(40, "relu"))
    mini = Trainer(ExperimentConfig(layers=layers, batch_size=8, data=DataConfig(name="iris")), split)
    assert mini.largest_product == 8 * 16 * 40
    full = Trainer(ExperimentConfig(layers=layers, batch_size=0, data=DataConfig(name="iris")), split)
    assert full.largest_product == len(split.y_train) * 16 * 40
