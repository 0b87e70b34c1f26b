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
    assert not {"report", "r", "o.npy", "boris"} & {p.name for p in tmp_path.iterdir()}


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
