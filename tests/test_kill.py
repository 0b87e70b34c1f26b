"""Interrupted runs lose nothing: SIGKILL at random moments, at every swap step, and Ctrl-C.

Outputs (submission, probabilities, bouts, model directory) must be the old file or
the complete new one after any kill, never a mixture, never missing. To afford many
kills, the runs are forked from a *fork server*: a Python process that has imported
ethostyle once and then, per run, forks a child that runs the console entry point
(``ethostyle.cli.run``) on the given arguments, exactly as ``ethostyle ...`` does
after its imports. The server (the child's parent) sends the SIGKILL itself, so it
never signals a process that has already been reaped. Kill moments are drawn at
random over the run, or aimed at the moments outputs are being written: the server
watches the output folder and kills just after the n-th temporary file appears.
Ctrl-C is tested on real ``ethostyle`` processes.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from ethostyle import io
from ethostyle.data import Dataset
from ethostyle.io import write_probabilities
from ethostyle.models.store import load_model
from support import (
    CLI,
    SUBPROCESS_ENV,
    small_model_dir,
)

pytestmark = pytest.mark.slow

_FORK_SERVER = r"""
import json, os, signal, sys, time
import ethostyle.cli, ethostyle.io, ethostyle.models.store, ethostyle.models.base

def die_at_swap_step(step, when, exchange):
    # SIGKILL this process before or after its `step`-th rename/replace/exchange
    import ethostyle.atomic as atomic
    count = [0]
    def wrap(function):
        def steps(*args, **kwargs):
            count[0] += 1
            if count[0] == step and when == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = function(*args, **kwargs)
            if count[0] == step and when == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return steps
    if exchange:
        atomic._exchange = wrap(atomic._exchange)
    else:  # as on a system without renameat2
        atomic._renameat2 = lambda: None
    os.rename = wrap(os.rename)
    os.replace = wrap(os.replace)

def child(plan):
    log = os.open(plan["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(log, 1)
    os.dup2(log, 2)
    if "swap_step" in plan:
        die_at_swap_step(plan["swap_step"], plan["when"], plan["exchange"])
    sys.argv = ["ethostyle", *plan["args"]]
    try:
        ethostyle.cli.run()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)

def temp_files(folder):
    return {n for n in os.listdir(folder) if n.startswith(".") and n.endswith(".tmp")}

for line in sys.stdin:
    plan = json.loads(line)
    pid = os.fork()
    if pid == 0:
        child(plan)
    start = time.monotonic()
    kill_at = start + plan["after_s"] if "after_s" in plan else None
    seen = set()
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        now = time.monotonic()
        if kill_at is None and "watch" in plan:
            seen |= temp_files(plan["watch"])
            if len(seen) >= plan["nth_temp"]:
                kill_at = now + plan["then_s"]
        if kill_at is not None and now >= kill_at:
            os.kill(pid, signal.SIGKILL)  # not reaped yet, so still our child
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.0005)
    print(json.dumps({
        "killed": os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL,
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "seconds": time.monotonic() - start,
    }), flush=True)
"""


class ForkServer:
    """Runs ``ethostyle`` commands as forked children and kills them as planned."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _FORK_SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**SUBPROCESS_ENV, "OPENBLAS_NUM_THREADS": "1"},
        )

    def run(self, args: list[object], log: Path, **plan: object) -> dict[str, object]:
        """Run ``ethostyle ARGS``; ``plan`` says when to kill it (default: never)."""
        assert self._process.stdin and self._process.stdout
        line = json.dumps({"args": [str(a) for a in args], "log": str(log), **plan})
        self._process.stdin.write(line + "\n")
        self._process.stdin.flush()
        reply = self._process.stdout.readline()
        assert reply, "the fork server died"
        return json.loads(reply)

    def close(self) -> None:
        assert self._process.stdin
        try:
            self._process.stdin.close()
        except BrokenPipeError:  # it died; the failing test says why
            pass
        self._process.wait(timeout=60)


@pytest.fixture(scope="module")
def server():
    fork_server = ForkServer()
    yield fork_server
    fork_server.close()


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every visible (non-temporary) file under ``folder``, by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def hidden_leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# ----------------------------------------------------------------------------- predict

OUTPUTS = ("submission.npy", "proba.npz", "bouts.csv")


@dataclass(frozen=True)
class PredictCase:
    test_file: Path
    old: dict[str, bytes]
    new: dict[str, bytes]
    seconds: float

    @staticmethod
    def args(test_file: Path, folder: Path) -> list[object]:
        return [
            "predict",
            small_model_dir(),
            test_file,
            "--out",
            folder / OUTPUTS[0],
            "--probabilities",
            folder / OUTPUTS[1],
            "--bouts",
            folder / OUTPUTS[2],
        ]


@pytest.fixture(scope="module")
def predict_case(tiny, tmp_path_factory, server) -> PredictCase:
    root = tmp_path_factory.mktemp("kill-predict")
    test = tiny.test
    test_file = io.save_test_npy(test, root / "test.npy")
    old_dir = root / "old"
    io.save_submission({s.id: np.full(s.n_frames, 3) for s in test}, old_dir / OUTPUTS[0])
    write_probabilities(
        {s.id: np.full((s.n_frames, 4), 0.25, np.float32) for s in test}, old_dir / OUTPUTS[1]
    )
    (old_dir / OUTPUTS[2]).write_text("sequence,annotator_style,behavior\n")
    new_dir = root / "new"
    new_dir.mkdir()
    done = server.run(PredictCase.args(test_file, new_dir), root / "new.log")
    assert done["exit"] == 0, (root / "new.log").read_text()
    # the uninterrupted outputs are complete and valid
    io.validate_submission(io.load_submission(new_dir / OUTPUTS[0]), test)
    with np.load(new_dir / OUTPUTS[1]) as npz:
        assert set(npz) == {"__vocabulary__", *test.ids}
    assert (new_dir / OUTPUTS[2]).read_text().startswith("sequence,annotator_style")
    return PredictCase(test_file, snapshot(old_dir), snapshot(new_dir), float(done["seconds"]))


def check_predict_outputs(folder: Path, case: PredictCase) -> dict[str, str]:
    """Assert each output is the old file or the whole new one; say which."""
    now = snapshot(folder)
    assert sorted(now) == sorted(OUTPUTS), f"outputs missing or stray files: {sorted(now)}"
    state = {}
    for name in OUTPUTS:
        assert now[name] in (case.old[name], case.new[name]), f"{name} is half-written"
        state[name] = "new" if now[name] == case.new[name] else "old"
    return state


def fresh_folder(root: Path, name: str, old: dict[str, bytes]) -> Path:
    folder = root / name
    folder.mkdir()
    for file, data in old.items():
        (folder / file).write_bytes(data)
    return folder


def test_predict_killed_at_20_random_moments_leaves_old_or_whole_outputs(
    tmp_path, server, predict_case
):
    rng = np.random.default_rng(20)
    kills, states, mid_write = 0, [], 0
    for attempt in range(60):
        if kills == 20:
            break
        folder = fresh_folder(tmp_path, f"run{attempt}", predict_case.old)
        if attempt % 2:  # anywhere in the run
            plan: dict[str, object] = {"after_s": rng.uniform(0.02, 1.0) * predict_case.seconds}
        else:  # while the n-th output is being written
            plan = {"watch": str(folder), "nth_temp": int(rng.integers(1, 4))}
            plan["then_s"] = rng.uniform(0, 0.004)
        log = tmp_path / f"run{attempt}.log"
        result = server.run(PredictCase.args(predict_case.test_file, folder), log, **plan)
        assert result["killed"] or result["exit"] == 0, log.read_text()
        states.append(check_predict_outputs(folder, predict_case))
        kills += bool(result["killed"])
        mid_write += bool(result["killed"] and hidden_leftovers(folder))
    assert kills == 20
    replaced = [sum(s[name] == "new" for name in OUTPUTS) for s in states]
    print(f"outputs replaced per run: {replaced}; killed mid-write: {mid_write}")
    assert 0 in replaced


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("step", [1, 2, 3])
def test_predict_killed_at_each_file_swap_leaves_old_or_whole_outputs(
    tmp_path, server, predict_case, step, when
):
    folder = fresh_folder(tmp_path, "out", predict_case.old)
    plan = {"swap_step": step, "when": when, "exchange": True}
    result = server.run(PredictCase.args(predict_case.test_file, folder), tmp_path / "log", **plan)
    assert result["killed"], (tmp_path / "log").read_text()
    state = check_predict_outputs(folder, predict_case)
    replaced = step - (when == "before")
    assert [state[name] for name in OUTPUTS] == ["new"] * replaced + ["old"] * (3 - replaced)


# ----------------------------------------------------------------------------- train


@dataclass(frozen=True)
class TrainCase:
    train_file: Path
    old: dict[str, bytes]
    new: dict[str, bytes]
    seconds: float


@pytest.fixture(scope="module")
def train_case(tiny, tmp_path_factory, server) -> TrainCase:
    root = tmp_path_factory.mktemp("kill-train")
    picks = [s for s in tiny.train if s.annotator_id == 0][:3]
    picks += [s for s in tiny.train if s.annotator_id == 1]
    small = Dataset(
        s.__class__(s.id, s.keypoints[:300], s.annotator_id, s.labels[:300]) for s in picks
    )
    train_file = io.save_train_npy(small, root / "train.npy")
    new_dir = root / "new"
    new_dir.mkdir()
    done = server.run(["train", train_file, "--out", new_dir / "model"], root / "new.log")
    assert done["exit"] == 0, (root / "new.log").read_text()
    load_model(new_dir / "model")
    return TrainCase(
        train_file,
        snapshot(small_model_dir()),
        snapshot(new_dir / "model"),
        float(done["seconds"]),
    )


def check_model(folder: Path, case: TrainCase) -> str:
    """Assert the model directory is the old one or the whole new one; say which."""
    model = folder / "model"
    assert model.is_dir(), f"no model at {model}: {hidden_leftovers(folder)}"
    now = snapshot(model)
    assert now in (case.old, case.new), "the model directory is a mixture or half-written"
    load_model(model)
    return "new" if now == case.new else "old"


def fresh_model_folder(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir()
    shutil.copytree(small_model_dir(), folder / "model")
    return folder


def test_train_killed_at_random_moments_leaves_the_old_or_the_whole_new_model(
    tmp_path, server, train_case
):
    rng = np.random.default_rng(4)
    kills, states = 0, set()
    for attempt in range(12):
        if kills == 4:
            break
        folder = fresh_model_folder(tmp_path, f"run{attempt}")
        if attempt % 2:
            plan: dict[str, object] = {"after_s": rng.uniform(0.05, 1.0) * train_case.seconds}
        else:  # while the model directory is being written
            plan = {"watch": str(folder), "nth_temp": 1, "then_s": rng.uniform(0, 0.01)}
        args = ["train", train_case.train_file, "--out", folder / "model"]
        result = server.run(args, tmp_path / f"run{attempt}.log", **plan)
        assert result["killed"] or result["exit"] == 0
        states.add(check_model(folder, train_case))
        kills += bool(result["killed"])
    assert kills == 4
    assert "old" in states


@pytest.mark.parametrize("when", ["before", "after"])
@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "two renames"])
def test_train_killed_at_the_directory_swap_never_loses_the_model(
    tmp_path, server, train_case, when, exchange
):
    folder = fresh_model_folder(tmp_path, "out")
    plan = {"swap_step": 1, "when": when, "exchange": exchange}
    args = ["train", train_case.train_file, "--out", folder / "model"]
    result = server.run(args, tmp_path / "log", **plan)
    assert result["killed"], (tmp_path / "log").read_text()
    if exchange or when == "before":
        assert check_model(folder, train_case) == ("new" if exchange and when == "after" else "old")
    else:
        # Without renameat2 the old directory is moved aside first; killed right then,
        # the model path is empty but the old model sits whole beside it.
        assert not (folder / "model").exists()
        (aside,) = [p for p in folder.iterdir() if p.name.startswith(".model.old-")]
        assert snapshot(aside) == train_case.old


# ----------------------------------------------------------------------------- Ctrl-C


def _wait_for_library(process: subprocess.Popen, name: str, timeout: float = 60) -> None:
    """Wait until ``process`` has loaded a shared library: it is inside the command."""
    deadline = time.monotonic() + timeout
    maps = Path(f"/proc/{process.pid}/maps")
    while time.monotonic() < deadline and process.poll() is None:
        if name in maps.read_text():
            return
        time.sleep(0.005)
    raise AssertionError(f"{name} never loaded")


def _restore_sigint() -> None:
    # A shell starts background jobs with SIGINT ignored, and Python then never turns
    # Ctrl-C into KeyboardInterrupt: give the child the default, as a terminal would.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args: list[object]) -> subprocess.Popen:
    return subprocess.Popen(
        [*CLI, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=SUBPROCESS_ENV,
        preexec_fn=_restore_sigint,
    )


def _interrupt(process: subprocess.Popen) -> subprocess.CompletedProcess[str]:
    """Send Ctrl-C's signal to ``process`` and collect what it printed."""
    try:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_ctrl_c_during_predict_exits_cleanly_and_keeps_old_outputs(tmp_path, predict_case):
    # On a fast machine predict may finish before the signal lands: then its outputs must
    # be whole and new, and another try is made (at most 3) to catch it mid-way.
    for attempt in range(3):
        folder = fresh_folder(tmp_path, f"out{attempt}", predict_case.old)
        process = _start(PredictCase.args(predict_case.test_file, folder))
        _wait_for_library(process, "lib_lightgbm")  # imported inside the command
        done = _interrupt(process)
        if done.returncode != 0:
            break
        assert check_predict_outputs(folder, predict_case) == dict.fromkeys(OUTPUTS, "new")
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    assert "interrupted: files reported as written above are complete" in done.stderr
    assert check_predict_outputs(folder, predict_case) == dict.fromkeys(OUTPUTS, "old")
    assert hidden_leftovers(folder) == []  # Ctrl-C, unlike SIGKILL, lets cleanup run


def test_ctrl_c_while_predict_writes_keeps_what_it_reported_written(tmp_path, predict_case):
    folder = fresh_folder(tmp_path, "out", predict_case.old)
    process = _start(PredictCase.args(predict_case.test_file, folder))
    assert process.stdout
    first = process.stdout.readline()  # "wrote submission: ..."
    done = _interrupt(process)
    assert "Traceback" not in done.stderr
    state = check_predict_outputs(folder, predict_case)
    written = re.findall(r"wrote (submission|probabilities|bouts)", first + done.stdout)
    assert [state[name] for name in OUTPUTS] == ["new"] * len(written) + ["old"] * (
        3 - len(written)
    )
    if done.returncode == 0:  # it finished before the signal came
        assert len(written) == 3
    else:
        assert done.returncode == 130, done.stderr
        assert "interrupted: files reported as written above are complete" in done.stderr
        assert hidden_leftovers(folder) == []


def test_ctrl_c_during_train_exits_cleanly_and_keeps_the_old_model(tmp_path, train_case):
    # On a fast machine train may finish before the signal lands: then the model must be
    # the whole new one, and another try is made (at most 3) to catch it mid-way.
    for attempt in range(3):
        folder = fresh_model_folder(tmp_path, f"out{attempt}")
        process = _start(["train", train_case.train_file, "--out", folder / "model"])
        _wait_for_library(process, "lib_lightgbm")
        time.sleep(0.1)
        done = _interrupt(process)
        if done.returncode != 0:
            break
        assert check_model(folder, train_case) == "new"
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and "interrupted" in done.stderr
    assert check_model(folder, train_case) == "old"
    assert hidden_leftovers(folder) == []
