"""Labels out to other tools: per-frame predictions, bouts at the video's rate, SimBA, NWB.

Each file is read back the way the receiving tool reads it: pandas for the CSV
tables, pynwb for NWB.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from ethostyle.data import VOCABULARY, Predictions
from ethostyle.errors import EthostyleError
from ethostyle.importers import (
    export_frame_tables,
    export_nwb,
    read_label_csv,
    write_frames_csv,
)
from ethostyle.io import save_labels_npy, write_bouts_csv
from support import assert_success, invoke


@pytest.fixture
def predictions() -> Predictions:
    """A 36-s video of 900 frames at 25 Hz (1079 at 30 Hz): attack from 10 s to 20 s."""
    labels = np.full(1079, 3, np.int8)
    labels[300:600] = 0
    proba = np.zeros((1079, 4), np.float32)
    proba[np.arange(1079), labels] = 0.9
    proba[np.arange(1079), (labels + 1) % 4] = 0.1
    return Predictions({"videoA": labels}, {"videoA": proba}, {"videoA": 2})


def test_bouts_of_predict_fps_25_count_25_hz_frames_and_say_their_rate(predictions, tmp_path):
    path = write_bouts_csv(predictions, tmp_path / "bouts.csv", fps=25)
    (row,) = pd.read_csv(path).to_dict("records")
    assert (row["start_frame"], row["stop_frame"], row["fps"]) == (250, 500, 25)
    assert (row["start_s"], row["stop_s"]) == (10.0, 20.0)
    # Read back as labels, the stated rate puts the bout on the same 30 Hz frames.
    table = read_label_csv(path)
    assert (table.start.tolist(), table.stop.tolist()) == ([300], [600])
    frames_only = pd.read_csv(path).drop(columns=["start_s", "stop_s"])
    frames_only.to_csv(tmp_path / "frames_only.csv", index=False)
    table = read_label_csv(tmp_path / "frames_only.csv")  # the fps column sets the rate
    assert (table.start.tolist(), table.stop.tolist()) == ([300], [600])


def test_the_frames_csv_has_every_video_frame_its_time_label_and_probabilities(
    predictions, tmp_path
):
    frames = pd.read_csv(write_frames_csv(predictions, tmp_path / "f.csv", fps=25))
    assert list(frames.columns) == [
        "sequence",
        "annotator_style",
        "frame",
        "time_s",
        "label",
        *(f"p_{name}" for name in VOCABULARY),
        "fps",
    ]
    assert len(frames) == 900  # 36 s at 25 Hz
    attack = frames[frames["label"] == "attack"]
    assert (attack["frame"].min(), attack["frame"].max()) == (250, 499)
    assert attack["time_s"].iloc[0] == 10.0
    assert (attack["p_attack"] == 0.9).all() and (attack["p_investigation"] == 0.1).all()


def test_simba_tables_are_one_zero_one_per_behaviour_per_frame(predictions, tmp_path):
    labels = save_labels_npy(predictions.labels, tmp_path / "labels.npy")
    (path,) = export_frame_tables(labels, tmp_path / "simba", names={"attack": "fight"})
    assert path.name == "videoA_labels.csv"
    table = pd.read_csv(path, index_col=0)
    assert list(table.columns) == ["background", "fight", "investigation", "mount"]
    assert len(table) == 1079 and (table.sum(axis=1) == 1).all()
    np.testing.assert_array_equal(np.flatnonzero(table["fight"]), np.arange(300, 600))


def test_nwb_files_hold_each_bout_in_seconds_read_back_by_pynwb(tmp_path):
    from pynwb import NWBHDF5IO

    labels = {"videoA": np.array([3] * 25 + [1] * 50 + [3] * 25, np.int8)}
    labels["quiet"] = np.full(10, 3, np.int8)  # no bout: an empty table, still written
    source = save_labels_npy(labels, tmp_path / "labels.npy")
    written = export_nwb(source, tmp_path / "nwb", fps=25, names={"investigation": "sniff"})
    assert [p.name for p in written] == ["videoA.nwb", "quiet.nwb"]
    with NWBHDF5IO(str(written[0]), "r") as io:
        bouts = io.read().intervals["behavior_bouts"].to_dataframe()
    row = bouts.iloc[0]
    assert len(bouts) == 1 and row["behavior"] == "sniff"
    assert (row["start_time"], row["stop_time"]) == (1.0, 3.0)
    assert (row["start_frame"], row["stop_frame"]) == (25, 75)
    with NWBHDF5IO(str(written[1]), "r") as io:
        assert len(io.read().intervals["behavior_bouts"]) == 0


def test_nwb_export_without_pynwb_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynwb", None)  # import pynwb now raises ImportError
    source = save_labels_npy({"a": np.full(5, 3, np.int8)}, tmp_path / "labels.npy")
    with pytest.raises(EthostyleError, match=r"pip install 'ethostyle\[pose\]'"):
        export_nwb(source, tmp_path / "nwb")


def test_the_export_commands_write_one_file_per_video(predictions, tmp_path):
    labels = save_labels_npy(predictions.labels, tmp_path / "labels.npy")
    simba = assert_success(invoke("export-simba", labels, "--out", tmp_path / "simba"))
    nwb = assert_success(invoke("export-nwb", labels, "--out", tmp_path / "nwb", "--fps", 25))
    assert "videoA_labels.csv" in simba and "videoA.nwb" in nwb
    assert (tmp_path / "nwb" / "videoA.nwb").is_file()


def test_predict_fps_writes_bouts_and_frames_at_the_video_s_rate(tiny, tmp_path):
    from ethostyle.data import Dataset
    from ethostyle.io import save_test_npy
    from support import small_model_dir

    first = tiny.test[tiny.test.ids[0]]
    test = save_test_npy(Dataset([first]), tmp_path / "test.npy")
    assert_success(
        invoke(
            "predict", small_model_dir(), test, "--out", tmp_path / "labels25.npy",
            "--fps", 25, "--bouts", tmp_path / "bouts.csv", "--frames-csv", tmp_path / "f.csv",
        )
    )  # fmt: skip
    frames = pd.read_csv(tmp_path / "f.csv")
    n_video = len(np.load(tmp_path / "labels25.npy", allow_pickle=True).item()[first.id])
    assert len(frames) == n_video < first.n_frames and (frames["fps"] == 25).all()
    bouts = pd.read_csv(tmp_path / "bouts.csv")
    assert (bouts["fps"] == 25).all() and bouts["stop_frame"].max() <= n_video
    in_bouts = np.zeros(n_video, bool)
    for row in bouts.itertuples():
        in_bouts[row.start_frame : row.stop_frame] = True
    np.testing.assert_array_equal(in_bouts, frames["label"].to_numpy() != "other")


def test_boris_times_of_labels_at_25_hz_are_the_video_s_seconds(tmp_path):
    from ethostyle.importers import export_boris

    labels = np.full(900, 3, np.int8)  # 36 s at 25 Hz, as `predict --fps 25` writes
    labels[250:500] = 0
    source = save_labels_npy({"videoA": labels}, tmp_path / "labels25.npy")
    (path,) = export_boris(source, tmp_path / "boris", suffix=".csv", fps=25)
    assert pd.read_csv(path)["time"].tolist() == [10.0, 20.0]
