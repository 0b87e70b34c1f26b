"""Helpers that test modules import by name, each defined once: the small model and
network settings, the "tiny" data set and a small trained model built once per test
process, two ways to run the CLI in-process (:func:`run`, :func:`invoke`) and one as a
subprocess, and the pickle payload a hostile file hides (:class:`RunsCode`).

The fixtures live in ``conftest.py``; its ``tiny`` returns :func:`tiny_simulation`'s
data set, so fixtures and helpers share one copy. Not a test module (no ``test_``
prefix); the test modules import it.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from click.testing import Result
from typer.testing import CliRunner

from ethostyle import cli
from ethostyle.cli import app
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.store import save_model
from ethostyle.simulate import Simulation, simulate

#: LightGBM settings small enough to train in a few seconds on the "tiny" preset;
#: one thread, because OpenMP threads that spin on a busy shared machine make
#: LightGBM many times slower.
SMALL_PARAMS: dict[str, dict[str, int]] = {
    "reference_params": {"n_estimators": 15, "num_threads": 1},
    "style_params": {"n_estimators": 8, "num_threads": 1},
}
#: A network and training budget small enough for a test (seconds on 2 cores).
TINY_TCN: dict[str, object] = {
    "epochs": 2.0,
    "style_epochs": 4.0,
    "channels": 16,
    "dilations": (1, 2, 4),
    "style_blocks": 1,
    "window": 128,
    "batch_size": 8,
}
#: Environment of CLI subprocesses: one OpenMP thread (see SMALL_PARAMS), and idle
#: threads sleep instead of spinning (OpenMP's default spin burns the shared CPUs).
SUBPROCESS_ENV: dict[str, str] = {
    **os.environ,
    "OMP_NUM_THREADS": "1",
    "OMP_WAIT_POLICY": "PASSIVE",
    "COLUMNS": "200",
}
#: Runs the installed console-script entry point (what `ethostyle ...` runs).
CLI: list[str] = [sys.executable, "-c", "from ethostyle.cli import run; run()"]


@functools.cache
def tiny_simulation() -> Simulation:
    """The "tiny" simulated data set, seed 0, built once per process: the ``tiny``
    fixture's, for helpers that are not fixtures. Shared, so never change it in place."""
    return simulate("tiny", seed=0)


def _scratch_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="ethostyle-reliability-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


@functools.cache
def small_model() -> StyleTransferModel:
    """A model of every annotator of :func:`tiny_simulation`, trained with SMALL_PARAMS.

    Every style keeps its boosted residual (``residual_min_gain=-1``), so the model
    directory holds style weight files for the integrity tests to damage.
    """
    return StyleTransferModel(**SMALL_PARAMS, residual_min_gain=-1.0, seed=0).fit(
        tiny_simulation().train
    )


@functools.cache
def small_model_dir() -> Path:
    """:func:`small_model` saved as a model directory; treat it as read-only (copy to alter)."""
    return save_model(small_model(), _scratch_dir() / "small-model")


@dataclass(frozen=True)
class CliResult:
    """What an in-process CLI run gave: exit code, everything printed, any escaped exception."""

    exit_code: int
    output: str
    exception: BaseException | None


def _invoke_app(args: tuple[object, ...]) -> Result:
    """Run ``ethostyle ARGS`` in this process through click's test runner.

    The root logger's handlers are reset first: the CLI's ``logging.basicConfig``
    binds its handler to the stream of the run that first called it. The consoles
    are made wide, so that rich never folds a long path in the middle.
    """
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = []
    widths = [(c, c._width) for c in (cli.console, cli.err_console)]
    for console, _ in widths:
        console.width = 10_000
    try:
        return CliRunner().invoke(app, [str(a) for a in args])
    finally:
        root.handlers = saved
        for console, width in widths:
            console._width = width


def invoke(*args: object) -> CliResult:
    """Run ``ethostyle ARGS`` in this process and return what happened, checking nothing
    (see :func:`assert_clean_error` and :func:`assert_success`)."""
    result = _invoke_app(args)
    escaped = None if isinstance(result.exception, SystemExit) else result.exception
    return CliResult(result.exit_code, result.output, escaped)


def run(*args: object) -> Result:
    """Run ``ethostyle ARGS`` in this process; assert that no exception escaped the CLI
    (click's runner catches them all; only ``SystemExit`` is a clean exit) and that no
    traceback was printed. Returns click's result, with ``stdout`` and ``stderr`` apart."""
    result = _invoke_app(args)
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, result.output
    return result


def _flat(text: str) -> str:
    """Output with rich's line wrapping undone, for matching messages."""
    return re.sub(r"\s+", " ", text)


def assert_clean_error(result: CliResult, *patterns: str, anywhere: bool = False) -> str:
    """Assert exit code 1, one ``error:`` message, no traceback; return the flat message.

    Every regular expression in ``patterns`` must match the message (with
    ``anywhere``, the whole output: ``validate`` lists problems above its message).
    """
    assert result.exception is None, f"exception escaped the CLI: {result.exception!r}"
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 1, result.output
    assert len(re.findall(r"(?m)^error:", result.output)) == 1, result.output
    message = _flat(result.output.split("error:", 1)[1])
    searched = _flat(result.output) if anywhere else message
    for pattern in patterns:
        assert re.search(pattern, searched), f"{pattern!r} not in {searched!r}"
    return message


def assert_success(result: CliResult) -> str:
    """Assert exit code 0 and no traceback; return the flat output."""
    assert result.exception is None, f"exception escaped the CLI: {result.exception!r}"
    assert "Traceback" not in result.output, result.output
    assert result.exit_code == 0, result.output
    return _flat(result.output)


def warnings_in(output: str) -> list[str]:
    """The warning messages of a CLI run (both ``warning:`` and ``WARNING`` log lines)."""
    flat = _flat(output)
    return re.findall(r"(?:warning:|WARNING [\w.]+:) (.*?)(?= warning:| WARNING |$)", flat)


def run_cli_subprocess(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``ethostyle ARGS`` as a separate process, as a user would."""
    return subprocess.run(
        [*CLI, *map(str, args)],
        capture_output=True,
        text=True,
        env=SUBPROCESS_ENV,
        timeout=timeout,
        check=False,
    )


def entry(keypoints: np.ndarray, annotator_id: object = 0, **more: object) -> dict[str, object]:
    """One sequence entry of the train/test ``.npy`` layouts."""
    return {"keypoints": keypoints, "annotator_id": annotator_id, **more}


def save_pickle_npy(path: Path, obj: object) -> Path:
    """Write ``obj`` as a pickled ``.npy`` exactly as a collaborator's numpy would."""
    with open(path, "wb") as fh:  # a handle: np.save would add ".npy" to other names
        np.save(fh, obj, allow_pickle=True)
    return path


class RunsCode:
    """Pickles to a call of ``function(*args)`` (the REDUCE opcode): what a hostile file
    hides. Plain ``pickle.load`` or ``np.load(allow_pickle=True)`` would run it."""

    def __init__(self, function: Callable[..., object], *args: object) -> None:
        self.function, self.args = function, args

    def __reduce__(self) -> tuple[Callable[..., object], tuple[object, ...]]:
        return self.function, self.args


def touch_command(marker: Path) -> str:
    """The shell command of :func:`touch` (no quotes: protocol-0 pickles embed it as is)."""
    return f"touch {marker}"


def touch(marker: Path) -> RunsCode:
    """A payload that creates the file ``marker`` through ``os.system`` when unpickled."""
    return RunsCode(os.system, touch_command(marker))
