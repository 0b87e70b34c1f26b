"""Atomic writes: a write that never finishes leaves the old file and no debris."""

from __future__ import annotations

from pathlib import Path

import pytest

from ethostyle.atomic import atomic_directory, atomic_write_path, remove_unfinished_writes


def test_a_failed_write_keeps_the_old_file_and_removes_its_temporary(tmp_path: Path) -> None:
    target = tmp_path / "submission.npy"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["submission.npy"]


def test_an_interrupt_handler_sweeps_writes_that_never_reached_their_cleanup(
    tmp_path: Path,
) -> None:
    # A Ctrl-C can land between a `with` statement's __enter__ and its body, where no
    # cleanup of the context manager runs; the command line's handler then sweeps.
    target = tmp_path / "proba.npz"
    target.write_text("old")
    other = tmp_path / "keep.npz"
    with atomic_write_path(other) as done:
        done.write_text("complete")
    unfinished = atomic_write_path(target)
    tmp = unfinished.__enter__()
    tmp.write_text("half")
    remove_unfinished_writes()
    assert not tmp.exists()
    assert target.read_text() == "old" and other.read_text() == "complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.npz", "proba.npz"]


def test_the_sweep_reads_a_file_name_literally_not_as_a_pattern(tmp_path: Path) -> None:
    # "run[1].npy" as a glob pattern would match ".run1.npy..." and miss its own temporary.
    target = tmp_path / "run[1].npy"
    unfinished = atomic_write_path(target)
    tmp = unfinished.__enter__()
    tmp.write_text("half")
    remove_unfinished_writes()
    assert not tmp.exists()
    assert list(tmp_path.iterdir()) == []


def test_the_sweep_also_removes_an_unfinished_model_directory(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "model.json").write_text("old")
    unfinished = atomic_directory(target)
    tmp = unfinished.__enter__()
    (tmp / "model.json").write_text("half")
    remove_unfinished_writes()
    assert not tmp.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["model"]
    assert (target / "model.json").read_text() == "old"
