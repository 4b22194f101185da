"""A running hub picks up a model that `hub triage train` saved meanwhile."""

from __future__ import annotations

import os
from pathlib import Path

from hub.routing.service import Triage
from hub.triage.training import model_path, train_default


def test_a_newer_saved_model_is_loaded_after_the_recheck_interval(tmp_path: Path) -> None:
    triage = Triage(tmp_path)
    triage.RECHECK_SECONDS = 0.0  # check on every call
    first = triage.classifier()
    assert triage.classifier() is first  # unchanged file: the same object
    retrained = train_default(
        [("pohon tumbang menutup jalan desa", "jalan_jembatan")], data_dir=tmp_path
    )
    path = model_path(tmp_path)
    stat = path.stat()
    os.utime(path, (stat.st_atime, stat.st_mtime + 5))  # a later save, whatever the clock
    second = triage.classifier()
    assert second is not first
    assert second.metadata == retrained.metadata


def test_a_classifier_given_by_the_caller_is_never_replaced(tmp_path: Path) -> None:
    given = object()
    triage = Triage(tmp_path, classifier=given)  # type: ignore[arg-type]
    triage.RECHECK_SECONDS = 0.0
    assert triage.classifier() is given
