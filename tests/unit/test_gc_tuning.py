"""uc_signal.gc_tuning: what tune_for_server() leaves the collector doing."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from uc_signal.gc_tuning import YOUNG_THRESHOLD, tune_for_server


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_freezes_startup_objects_and_raises_only_the_young_threshold(restore_gc: None) -> None:
    _, middle, old = gc.get_threshold()
    tune_for_server()
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (YOUNG_THRESHOLD, middle, old)
    assert gc.isenabled()


def test_cycles_are_still_collected_after_tuning(restore_gc: None) -> None:
    tune_for_server()

    class Node:
        other: object = None

    a, b = Node(), Node()
    a.other, b.other = b, a
    del a, b
    assert gc.collect() >= 2
