"""Importing a lab's own data: pose files through movement, label CSVs, BORIS in and out.

Pose files are written by the formats' own writers (movement's DeepLabCut,
LightningPose, SLEAP-analysis and NWB writers; sleap-io's .slp writer), never by
hand, and read back through ``ethostyle.importers``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from movement.io import load_poses, save_poses
from typer.testing import CliRunner

from ethostyle.bouts import behavior_bouts, bout_table
from ethostyle.cli import app
from ethostyle.data import BODY_PARTS, FPS, OTHER, VOCABULARY, Dataset, Sequence
from ethostyle.errors import DataFormatError
from ethostyle.importers import (
    LabDataset,
    export_boris,
    import_labels,
    import_pose,
    import_pose_files,
    is_boris_table,
    labels_for_dataset,
    load_lab_dataset,
    missing_cost,
    read_boris,
    read_label_csv,
    read_label_file,
)
from ethostyle.importers.example import LAB_BODYPARTS, write_lab_example
from ethostyle.importers.pose import labels_at_fps
from ethostyle.io import find_problems, load, save, save_labels_npy, save_test_npy

LAB_NAMES = {"tail_1": "tail_base"}
BEHAVIOR_NAMES = {"sniffing": "investigation", "mounting": "mount"}


@pytest.fixture(scope="module")
def keypoints(tiny) -> np.ndarray:
    """120 frames of one simulated video with no missing keypoint."""
    kp = tiny.test.ids[0]
    out = np.array(tiny.test[kp].keypoints[:120], dtype=np.float64)
    assert np.isfinite(out).all()
    return out


def _movement(keypoints: np.ndarray, fps: float | None = 30.0, names=LAB_BODYPARTS, seed=0):
    """A movement dataset of CalMS21-layout keypoints with random confidences."""
    confidence = np.random.default_rng(seed).uniform(0.2, 1.0, (len(keypoints), 7, 2))
    return load_poses.from_numpy(
        np.transpose(keypoints, (0, 2, 3, 1)),
        confidence[:, : len(names)],
        individual_names=["resident", "intruder"],
        keypoint_names=list(names),
        fps=fps,
        source_software="DeepLabCut",
    )


def _write_dlc_h5(ds, d: Path) -> list[Path]:
    save_poses.to_dlc_file(ds, d / "vidDLC_resnet50.h5")
    return [d / "vidDLC_resnet50.h5"]


def _write_dlc_csv(ds, d: Path) -> list[Path]:
    save_poses.to_dlc_file(ds, d / "vidDLC_resnet50.csv")
    return [d / "vidDLC_resnet50.csv"]


def _write_sleap_analysis(ds, d: Path) -> list[Path]:
    save_poses.to_sleap_analysis_file(ds, d / "vid.analysis.h5")
    return [d / "vid.analysis.h5"]


def _write_slp(ds, d: Path) -> list[Path]:
    import sleap_io as sio

    points = np.transpose(ds.position.values, (0, 3, 2, 1))
    scores = np.transpose(ds.confidence.values, (0, 2, 1))[..., None]
    labels = sio.Labels.from_numpy(
        np.concatenate([points, scores], axis=-1),
        videos=[sio.Video(filename="vid.mp4")],
        skeletons=[sio.Skeleton([str(k) for k in ds.keypoints.values])],
        tracks=[sio.Track("resident"), sio.Track("intruder")],
        return_confidence=True,
    )
    sio.save_slp(labels, str(d / "vid.predictions.slp"))
    return [d / "vid.predictions.slp"]


def _write_lp_pair(ds, d: Path) -> list[Path]:
    save_poses.to_lp_file(ds, d / "vid.csv")  # one file per animal
    return [d / "vid_resident.csv", d / "vid_intruder.csv"]


def _write_nwb_pair(ds, d: Path) -> list[Path]:
    import pynwb

    paths = []
    for nwb in save_poses.to_nwb_file(ds):  # one NWB file per animal
        path = d / f"vid_{nwb.identifier}.nwb"
        with pynwb.NWBHDF5IO(path, "w") as io:
            io.write(nwb)
        paths.append(path)
    return paths


WRITERS = {
    "DeepLabCut": _write_dlc_h5,
    "DeepLabCut-csv": _write_dlc_csv,
    "SLEAP-analysis": _write_sleap_analysis,
    "SLEAP-slp": _write_slp,
    "LightningPose": _write_lp_pair,
    "NWB": _write_nwb_pair,
}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_each_format_written_by_its_own_writer_imports_to_the_same_poses(fmt, keypoints, tmp_path):
    ds = _movement(keypoints)
    files = WRITERS[fmt](ds, tmp_path)
    source = "LightningPose" if fmt == "LightningPose" else None
    [result] = import_pose_files(files, source=source, fps=30, bodyparts=LAB_NAMES)
    seq = result.sequence
    assert seq.id == "vid"
    assert seq.keypoints.shape == (len(keypoints), 2, 2, 7)
    assert seq.keypoints.dtype == np.float32
    np.testing.assert_allclose(seq.keypoints, keypoints, atol=1e-3)
    expected_scores = np.transpose(ds.confidence.values, (0, 2, 1))
    np.testing.assert_allclose(seq.scores, expected_scores, atol=1e-5)
    assert result.bodyparts.missing == []
    assert result.bodyparts.source["tail_base"] == "tail_1"


def test_another_frame_rate_is_resampled_to_30_hz_by_interpolation_in_time(tmp_path):
    n, fps = 100, 25.0
    t = np.arange(n) / fps
    slope = np.arange(28, dtype=np.float64).reshape(2, 2, 7) + 1.0
    kp = 200.0 + t[:, None, None, None] * slope  # straight-line motion: interpolation is exact
    save_poses.to_dlc_file(_movement(kp, fps=fps), tmp_path / "lin.h5")
    result = import_pose(tmp_path / "lin.h5", fps=fps, bodyparts=LAB_NAMES)
    out = result.sequence.keypoints
    assert out.shape[0] == int(np.floor((n - 1) / fps * FPS)) + 1
    t30 = np.arange(out.shape[0]) / FPS
    np.testing.assert_allclose(out, 200.0 + t30[:, None, None, None] * slope, rtol=1e-5)
    assert result.fps == fps and result.n_frames_in == n
    assert f"{n} frames at 25 Hz resampled to {out.shape[0]} frames at 30 Hz" in result.summary()


def test_a_missing_body_part_is_nan_and_the_summary_names_it_and_its_cost(keypoints, tmp_path):
    names = [p for p in LAB_BODYPARTS if p not in ("hip_left", "hip_right")]
    keep = [LAB_BODYPARTS.index(p) for p in names]
    save_poses.to_dlc_file(_movement(keypoints[..., keep], names=names), tmp_path / "v.h5")
    result = import_pose(tmp_path / "v.h5", fps=30, bodyparts=LAB_NAMES)
    hips = [BODY_PARTS.index("left_hip"), BODY_PARTS.index("right_hip")]
    assert np.isnan(result.sequence.keypoints[..., hips]).all()
    assert np.isfinite(np.delete(result.sequence.keypoints, hips, axis=-1)).all()
    affected, total = missing_cost(["left_hip", "right_hip"])
    summary = result.summary()
    assert "MISSING: left_hip, right_hip" in summary
    assert f"{len(affected)} of {total} pose features" in summary


def test_a_file_without_a_frame_rate_needs_fps_and_labels_go_back_to_it(keypoints, tmp_path):
    save_poses.to_dlc_file(_movement(keypoints), tmp_path / "v.h5")  # DLC files carry no rate
    with pytest.raises(
        DataFormatError, match=r"v\.h5: the file does not record its frame rate.*--fps"
    ):
        import_pose(tmp_path / "v.h5", bodyparts=LAB_NAMES)
    result = import_pose(tmp_path / "v.h5", fps=25, bodyparts=LAB_NAMES)
    back = labels_at_fps(np.arange(result.sequence.n_frames), 25)
    assert back.shape == (result.n_frames_in,)  # one label per frame of the 25 Hz video
    np.testing.assert_array_equal(back[:6], [0, 1, 2, 4, 5, 6])  # nearest 30 Hz frame in time


def test_missing_cost_lists_the_features_that_use_the_part_and_only_those():
    affected, total = missing_cost(["left_ear"])
    assert "resident_ear_span_px" in affected and "r_left_ear-i_nose_px" in affected
    assert "r_nose-i_nose_px" not in affected and "r_neck-i_tail_base_px" not in affected
    assert 0 < len(affected) < total


def test_bodypart_mapping_errors_name_the_file_s_keypoints(keypoints, tmp_path):
    save_poses.to_dlc_file(_movement(keypoints), tmp_path / "v.h5")
    with pytest.raises(DataFormatError, match=r"keypoints are .*'snout'"):
        import_pose(tmp_path / "v.h5", bodyparts={"tailtip": "tail_base"})
    with pytest.raises(DataFormatError, match="does not use"):
        import_pose(tmp_path / "v.h5", bodyparts={"tail_1": "tail_tip"})


def test_a_file_with_three_animals_needs_individuals_and_honours_their_order(keypoints, tmp_path):
    position = np.transpose(keypoints, (0, 2, 3, 1))
    three = np.concatenate([position, position[..., :1] + 500.0], axis=-1)
    ds = load_poses.from_numpy(
        three, individual_names=["a", "b", "c"], keypoint_names=list(LAB_BODYPARTS)
    )
    save_poses.to_dlc_file(ds, tmp_path / "three.h5")
    with pytest.raises(DataFormatError, match=r"3 individuals \['a', 'b', 'c'\].*--individuals"):
        import_pose(tmp_path / "three.h5", bodyparts=LAB_NAMES)
    result = import_pose(tmp_path / "three.h5", fps=30, bodyparts=LAB_NAMES, individuals=["b", "a"])
    np.testing.assert_allclose(result.sequence.keypoints[:, 0], keypoints[:, 1], atol=1e-3)
    np.testing.assert_allclose(result.sequence.keypoints[:, 1], keypoints[:, 0], atol=1e-3)


def test_a_one_animal_file_without_its_partner_is_refused(keypoints, tmp_path):
    save_poses.to_lp_file(_movement(keypoints), tmp_path / "v.csv")
    with pytest.raises(DataFormatError, match="no one-animal file follows"):
        import_pose_files([tmp_path / "v_resident.csv"], bodyparts=LAB_NAMES)


# ------------------------------------------------------------------ label spreadsheets
def _poses(n_frames: int = 60, ids=("v1", "v2")) -> Dataset:
    kp = np.zeros((n_frames, 2, 2, 7), np.float32)
    return Dataset(Sequence(i, kp, 0) for i in ids)


def test_frame_and_bout_csvs_paint_the_same_labels(tmp_path):
    truth = np.full(60, OTHER, np.int8)
    truth[5:20], truth[30:33] = 1, 0
    names = np.array(["sniff" if y == 1 else VOCABULARY[y] for y in truth])
    pd.DataFrame({"frame": np.arange(60), "Behavior": names}).to_csv(tmp_path / "f.csv")
    bouts = bout_table(truth)
    keep = bouts.label != OTHER
    pd.DataFrame(
        {
            "start": bouts.start[keep] / FPS,
            "stop": bouts.stop[keep] / FPS,
            "behavior": names[bouts.start[keep]],
        }
    ).to_csv(tmp_path / "b.csv", index=False)
    mapping = {"sniff": "investigation"}
    poses = _poses(ids=("v1",))
    frames = labels_for_dataset(poses, [read_label_csv(tmp_path / "f.csv")], behaviors=mapping)
    secs = read_label_csv(tmp_path / "b.csv", units="seconds")
    by_bout = labels_for_dataset(poses, [secs], behaviors=mapping)
    np.testing.assert_array_equal(frames["v1"], truth)
    np.testing.assert_array_equal(by_bout["v1"], truth)


def test_unknown_behaviours_are_listed_with_the_fix(tmp_path):
    pd.DataFrame(
        {"start": [0, 10, 20], "stop": [5, 15, 25], "behavior": ["groom", "x", "x"]}
    ).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(DataFormatError, match=r"'groom' \(1 rows\), 'x' \(2 rows\).*--behaviors"):
        labels_for_dataset(_poses(ids=("v1",)), [read_label_csv(tmp_path / "b.csv")])


def test_overlapping_bouts_of_two_behaviours_are_refused_at_their_first_frame(tmp_path):
    pd.DataFrame(
        {"sequence": "v2", "start": [0, 12], "stop": [15, 20], "behavior": ["attack", "mount"]}
    ).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(
        DataFormatError, match=r"sequence 'v2', frame 12: bouts of \['attack', 'mount'\]"
    ):
        labels_for_dataset(_poses(), [read_label_csv(tmp_path / "b.csv")])


def test_a_frame_csv_of_the_wrong_length_is_refused(tmp_path):
    pd.DataFrame({"behavior": ["attack"] * 50}).to_csv(tmp_path / "f.csv", index=False)
    with pytest.raises(DataFormatError, match="50 frame rows for a video of 60 frames"):
        labels_for_dataset(_poses(ids=("v1",)), [read_label_csv(tmp_path / "f.csv")])


def test_labels_naming_no_imported_video_are_refused(tmp_path):
    pd.DataFrame({"sequence": "v9", "start": [0], "stop": [5], "behavior": ["attack"]}).to_csv(
        tmp_path / "b.csv", index=False
    )
    with pytest.raises(DataFormatError, match=r"'v9' match no imported sequence.*--sequence"):
        labels_for_dataset(_poses(), [read_label_csv(tmp_path / "b.csv")])


def test_annotator_names_get_new_ids_after_the_base_and_travel_with_the_file(tiny, tmp_path):
    pd.DataFrame({"sequence": "v1", "start": [3], "stop": [9], "behavior": ["mount"]}).to_csv(
        tmp_path / "b.csv", index=False
    )
    table = read_label_csv(tmp_path / "b.csv")
    poses = _poses()
    alice = import_labels(poses, [table], annotator="alice", base=LabDataset(tiny.train))
    assert alice.annotator_id == max(tiny.train.annotators) + 1 == 6
    assert alice.unlabelled == ["v2"]
    alice.lab.save(tmp_path / "lab.npy")
    lab = load_lab_dataset(tmp_path / "lab.npy")
    assert lab.annotator_names == {"alice": 6}
    assert lab.dataset["v1"].annotator_id == 6 and lab.dataset["v1"].labels[3:9].tolist() == [2] * 6
    assert load(tmp_path / "lab.npy").n_frames == lab.dataset.n_frames  # an ordinary train file
    again = import_labels(_poses(ids=("w1",)), [table], annotator="alice", base=lab, sequence="w1")
    bob = import_labels(_poses(ids=("w1",)), [table], annotator="bob", base=lab, sequence="w1")
    assert (again.annotator_id, bob.annotator_id) == (6, 7)
    assert bob.lab.annotator_names == {"alice": 6, "bob": 7}


# ------------------------------------------------------------------ BORIS
@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    return write_lab_example(tmp_path_factory.mktemp("lab"), seed=0)


@pytest.fixture(scope="module")
def lab_poses(lab) -> Dataset:
    results = import_pose_files([*lab.dlc_files, *lab.sleap_files], fps=25, bodyparts=LAB_NAMES)
    return Dataset(r.sequence for r in results)


def test_boris_aggregated_export_gives_the_lab_annotator_s_labels(lab, lab_poses):
    table = read_label_file(lab.boris_file)
    assert "tail rattle" not in set(table.behavior)  # the point event is skipped
    labels = labels_for_dataset(lab_poses, [table], behaviors=BEHAVIOR_NAMES)
    assert sorted(labels) == sorted(lab.labels) == ["videoA", "videoB", "videoC"]
    for sid, truth in lab.labels.items():
        n = lab_poses[sid].n_frames  # 25 Hz -> 30 Hz loses the last frame of 900
        assert n in (899, 900)
        np.testing.assert_array_equal(labels[sid], truth[:n])


def _tabular_events(aggregated: pd.DataFrame) -> pd.DataFrame:
    """BORIS 8 'tabular events' (one row per START/STOP event) of aggregated bouts."""
    state = aggregated[aggregated["Behavior type"] == "STATE"]
    starts = state.assign(**{"Behavior type": "START", "Time": state["Start (s)"]})
    stops = state.assign(**{"Behavior type": "STOP", "Time": state["Stop (s)"]})
    events = pd.concat([starts, stops]).sort_values("Time", kind="stable")
    columns = ["Observation id", "Subject", "Behavior", "Behavior type", "Time", "Media file name"]
    return events[columns]


def test_boris_tabular_exports_old_and_new_read_as_the_aggregated_one(lab, tmp_path):
    aggregated = pd.read_csv(lab.boris_file, sep="\t")
    expected = read_boris(lab.boris_file)
    events = _tabular_events(aggregated)
    events.to_csv(tmp_path / "v8.csv", index=False)
    one = events[events["Observation id"] == "videoB"]
    v7 = one.rename(columns={"Behavior type": "Status", "Media file name": "Media file path"})
    preamble = "Observation id,videoB\n,\nMedia file(s),\n,\nPlayer #1,videoB.mp4\n,\n"
    (tmp_path / "v7.csv").write_text(
        preamble + v7.drop(columns="Observation id").to_csv(index=False)
    )
    for path, rows in ((tmp_path / "v8.csv", slice(None)), (tmp_path / "v7.csv", "videoB")):
        got = read_label_file(path)
        want = expected if rows == slice(None) else expected.select(expected.sequence == rows)
        for field in ("start", "stop", "behavior", "sequence", "subject"):
            np.testing.assert_array_equal(getattr(got, field), getattr(want, field), err_msg=field)


def test_boris_tables_are_told_from_a_lab_s_own_csv(lab, tmp_path):
    lab_csv = tmp_path / "bouts.csv"
    lab_csv.write_text("sequence,behavior,start,stop\nvideoA,sniffing,0,10\n")
    headerless = tmp_path / "frames.csv"
    headerless.write_text("frame,label\n0,mounting\n")
    assert is_boris_table(lab.boris_file)
    assert not is_boris_table(lab_csv) and not is_boris_table(headerless)
    assert read_label_file(lab_csv, units="seconds").stop.tolist() == [300]
    with pytest.raises(DataFormatError, match="no such file"):
        is_boris_table(tmp_path / "missing.csv")


def test_exported_bouts_of_a_labels_file_are_its_behaviour_bouts(tmp_path):
    labels = {"a": np.array([3, 1, 1, 3, 0]), "b": np.array([3, 3]), "c": np.array([2, 2, 3])}
    save_labels_npy(labels, tmp_path / "labels.npy")
    written = export_boris(tmp_path / "labels.npy", tmp_path / "boris", suffix=".csv")
    assert [p.name for p in written] == ["a.boris.csv", "c.boris.csv"]  # "b" has no bout
    rows = behavior_bouts(labels)
    for sid, part in rows.sequence_slices():
        table = read_label_file(tmp_path / "boris" / f"{sid}.boris.csv")
        assert table.behavior.tolist() == rows.behavior[part].tolist()
        assert table.start.tolist() == rows.start[part].tolist()


def test_an_unpaired_boris_state_event_is_refused_with_the_boris_fix(lab, tmp_path):
    events = _tabular_events(pd.read_csv(lab.boris_file, sep="\t"))
    events.iloc[:-1].to_csv(tmp_path / "cut.csv", index=False)
    with pytest.raises(DataFormatError, match=r"has no matching stop.*Fix unpaired events"):
        read_boris(tmp_path / "cut.csv")


def test_the_boris_round_trip_keeps_every_bout(tiny, tmp_path):
    labels = {s.id: s.labels for s in tiny.test}
    save_labels_npy(labels, tmp_path / "predicted.npy")
    written = export_boris(tmp_path / "predicted.npy", tmp_path / "boris")
    assert len(written) == len(labels) and all(p.suffix == ".xlsx" for p in written)
    tables = [read_label_file(p) for p in written]
    back = labels_for_dataset(tiny.test.without_labels(), tables)
    for sid, y in labels.items():
        before, after = bout_table(y), bout_table(back[sid])
        assert len(before) == len(after)
        np.testing.assert_array_equal(before.start, after.start)
        np.testing.assert_array_equal(before.label, after.label)


# ------------------------------------------------------------------ the commands
def test_the_lab_commands_import_poses_and_labels_and_export_for_boris(lab, tmp_path):
    runner = CliRunner()
    poses, train = tmp_path / "poses.npy", tmp_path / "lab_train.npy"
    files = [str(p) for p in [*lab.dlc_files, *lab.sleap_files]]
    result = runner.invoke(
        app,
        [
            "import-pose",
            *files,
            "--fps",
            "25",
            "--bodyparts",
            "tail_1=tail_base",
            "--out",
            str(poses),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "750 frames at 25 Hz resampled to 899 frames at 30 Hz" in result.output
    result = runner.invoke(
        app,
        [
            "import-labels",
            str(poses),
            str(lab.boris_file),
            "--annotator",
            "alice",
            "--out",
            str(train),
        ],
    )
    assert result.exit_code == 1
    assert "'sniffing'" in result.output and "Traceback" not in result.output
    assert not train.exists()
    result = runner.invoke(
        app,
        [
            "import-labels", str(poses), str(lab.boris_file), "--annotator", "alice",
            "--behaviors", "sniffing=investigation,mounting=mount", "--out", str(train),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "left out (no labels): videoD" in result.output
    lab_set = load_lab_dataset(train)
    assert lab_set.annotator_names == {"alice": 0} and len(lab_set.dataset) == 3
    out = tmp_path / "for_boris"
    result = runner.invoke(
        app,
        [
            "export-boris", str(train), "--out", str(out), "--format", "csv",
            "--behaviors", "sniffing=investigation,mounting=mount",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [f"video{v}.boris.csv" for v in "ABC"]
    sheet = pd.read_csv(out / "videoA.boris.csv")
    assert list(sheet.columns) == ["time", "subject", "code", "modifier", "comment"]
    assert set(sheet["code"]) <= {"attack", "sniffing", "mounting"}
    back = labels_for_dataset(
        lab_set.dataset, [read_label_file(p) for p in out.iterdir()], behaviors=BEHAVIOR_NAMES
    )
    for seq in lab_set.dataset:
        np.testing.assert_array_equal(back[seq.id], seq.labels)


# ------------------------------------------------------------------ docs/walkthrough.md
WALKTHROUGH = Path(__file__).resolve().parents[1] / "docs" / "walkthrough.md"


def _walkthrough_commands() -> list[list[str]]:
    """Every command of the walk-through's ``bash`` blocks, in order."""
    blocks = re.findall(r"```bash\n(.*?)```", WALKTHROUGH.read_text(), flags=re.S)
    lines = (line.strip() for block in blocks for line in block.replace("\\\n", " ").splitlines())
    return [shlex.split(line) for line in lines if line and not line.startswith("#")]


def _walkthrough_quotes() -> list[tuple[str, list[str]]]:
    """What the page says commands print: (command, quoted passages) per ``text`` block.

    A ``text`` block after a ``bash`` block quotes the output of that block's last
    command; a line ``...`` in it stands for lines left out. Whitespace is
    normalised, as rich wraps lines to the terminal's width.
    """
    blocks = re.findall(r"```(bash|text)\n(.*?)```", WALKTHROUGH.read_text(), flags=re.S)
    quotes, command = [], None
    for kind, body in blocks:
        if kind == "bash":
            lines = [line.strip() for line in body.replace("\\\n", " ").splitlines()]
            command = shlex.split([line for line in lines if line and line[0] != "#"][-1])[1]
        elif command is not None:
            passages = re.split(r"^\.\.\.$", body, flags=re.M)
            quotes.append((command, [" ".join(passage.split()) for passage in passages]))
    return quotes


def test_the_walkthrough_quotes_the_output_of_three_commands():
    assert [command for command, _ in _walkthrough_quotes()] == [
        "import-pose", "import-labels", "compare",
    ]  # fmt: skip


@pytest.mark.slow
def test_the_walkthrough_runs_as_written(tmp_path):
    commands = _walkthrough_commands()
    steps = [c[1] for c in commands]
    assert steps == [
        "example-lab-files", "simulate", "import-pose", "import-labels", "train", "motifs",
        "predict", "export-boris", "render-videos", "compare", "suggest", "import-labels", "adapt",
    ]  # fmt: skip
    script = Path(sys.executable).with_name("ethostyle")
    exe = str(script) if script.exists() else shutil.which("ethostyle")
    # Passive OpenMP waiting: LightGBM's spinning threads crawl on a busy machine.
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    printed = {}
    for command in commands:
        assert command[0] == "ethostyle"
        done = subprocess.run(
            [exe, *command[1:]], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
        printed.setdefault(command[1], " ".join((done.stdout + done.stderr).split()))
    # What the page says each step prints, word for word and in order.
    for command, passages in _walkthrough_quotes():
        at = 0
        for passage in passages:
            found = printed[command].find(passage, at)
            assert found >= 0, (command, passage, printed[command][:4000])
            at = found + len(passage)
    assert "750 frames at 25 Hz resampled to 899 frames at 30 Hz" in printed["import-pose"]
    assert "'alice' is annotator 6: 3 labelled sequence(s)" in printed["import-labels"]
    assert "left out (no labels): videoD" in printed["import-labels"]
    lab = load_lab_dataset(tmp_path / "lab_train.npy")
    assert lab.annotator_names == {"alice": 6}
    assert sorted(lab.dataset.filter([6]).ids) == ["videoA", "videoB", "videoC"]
    bouts = pd.read_csv(tmp_path / "alice_bouts.csv")
    assert set(bouts["annotator_style"]) == {6} and "videoD" in set(bouts["sequence"])
    assert set(bouts["fps"]) == {30}
    assert (tmp_path / "for_boris" / "videoD.boris.xlsx").is_file()
    # train records its mice's scale for predict's check; these files raise no scale alarm.
    manifest = json.loads((tmp_path / "lab_model" / "model.json").read_text())
    assert 70 < manifest["training_data"]["body_length_px"] < 130
    assert not any("nose to tail base" in text for text in printed.values())
    assert "annotator 0 vs annotator 6" in printed["compare"]
    assert (tmp_path / "lab_vs_calms21" / "report.html").is_file()
    page = (tmp_path / "lab_vs_calms21" / "report.html").read_text()
    clips = sorted((tmp_path / "lab_vs_calms21" / "clips").glob("*.mp4"))  # of 25 Hz videos
    assert clips and all(f'<video src="clips/{c.name}"' in page for c in clips)
    # The loop: suggest picks a stretch of the one video Alice did not label; it comes back
    # partly labelled (-1 outside the stretch) and the model adapts on it.
    assert (tmp_path / "to_label" / "boris" / "videoD.boris.xlsx").is_file()
    again = load_lab_dataset(tmp_path / "lab_train2.npy").dataset["videoD"].labels
    assert (again == -1).sum() == 899 - 450 and (again == 3).sum() == 450
    assert (tmp_path / "lab_model2" / "model.json").is_file()
    assert {"motif", "annotator6_investigation"} <= set(pd.read_csv(tmp_path / "lab_motifs.csv"))


# ------------------------------------------- issue 19 §2: wrong labels with exit 0 and no warning
def test_label_frames_of_a_25_hz_video_land_on_its_30_hz_pose_frames(lab, lab_poses, tmp_path):
    """`import-pose --fps 25` records the rate in the file; frame 250 at 25 Hz is 300 at 30 Hz."""
    from ethostyle.io import save_test_npy

    poses = load(save_test_npy(lab_poses, tmp_path / "poses.npy"))
    assert {s.video_fps for s in poses} == {25.0}  # written and read back
    (tmp_path / "bouts.csv").write_text("sequence,start,stop,behavior\nvideoA,250,500,attack\n")
    labels = labels_for_dataset(poses, [read_label_file(tmp_path / "bouts.csv")])["videoA"]
    np.testing.assert_array_equal(np.flatnonzero(labels == 0), np.arange(300, 600))
    # The same labels one row per 25 Hz frame paint the same 30 Hz frames.
    rows = np.full(750, "other", dtype=object)
    rows[250:500] = "attack"
    pd.DataFrame({"sequence": "videoA", "behavior": rows}).to_csv(tmp_path / "f.csv")
    frames = labels_for_dataset(poses, [read_label_file(tmp_path / "f.csv")])["videoA"]
    np.testing.assert_array_equal(frames, labels)


def test_seconds_in_a_bout_csv_read_as_frames_are_refused_with_the_units_hint(tmp_path):
    (tmp_path / "b.csv").write_text("sequence,start,stop,behavior\nvideoA,1.5,3.2,attack\n")
    with pytest.raises(DataFormatError, match=r"b\.csv, row 2: 'start' is 1\.5, not a whole"):
        read_label_file(tmp_path / "b.csv")
    with pytest.raises(DataFormatError, match="--units seconds"):
        read_label_file(tmp_path / "b.csv")
    table = read_label_file(tmp_path / "b.csv", units="seconds")
    assert (table.start.tolist(), table.stop.tolist()) == ([45], [96])


def test_units_other_than_frames_or_seconds_are_refused_for_every_label_file(lab):
    with pytest.raises(DataFormatError, match=r"--units 'minutes'.*'frames'.*'seconds'"):
        read_label_file(lab.boris_file, units="minutes")  # a BORIS file ignored it before


@pytest.mark.parametrize("suffix", [".npy", ".json"])
def test_a_dlc_file_in_centimetres_is_flagged_with_its_scale_and_the_fix(
    keypoints, tmp_path, suffix
):
    save_poses.to_dlc_file(_movement(keypoints / 40.0, fps=30.0), tmp_path / "cm.h5")
    seq = import_pose(tmp_path / "cm.h5", fps=30, bodyparts=LAB_NAMES).sequence
    problems = find_problems(save(Dataset([seq]), tmp_path / f"cm{suffix}")).problems
    assert len(problems) == 1
    assert re.search(r"measure 2\.\d+ px from nose to tail base.*import-pose --scale", problems[0])


def test_a_dlc_file_tracked_on_every_20th_frame_is_flagged_in_validate_and_on_load(
    keypoints, tmp_path, caplog
):
    sparse = keypoints.copy()
    sparse[np.arange(len(sparse)) % 20 != 0] = np.nan  # the tracker's cut-off dropped the rest
    save_poses.to_dlc_file(_movement(sparse, fps=30.0), tmp_path / "sparse.h5")
    seq = import_pose(tmp_path / "sparse.h5", fps=30, bodyparts=LAB_NAMES).sequence
    path = save_test_npy(Dataset([seq]), tmp_path / "sparse.npy")
    (problem,) = find_problems(path).problems
    assert "95% of frames have a body part missing, filled in by interpolation" in problem
    with caplog.at_level("WARNING"):
        load(path)  # what predict and train read through
    assert "95% of frames have a body part missing" in caplog.text


def test_predict_refuses_poses_at_another_scale_than_the_model_s(tiny, tmp_path):
    from support import assert_clean_error, invoke, small_model_dir

    model = tmp_path / "model"
    shutil.copytree(small_model_dir(), model)
    manifest = json.loads((model / "model.json").read_text())
    manifest["training_data"] = {"body_length_px": 96.0}
    (model / "model.json").write_text(json.dumps(manifest))
    first = tiny.test[tiny.test.ids[0]]
    cm = Sequence("videoA", first.keypoints[:300] / 40.0, first.annotator_id)
    test = save_test_npy(Dataset([cm]), tmp_path / "cm.npy")
    result = invoke("predict", model, test, "--out", tmp_path / "sub.npy")
    assert_clean_error(result, r"'videoA': the mice measure 2\.\d+ px", r"--scale 4\d\.\d")
    assert not (tmp_path / "sub.npy").exists()
