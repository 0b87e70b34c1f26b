"""Untrusted files through the newer commands: compare, compare-labels, import-pose,
import-labels, export-boris. A hostile file never runs code, a malformed one gets one
message, and outputs are complete or absent.

Poses for the DeepLabCut files are written by ``movement``'s own writer and re-saved
the way DeepLabCut saves them (a pandas "table", which keeps its layout in pickles).
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tables
from movement.io import load_poses, save_poses

from ethostyle import io
from ethostyle.data import BODY_PARTS
from support import (
    assert_clean_error,
    assert_success,
    invoke,
    save_pickle_npy,
    small_model_dir,
    tiny_simulation,
    touch,
    warnings_in,
)

# ----------------------------------------------------------------------------- DeepLabCut .h5


@pytest.fixture(scope="module")
def dlc_table(tiny, tmp_path_factory) -> Path:
    """A two-mouse DeepLabCut .h5 as DeepLabCut writes it (pandas table format)."""
    kp = next(iter(tiny.test)).keypoints[:90].astype(np.float64)
    confidence = np.random.default_rng(0).uniform(0.5, 1.0, (len(kp), 7, 2))
    ds = load_poses.from_numpy(
        np.transpose(kp, (0, 2, 3, 1)),
        confidence,
        individual_names=["resident", "intruder"],
        keypoint_names=list(BODY_PARTS),
        fps=30,
        source_software="DeepLabCut",
    )
    folder = tmp_path_factory.mktemp("dlc")
    save_poses.to_dlc_file(ds, folder / "movement.h5")
    frame = pd.read_hdf(folder / "movement.h5", "df_with_missing")
    path = folder / "videoDLC_resnet50.h5"
    frame.to_hdf(path, key="df_with_missing", format="table", mode="w")
    return path


def test_deeplabcut_table_file_imports(dlc_table, tmp_path):
    with tables.open_file(dlc_table) as fh:  # it really holds pickled layout attributes
        assert isinstance(fh.get_node("/df_with_missing")._v_attrs.non_index_axes, list)
    out = tmp_path / "poses.npy"
    assert_success(invoke("import-pose", dlc_table, "--fps", 30, "--out", out))
    assert io.load(out).n_frames == 90


def _with_hostile_attribute(source: Path, path: Path, marker: Path) -> Path:
    path.write_bytes(source.read_bytes())
    with tables.open_file(path, "a") as fh:
        fh.get_node("/df_with_missing")._v_attrs.provenance = touch(marker)
    return path


def _with_hostile_object_column(path: Path, marker: Path) -> Path:
    frame = pd.DataFrame({"x": np.arange(3.0), "note": [touch(marker), "a", "b"]})
    frame.to_hdf(path, key="df_with_missing", format="fixed", mode="w")
    return path


@pytest.mark.filterwarnings("ignore::pandas.errors.PerformanceWarning")  # "will pickle"
@pytest.mark.parametrize("hiding_place", ["attribute", "object column"])
def test_deeplabcut_h5_that_runs_code_is_refused(dlc_table, tmp_path, hiding_place):
    control_marker, marker = tmp_path / "control-ran", tmp_path / "ran"
    build = {
        "attribute": lambda p, m: _with_hostile_attribute(dlc_table, p, m),
        "object column": _with_hostile_object_column,
    }[hiding_place]
    # the control: pandas, as movement calls it, runs the hidden code
    control = build(tmp_path / "controlDLC.h5", control_marker)
    try:
        pd.read_hdf(control, "df_with_missing")
    except Exception:  # the payload ran; what it returned is no table
        pass
    assert control_marker.exists()
    path = build(tmp_path / "videoDLC_resnet50.h5", marker)
    result = invoke("import-pose", path, "--out", tmp_path / "poses.npy")
    assert_clean_error(result, re.escape(str(path)), "never runs code")
    assert not marker.exists() and not (tmp_path / "poses.npy").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("videoDLC.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 50),
        ("videoDLC.h5", b"not hdf5 at all"),
        ("video.csv", b"scorer,a\nbodyparts,b\n1,2\n"),
        ("video.slp", b"garbage"),
        ("video.nwb", b""),
        ("video.txt", b"x"),
    ],
    ids=["broken hdf5", "text as .h5", "malformed csv", "garbage .slp", "empty .nwb", "unknown"],
)
def test_malformed_pose_file_gets_one_message(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    result = invoke("import-pose", path, "--out", tmp_path / "poses.npy")
    assert_clean_error(result, re.escape(str(path)))
    assert not (tmp_path / "poses.npy").exists()


# ----------------------------------------------------------------------------- hostile .npy


@pytest.fixture
def hostile(tmp_path) -> tuple[Path, Path]:
    marker = tmp_path / "ran"
    path = tmp_path / "hostile.npy"
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": "|O", "fortran_order": False, "shape": ()}
        )
        fh.write(pickle.dumps(touch(marker), protocol=2))
    return path, marker


def _label_file(tmp_path: Path) -> Path:
    test = tiny_simulation().test
    return io.save_labels_npy({s.id: s.labels for s in test}, tmp_path / "labels.npy")


COMMANDS = {
    "compare": lambda h, tmp: ["compare", small_model_dir(), h, "--out", tmp / "report"],
    "compare-labels": lambda h, tmp: ["compare-labels", _label_file(tmp), h, "--out", tmp / "r"],
    "import-labels (poses)": lambda h, tmp: [
        "import-labels",
        h,
        _bouts_csv(tmp),
        "--annotator",
        "alice",
        "--out",
        tmp / "o.npy",
    ],
    "import-labels (base)": lambda h, tmp: [
        "import-labels",
        io.save_test_npy(tiny_simulation().test, tmp / "poses.npy"),
        _bouts_csv(tmp),
        "--annotator",
        "alice",
        "--base",
        h,
        "--out",
        tmp / "o.npy",
    ],
    "export-boris": lambda h, tmp: ["export-boris", h, "--out", tmp / "boris"],
    "suggest": lambda h, tmp: [
        "suggest",
        small_model_dir(),
        h,
        "--annotator",
        1,
        "--minutes",
        0.5,
        "--out",
        tmp / "s",
    ],
}


def _bouts_csv(tmp: Path) -> Path:
    path = tmp / "bouts.csv"
    sid = tiny_simulation().test.ids[0]
    path.write_text(f"sequence,behavior,start,stop\n{sid},attack,10,20\n")
    return path


@pytest.mark.parametrize("command", list(COMMANDS))
def test_hostile_npy_is_refused_by_the_newer_commands(tmp_path, hostile, command):
    path, marker = hostile
    result = invoke(*COMMANDS[command](path, tmp_path))
    assert_clean_error(result, re.escape(str(path)), "never runs code")
    assert not marker.exists()
    assert not {"report", "r", "o.npy", "boris", "s"} & {p.name for p in tmp_path.iterdir()}


@pytest.mark.parametrize("names", [{"alice": "x"}, {"alice": None}, {"alice": True}, ["alice"]])
def test_annotator_names_that_are_not_plain_are_refused(tiny, tmp_path, names):
    test = tiny.test.select(tiny.test.ids[:2])
    base = {
        "sequences": {
            s.id: {"keypoints": s.keypoints, "annotator_id": 0, "annotations": s.labels}
            for s in test
        },
        "annotator_names": names,
    }
    base_file = save_pickle_npy(tmp_path / "base.npy", base)
    poses = io.save_test_npy(test, tmp_path / "poses.npy")
    out = tmp_path / "o.npy"
    result = invoke(
        "import-labels",
        poses,
        _bouts_csv(tmp_path),
        "--annotator",
        "bob",
        "--base",
        base_file,
        "--out",
        out,
    )
    assert_clean_error(result, re.escape(str(base_file)), "annotator_names")
    assert not out.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\x00garbage",
        b"sequence,behavior,start,stop\nv,attack,ten,20\n",
        b"sequence,behavior,start,stop\nv,attack,20,10\n",
        b"",
        b'"unclosed,quote\n',
    ],
    ids=["not text", "start not a number", "stop before start", "empty", "broken quoting"],
)
def test_malformed_label_file_gets_one_message(tiny, tmp_path, content):
    test = tiny.test.select(tiny.test.ids[:1])
    poses = io.save_test_npy(test, tmp_path / "poses.npy")
    labels = tmp_path / "labels.csv"
    labels.write_bytes(content.replace(b"\nv,", f"\n{test.ids[0]},".encode()))
    result = invoke("import-labels", poses, labels, "--annotator", "a", "--out", tmp_path / "o.npy")
    assert_clean_error(result, re.escape(str(labels)))
    assert not (tmp_path / "o.npy").exists()


# ----------------------------------------------------------------------------- the other commands


@pytest.mark.parametrize("command", ["simulate", "demo", "example-lab-files"])
def test_output_folder_that_is_a_file_is_refused_and_kept(tmp_path, command):
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    args = {
        "simulate": ["simulate", "--preset", "tiny", "--out", existing],
        "demo": ["demo", "--preset", "tiny", "--out", existing],
        "example-lab-files": ["example-lab-files", "--out", existing],
    }[command]
    assert_clean_error(invoke(*args), re.escape(str(existing)))
    assert existing.read_text() == "keep me"


def test_unknown_simulation_preset_is_refused(tmp_path):
    result = invoke("simulate", "--preset", "huge", "--out", tmp_path / "sim")
    assert_clean_error(result, "unknown simulation preset 'huge'", "tiny")
    assert not (tmp_path / "sim").exists()


def test_scores_file_that_is_a_folder_is_refused(tiny, tmp_path):
    test = tiny.test
    test_file = io.save_test_npy(test, tmp_path / "test.npy")
    labels = io.save_labels_npy({s.id: s.labels for s in test}, tmp_path / "labels.npy")
    sub = io.save_submission({s.id: s.labels for s in test}, tmp_path / "sub.npy")
    folder = tmp_path / "scores"
    folder.mkdir()
    result = invoke("evaluate", sub, test_file, labels, "--json", folder)
    assert_clean_error(result, re.escape(str(folder)), "is a directory")


# --------------------------------------------- a bare machine and a lab's real files (issue 19)
MODEL_V1 = Path(__file__).parent / "data" / "models_v1" / "gbdt"  # styles 0, 1, 2
#: sysfs: no new file can be made there, not even by root (whom file modes do not stop).
UNWRITABLE = Path("/sys/ethostyle-output")


def _lab_sequences(
    tiny, annotators: tuple[int, ...] = (1, 2, 1), frames: int = 240
) -> dict[str, dict[str, object]]:
    """Test-file entries of the tiny simulation's poses, one sequence per annotator given."""
    sequences = list(tiny.test)[: len(annotators)]
    return {
        s.id: {"keypoints": s.keypoints[:frames].copy(), "annotator_id": who}
        for s, who in zip(sequences, annotators, strict=True)
    }


def _lab_test_file(tiny, path: Path, annotators: tuple[int, ...] = (1, 2, 1)) -> Path:
    return save_pickle_npy(path, {"sequences": _lab_sequences(tiny, annotators)})


@pytest.fixture
def scored_files(tiny, tmp_path) -> dict[str, Path]:
    test = _lab_test_file(tiny, tmp_path / "test.npy")
    ids = list(io.load_test_npy(test).ids)
    truth = {sid: np.full(240, 3) for sid in ids}
    return {
        "test": test,
        "labels": io.save_labels_npy(truth, tmp_path / "test_labels.npy"),
        "submission": io.save_submission(truth, tmp_path / "submission.npy"),
    }


def _unwritable_runs(files: dict[str, Path], tmp_path: Path) -> dict[str, list[object]]:
    missing = tmp_path / "missing.npy"  # reading it would fail: the output is checked first
    test, labels, sub = files["test"], files["labels"], files["submission"]
    return {
        "train": ["train", missing, "--out", UNWRITABLE / "model"],
        "adapt": ["adapt", MODEL_V1, missing, "--out", UNWRITABLE / "model"],
        "predict --out": ["predict", MODEL_V1, test, "--out", UNWRITABLE / "sub.npy"],
        "predict --probabilities": [
            "predict", MODEL_V1, test, "--out", tmp_path / "sub.npy",
            "--probabilities", UNWRITABLE / "p.npz",
        ],
        "predict --bouts": [
            "predict", MODEL_V1, test, "--out", tmp_path / "sub.npy",
            "--bouts", UNWRITABLE / "bouts.csv",
        ],
        "evaluate --json": ["evaluate", sub, test, labels, "--json", UNWRITABLE / "s.json"],
        "evaluate --report": ["evaluate", sub, test, labels, "--report", UNWRITABLE / "r"],
        "compare": ["compare", MODEL_V1, test, "--out", UNWRITABLE / "compare"],
        "compare-labels": ["compare-labels", missing, missing, "--out", UNWRITABLE / "c"],
        "simulate": ["simulate", "--preset", "tiny", "--out", UNWRITABLE / "sim"],
        "demo": ["demo", "--preset", "tiny", "--out", UNWRITABLE / "demo"],
        "import-pose": ["import-pose", missing, "--fps", 25, "--out", UNWRITABLE / "p.npy"],
        "import-labels": [
            "import-labels", missing, missing, "--annotator", "al", "--out", UNWRITABLE / "l.npy"
        ],
        "export-boris": ["export-boris", missing, "--out", UNWRITABLE / "boris"],
        "example-lab-files": ["example-lab-files", "--out", UNWRITABLE / "lab"],
        "suggest": [
            "suggest", MODEL_V1, test, "--annotator", 1, "--minutes", 0.5, "--out", UNWRITABLE / "s"
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    "command",
    [
        "train", "adapt", "predict --out", "predict --probabilities", "predict --bouts",
        "evaluate --json", "evaluate --report", "compare", "compare-labels", "simulate", "demo",
        "import-pose", "import-labels", "export-boris", "example-lab-files", "suggest",
    ],
)  # fmt: skip
def test_an_output_that_cannot_be_written_is_refused_before_the_work(
    scored_files, tmp_path, command
):
    with pytest.raises(OSError):  # the premise: nobody can write there
        (UNWRITABLE.parent / "probe").write_text("")
    args = _unwritable_runs(scored_files, tmp_path)[command]
    target = next(str(a) for a in args if str(a).startswith(str(UNWRITABLE)))
    message = assert_clean_error(invoke(*args), re.escape(target), "cannot be written")
    assert ".tmp" not in message  # the user's path, never the hidden temporary file
    assert "task2_f1" not in message and not (tmp_path / "sub.npy").exists()


def test_a_file_in_the_way_of_an_output_folder_is_refused_before_the_work(tiny, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me")
    test = _lab_test_file(tiny, tmp_path / "test.npy")
    result = invoke("predict", MODEL_V1, test, "--out", notes / "run1" / "sub.npy")
    assert_clean_error(result, re.escape(str(notes / "run1" / "sub.npy")), "not a directory")
    assert notes.read_text() == "keep me"


def test_a_refused_atomic_write_names_the_destination_not_its_temporary_file():
    from ethostyle.atomic import atomic_directory, atomic_write_path

    for write in (atomic_write_path, atomic_directory):
        with pytest.raises(OSError) as refused, write(UNWRITABLE.parent / "out.npy"):
            pass
        assert refused.value.filename == str(UNWRITABLE.parent / "out.npy")


def test_predict_skip_bad_labels_the_readable_sequences_and_exits_3(tiny, tmp_path):
    sequences = _lab_sequences(tiny, (1, 2, 1))
    bad = list(sequences)[1]
    sequences[bad]["keypoints"] = np.full((240, 2, 2, 7), np.nan, dtype=np.float32)
    test = save_pickle_npy(tmp_path / "test.npy", {"sequences": sequences})
    stopped = invoke("predict", MODEL_V1, test, "--out", tmp_path / "all.npy")
    assert_clean_error(stopped, re.escape(bad), "every keypoint is NaN", "--skip-bad")
    assert not (tmp_path / "all.npy").exists()
    out, bouts = tmp_path / "good.npy", tmp_path / "bouts.csv"
    result = invoke("predict", MODEL_V1, test, "--out", out, "--bouts", bouts, "--skip-bad")
    assert result.exception is None and result.exit_code == 3, result.output
    printed = " ".join(result.output.split())
    assert "skipped 1 sequence(s)" in printed and bad in printed and "error:" not in printed
    good = [sid for sid in sequences if sid != bad]
    assert sorted(io.load_submission(out)) == sorted(good)
    assert bad not in set(pd.read_csv(bouts)["sequence"])


@pytest.mark.parametrize(
    ("option", "name", "wanted"),
    [
        ("--out", "sub.csv", ".npy"),
        ("--probabilities", "p.npy", ".npz"),
        ("--bouts", "b.npy", ".csv"),
    ],
)
def test_predict_refuses_an_output_suffix_of_another_format(tiny, tmp_path, option, name, wanted):
    test = _lab_test_file(tiny, tmp_path / "test.npy")
    args = {"--out": tmp_path / "sub.npy", option: tmp_path / name}
    result = invoke("predict", MODEL_V1, test, *[x for kv in args.items() for x in kv])
    assert_clean_error(result, re.escape(f"{option} {tmp_path / name}"), re.escape(wanted))
    assert not list(tmp_path.glob("sub.*")) and not (tmp_path / name).exists()


def test_evaluate_with_test_and_labels_swapped_says_which_argument_is_which(scored_files):
    sub, test, labels = (scored_files[k] for k in ("submission", "test", "labels"))
    result = invoke("evaluate", sub, labels, test)
    assert_clean_error(
        result,
        "not in the order of `ethostyle evaluate SUBMISSION TEST LABELS`",
        rf"TEST is {re.escape(str(labels))}, a labels or submission file .* belongs in "
        "SUBMISSION or LABELS",
        rf"LABELS is {re.escape(str(test))}, a test file \(poses\), which belongs in TEST",
    )


def test_predict_with_the_model_and_the_file_swapped_says_which_is_which(scored_files, tmp_path):
    result = invoke("predict", scored_files["test"], MODEL_V1, "--out", tmp_path / "sub.npy")
    assert_clean_error(
        result, "the arguments are swapped", re.escape(f"the model directory {MODEL_V1}")
    )


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--fps", 0, "--fps 0: give the videos' frame rate"),
        ("--fps", -25, "--fps -25: give the videos' frame rate"),
        ("--annotator-id", -1, "--annotator-id -1: annotator ids are 0 or more"),
        ("--scale", 0, "--scale 0: give a positive factor"),
    ],
)
def test_import_pose_refuses_impossible_numbers_before_reading(tmp_path, option, value, said):
    pose = tmp_path / "videoDLC_resnet50.h5"  # never read: the option is refused first
    args = ["import-pose", pose, "--out", tmp_path / "p.npy", option, value]
    if option != "--fps":
        args += ["--fps", 25]
    message = assert_clean_error(invoke(*args), re.escape(said))
    assert "frame rate" not in message or option == "--fps"
    assert "warning" not in invoke(*args).output.lower()


def test_predict_warns_once_in_one_format_for_a_file_of_unknown_annotators(tiny, tmp_path):
    sequences = _lab_sequences(tiny, (7, 7, 8))
    next(iter(sequences.values()))["keypoints"][10:40, 0] = np.nan  # a 1 s gap (logged; 12 %)
    test = save_pickle_npy(tmp_path / "test.npy", {"sequences": sequences})
    result = invoke("predict", MODEL_V1, test, "--out", tmp_path / "sub.npy")
    output = assert_success(result)
    assert "WARNING" not in output
    found = warnings_in(output)
    assert len(found) == 2, found
    assert "not tracked in frames 10-39" in found[0]
    assert found[1].startswith("3 of 3 sequences name an annotator this model has no style")
    assert "(annotator 7 in 2, annotator 8 in 1; known: [0, 1, 2])" in found[1]
