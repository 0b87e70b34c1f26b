"""Tests of what every command shares (``ethostyle.cli.app``: help, error lines, the
score table, progress bars) and of the rough edges a new user met: the challenge's own
file set from ``simulate --layout mabe2021``, ``predict --style`` and ``--fps``, and the
demo's progress bars."""

from __future__ import annotations

import io as io_module
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import typer
from rich.progress import Progress
from sklearn.metrics import f1_score
from typer.testing import CliRunner

from ethostyle import io
from ethostyle.cli import app
from ethostyle.cli.app import RichProgress
from ethostyle.data import Dataset, Sequence
from ethostyle.simulate import simulate, write_simulation

MODEL_V1 = Path(__file__).parent / "data" / "models_v1" / "gbdt"  # styles 0, 1, 2


def run(*args: object):
    result = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def flat(text: str) -> str:
    """Text with rich's box characters and line wrapping taken out."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


@pytest.fixture(scope="module")
def mabe(tmp_path_factory) -> dict[str, Path]:
    return write_simulation(
        simulate("tiny", seed=2), tmp_path_factory.mktemp("mabe"), layout="mabe2021"
    )


# ------------------------------------------------------------ the challenge's own file set
def test_mabe2021_layout_writes_the_challenge_files_by_name_and_layout(tmp_path) -> None:
    result = run("simulate", "--preset", "tiny", "--layout", "mabe2021", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.npy"))
    assert written == [
        "sample_submission.npy", "task1/train.npy", "task2/train.npy", "test.npy",
        "test_labels.npy",
    ]  # fmt: skip
    task1 = io.load_train_npy(tmp_path / "task1" / "train.npy")
    task2 = io.load_train_npy(tmp_path / "task2" / "train.npy")
    test = io.load_test_npy(tmp_path / "test.npy")
    assert task1.annotators == [0] and task2.annotators == [1, 2, 3, 4, 5]
    assert test.annotators == [0, 1, 2, 3, 4, 5] and not any(s.labels is not None for s in test)
    assert not set(test.ids) & (set(task1.ids) | set(task2.ids))
    # The layouts of docs/formats.md, as plain numpy reads them.
    raw = np.load(tmp_path / "task2" / "train.npy", allow_pickle=True).item()
    assert sorted(raw) == ["sequences", "vocabulary"]
    assert raw["vocabulary"] == ["attack", "investigation", "mount", "other"]
    entry = next(iter(raw["sequences"].values()))
    assert sorted(entry) == ["annotations", "annotator_id", "keypoints"]
    assert entry["keypoints"].shape[1:] == (2, 2, 7)
    raw_test = np.load(tmp_path / "test.npy", allow_pickle=True).item()
    assert sorted(next(iter(raw_test.values()))) == ["annotator_id", "keypoints"]
    io.attach_labels(test, io.load_labels(tmp_path / "test_labels.npy"))
    io.validate_submission(io.load_submission(tmp_path / "sample_submission.npy"), test)
    for name, kind in (
        ("task1/train.npy", "train"),
        ("task2/train.npy", "train"),
        ("test.npy", "test"),
        ("test_labels.npy", "labels"),
    ):
        checked = run("validate", tmp_path / name)
        assert checked.exit_code == 0 and f"{kind} file" in checked.stdout, checked.output
    checked = run("validate", tmp_path / "sample_submission.npy", "--test", tmp_path / "test.npy")
    assert checked.exit_code == 0 and "submission file" in checked.stdout


def test_the_readme_takes_the_challenge_files_from_train_to_evaluate() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## MABe 2021 Task 2 from the challenge files", 1)[1].split("\n## ")[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1)
    commands = [line.split("  #")[0].split() for line in block.splitlines()]
    commands = [c for c in commands if c and c[0] == "ethostyle"]
    assert [c[1] for c in commands] == [
        "simulate", "train", "adapt", "predict", "validate", "evaluate",
    ]  # fmt: skip
    # The files it names are the ones `simulate --layout mabe2021` writes.
    named = {word for c in commands[1:] for word in c if word.startswith("mabe/")}
    assert named == {
        "mabe/task1/train.npy", "mabe/task2/train.npy", "mabe/test.npy", "mabe/test_labels.npy",
    }  # fmt: skip


def test_an_unknown_layout_is_refused(tmp_path) -> None:
    result = run("simulate", "--preset", "tiny", "--layout", "aicrowd", "--out", tmp_path)
    assert result.exit_code == 1 and "'combined' or 'mabe2021'" in result.stderr


# ------------------------------------------------------------------ help and error text
def test_help_shows_the_extras_in_brackets_and_no_type_after_a_flag() -> None:
    helps = {name: run(name, "--help") for name in ("train", "predict")}
    assert all(h.exit_code == 0 for h in helps.values())
    assert "ethostyle[torch]" in flat(helps["train"].stdout)
    assert "ethostyle[distributed]" in flat(helps["predict"].stdout)
    commands = [c.name for c in app.registered_commands]
    for name in [None, *commands]:
        text = run(*([] if name is None else [name]), "--help").stdout
        assert "<bool>" not in text, name
        assert re.search(r"--help\s+Show this message", flat(text)), name


def test_a_missing_extra_is_named_with_its_brackets(monkeypatch, mabe) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails
    result = run("train", mabe["task1_train"], "--model", "tcn", "--out", "never-written")
    assert result.exit_code == 1
    assert "pip install 'ethostyle[torch]'" in flat(result.stderr)
    monkeypatch.setitem(sys.modules, "movement", None)
    pose = mabe["test"].parent / "video.h5"
    pose.write_bytes(b"")
    result = run("import-pose", pose, "--fps", 25, "--out", pose.with_suffix(".npy"))
    assert result.exit_code == 1 and "ethostyle[pose]" in flat(result.stderr)


# ---------------------------------------------------------------------------- score table
def test_evaluate_prints_n_a_for_a_behaviour_neither_side_has(tmp_path) -> None:
    kp = np.zeros((6, 2, 2, 7), np.float32) + np.arange(7, dtype=np.float32)
    test = Dataset([Sequence("a", kp, 1), Sequence("b", kp, 2)])
    true = {"a": np.array([1, 1, 3, 3, 3, 3]), "b": np.array([0, 0, 2, 2, 3, 3])}
    pred = {"a": np.array([1, 3, 3, 3, 3, 3]), "b": np.array([0, 0, 2, 3, 3, 3])}
    io.save_test_npy(test, tmp_path / "test.npy")
    io.save_labels_npy(true, tmp_path / "labels.npy")
    io.save_submission(pred, tmp_path / "sub.npy")
    result = run("evaluate", tmp_path / "sub.npy", tmp_path / "test.npy", tmp_path / "labels.npy")
    assert result.exit_code == 0, result.output
    cells = [[c.strip() for c in line.split("│")[1:-1]] for line in result.stdout.splitlines()]
    rows = {row[0]: row[2:] for row in cells if row}  # annotator -> F1 per class, macro, ...
    assert rows["1"][:3] == ["n/a", "0.667", "n/a"]  # annotator 1: neither has attack, mount
    assert rows["2"][:3] == ["1.000", "n/a", "0.667"]
    assert "means over attack, investigation and mount" in flat(result.stdout)
    assert "n/a: neither the labels nor the predictions have the behaviour" in flat(result.stdout)
    # The challenge's score is unchanged: the absent class counts as 0.
    f1 = float(re.search(r"task2_f1=(\S+)", result.stdout).group(1))
    pooled = f1_score(
        np.concatenate(list(true.values())),
        np.concatenate(list(pred.values())),
        labels=[0, 1, 2],
        average="macro",
        zero_division=0,
    )
    assert f1 == pytest.approx(pooled, abs=1e-6)
    own = f1_score(true["a"], pred["a"], labels=[0, 1, 2], average="macro", zero_division=0)
    assert rows["1"][3] == f"{own:.3f}"  # a row's macro counts an n/a class as 0 too


# -------------------------------------------------------------------------- progress bars
def test_a_step_with_nothing_to_do_draws_no_bar() -> None:
    with Progress(disable=True) as bars:
        progress = RichProgress(bars)
        progress.task("style models", 0)(1)
        assert bars.tasks == []
        progress.task("features", 10)(10)
        assert [(t.description, t.completed, t.total) for t in bars.tasks] == [("features", 10, 10)]


def test_the_demo_names_its_two_prediction_bars_apart(monkeypatch, tmp_path) -> None:
    import ethostyle.demo as demo

    class Stop(Exception):
        pass

    class Fitted:
        reference_annotator = 0

        def __init__(self, **_params) -> None:
            pass

        def fit(self, _train, progress):
            return self

    names: list[str] = []

    class Recorder:
        def task(self, description, total):
            names.append(description)
            return lambda n: None

    def predict(model, dataset, *, style=None, progress):
        progress.task("predicting", dataset.n_frames)
        if len(names) == 2:
            raise Stop

    monkeypatch.setattr(demo, "StyleTransferModel", Fitted)
    monkeypatch.setattr(demo, "save_model", lambda model, path: path)
    monkeypatch.setattr(demo, "predict_dataset", predict)
    with pytest.raises(Stop):
        demo.run_demo(tmp_path, preset="tiny", progress=Recorder())
    assert len(names) == 2 and names[0] != names[1], names


# ------------------------------------------------------------------- predict --style/--fps
def _short_test_file(mabe, path: Path, annotator: int, frames: int = 240) -> Path:
    seq = next(iter(io.load_test_npy(mabe["test"])))
    io.save_test_npy(Dataset([Sequence("v", seq.keypoints[:frames], annotator)]), path)
    return path


def test_predict_refuses_a_style_the_model_does_not_have(mabe, tmp_path) -> None:
    out = tmp_path / "sub.npy"
    result = run("predict", MODEL_V1, mabe["test"], "--style", 9, "--out", out)
    assert result.exit_code == 1
    assert "--style 9: annotator 9 has no style in this model (known: [0, 1, 2])" in flat(
        result.stderr
    )
    assert not out.exists()


def test_predict_labels_an_unknown_annotator_in_the_reference_style_with_a_warning(
    mabe, tmp_path
) -> None:
    test = _short_test_file(mabe, tmp_path / "seven.npy", annotator=7)
    result = run("predict", MODEL_V1, test, "--out", tmp_path / "sub.npy")
    assert result.exit_code == 0, result.output
    assert flat(result.stderr).count("warning:") == 1
    assert "annotator 7 has no style in this model" in flat(result.stderr)
    reference = run("predict", MODEL_V1, test, "--style", 0, "--out", tmp_path / "ref.npy")
    assert reference.exit_code == 0, reference.output
    np.testing.assert_array_equal(
        io.load_submission(tmp_path / "sub.npy")["v"], io.load_submission(tmp_path / "ref.npy")["v"]
    )


def test_predict_fps_writes_one_label_per_frame_of_the_original_video(mabe, tmp_path) -> None:
    test = _short_test_file(mabe, tmp_path / "lab.npy", annotator=1, frames=299)
    labels = tmp_path / "labels25.npy"
    result = run("predict", MODEL_V1, test, "--fps", 25, "--out", labels)
    assert result.exit_code == 0, result.output
    assert "wrote labels at 25 Hz" in result.stdout
    # 250 frames at 25 Hz were resampled to 299 at 30 Hz by import-pose.
    assert io.load_labels(labels)["v"].shape == (250,)
    bad = run("predict", MODEL_V1, test, "--fps", 0, "--out", labels)
    assert bad.exit_code == 1 and "--fps 0" in bad.stderr


# ------------------------------------------------ help, options and tables (issue 19, part 5)
def _command_names() -> list[str]:
    return sorted(typer.main.get_command(app).commands)


def _help(*command: str, columns: int = 80) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_help_shows_no_python_types_and_one_placeholder_rule() -> None:
    for name in _command_names():
        text = _help(name)
        # typer's own placeholders: <path>, <list[Path]>, <float range> [x>=1e-06], {file}
        assert not re.search(r"<(path|int|float|str|list\[|bool)", text), (name, text)
        assert "{" not in text.split("Usage:")[1].split("\n")[0], (name, text)
        assert "x>=" not in text and "x<=" not in text, (name, text)
    assert "Usage: ethostyle predict [OPTIONS] MODEL_DIR TEST_FILES..." in _help("predict")
    options = flat(_help("predict"))
    assert "--out PATH" in options and "--style INTEGER" in options and "--fps NUMBER" in options
    assert "--px-per-cm NUMBER Pixels per centimetre" in flat(_help("describe-style"))


def test_help_lists_every_fixed_choice() -> None:
    from ethostyle.models import families
    from ethostyle.simulate import LAYOUTS, PRESETS

    names = [family.name for family in families()]

    simulate_help, train_help = flat(_help("simulate")), flat(_help("train"))
    assert f"--preset {'|'.join(PRESETS)}" in simulate_help
    assert f"--layout {'|'.join(LAYOUTS)}" in simulate_help
    assert f"--preset {'|'.join(PRESETS)}" in flat(_help("demo"))
    assert f"--model {'|'.join(names)}" in train_help
    assert "--device cpu|cuda" in train_help
    assert "--format xlsx|ods|csv|tsv" in flat(_help("export-boris"))


def test_commands_are_listed_in_the_order_of_the_work() -> None:
    from ethostyle.cli.app import WORKFLOW_ORDER

    listed = re.findall(r"(?m)^│ ([a-z][a-z-]+) ", _help().split("Commands")[1])
    assert listed == list(WORKFLOW_ORDER)
    assert sorted(listed) == _command_names()
    assert listed[:2] == ["demo", "simulate"] and listed.index("train") < listed.index("predict")


def test_every_command_takes_quiet_and_verbose_and_every_computing_one_threads() -> None:
    from ethostyle.cli.app import COMPUTING

    assert COMPUTING == {
        "demo", "simulate", "train", "adapt", "suggest", "predict", "evaluate", "compare",
        "compare-labels",
    }  # fmt: skip
    for name in _command_names():
        text = flat(_help(name, columns=200))
        assert "--quiet -q" in text and "--verbose -v" in text, name
        assert ("--threads INTEGER" in text) == (name in COMPUTING), name


def test_threads_limits_every_library_and_the_prediction_pool(mabe, tmp_path) -> None:
    from threadpoolctl import threadpool_info, threadpool_limits

    from ethostyle.threads import limit_threads, thread_count

    test = _short_test_file(mabe, tmp_path / "one.npy", annotator=1)
    with threadpool_limits(limits=None):  # restores the libraries' threads afterwards
        try:
            result = run("predict", MODEL_V1, test, "--out", tmp_path / "sub.npy", "--threads", 1)
            assert result.exit_code == 0, result.output
            assert thread_count() == 1 and os.environ["OMP_NUM_THREADS"] == "1"
            assert {pool["num_threads"] for pool in threadpool_info()} == {1}
        finally:
            limit_threads(None)
    assert (
        run("predict", MODEL_V1, test, "--out", tmp_path / "s.npy", "--threads", 0).exit_code == 2
    )


def test_quiet_prints_only_warnings_and_errors(mabe, tmp_path) -> None:
    test = _short_test_file(mabe, tmp_path / "seven.npy", annotator=7)
    for quiet in (["--quiet", "predict"], ["predict", "-q"]):
        result = run(*quiet, MODEL_V1, test, "--out", tmp_path / "sub.npy")
        assert result.exit_code == 0 and result.stdout == "", result.output
        assert flat(result.stderr).startswith("warning: sequence 'v': annotator 7 has no style")
        assert "predicting" not in result.stderr  # no progress bar
    assert "wrote submission" in run("predict", MODEL_V1, test, "--out", tmp_path / "s.npy").stdout
    assert run("validate", test, "--quiet").stdout == ""
    files = (mabe["sample_submission"], mabe["test"], mabe["test_labels"])
    scored = run("evaluate", *files, "--quiet")  # the score is the result: kept
    assert scored.exit_code == 0, scored.output
    assert re.fullmatch(r"task2_f1=\S+ task2_precision=\S+\n", scored.stdout), scored.stdout


def test_the_score_table_fits_an_80_column_terminal(monkeypatch) -> None:
    from rich.console import Console

    from ethostyle.metrics import task2_score

    app_module = sys.modules["ethostyle.cli.app"]  # the module: its name `app` is the app

    rng = np.random.default_rng(0)
    truth = {f"s{a}": rng.integers(0, 4, 300) for a in range(6)}
    score = task2_score(
        truth, {k: np.roll(v, 3) for k, v in truth.items()}, {f"s{a}": a for a in range(6)}
    )
    narrow = Console(width=80, record=True, file=io_module.StringIO())
    monkeypatch.setattr(app_module, "console", narrow)
    app_module.print_score_table(score)
    text = narrow.export_text()
    assert "…" not in text and max(map(len, text.splitlines())) <= 80
    for header in ("annotator", "frames", "attack", "investigation", "mount", "macro F1"):
        assert header in text
    assert re.search(r"│ pooled +│", text)


def test_the_readme_writes_each_command_of_its_using_it_block_to_its_own_place() -> None:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Using it on your files", 1)[1].split("\n## ")[0]
    block = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1).replace("\\\n", " ")
    commands = [line.split("  #")[0].split() for line in block.splitlines()]
    outs = [c[c.index("--out") + 1] for c in commands if "--out" in c]
    assert len(outs) >= 6 and len(set(outs)) == len(outs), outs  # none overwrites another's
    counts = set(re.findall(r"(\d[\d,]*) tests\b", readme))
    assert len(counts) <= 1, counts  # the suite's size, given one way
    assert (
        "example-lab-files --out lab"
        in (Path(__file__).parents[1] / "docs/walkthrough.md").read_text()
    )
