"""Tests of ethostyle.io: every layout round-trips, every malformed file gets a clear message,
and no file can run code while it loads."""

from __future__ import annotations

import json
import pickle
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ethostyle import io
from ethostyle.data import VOCABULARY, Dataset, Sequence
from ethostyle.errors import DataFormatError, UnsafeFileError
from support import RunsCode, touch

N_FRAMES = 10


@pytest.fixture(scope="session")
def with_scores(tiny) -> Dataset:
    """Labelled sequences of annotators 0, 1, 0, 2 (interleaved), with keypoint confidences
    and a few NaN keypoints."""
    rng = np.random.default_rng(0)
    out = []
    ids = ["sim-a0-train-000", "sim-a1-train-000", "sim-a0-train-001", "sim-a2-train-000"]
    for seq in (tiny.train[i] for i in ids):
        scores = rng.uniform(0, 1, (seq.n_frames, 2, 7)).astype(np.float32)
        keypoints = seq.keypoints.copy()
        keypoints[3, 1, :, 2] = np.nan
        out.append(replace(seq, keypoints=keypoints, scores=scores))
    return Dataset(out)


def assert_same(a: Dataset, b: Dataset, *, labels: bool = True) -> None:
    assert a.ids == b.ids
    for x, y in zip(a, b, strict=True):
        assert x.annotator_id == y.annotator_id
        assert y.keypoints.dtype == np.float32
        np.testing.assert_array_equal(x.keypoints, y.keypoints)  # NaN equal NaN here
        if labels:
            assert y.labels is not None and y.labels.dtype == np.int8
            np.testing.assert_array_equal(x.labels, y.labels)
        else:
            assert y.labels is None
        if x.scores is None:
            assert y.scores is None
        else:
            np.testing.assert_array_equal(x.scores, y.scores)


def trusted_npy(path: Path) -> object:
    """Read back a file this test wrote itself (plain numpy, pickles allowed)."""
    return np.load(path, allow_pickle=True).item()


def keypoints(n: int = N_FRAMES, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 500, (n, 2, 2, 7)).astype(np.float32)


def train_file(path: Path, **entry: object) -> Path:
    """A one-sequence ``train.npy`` ('s1') with ``entry`` overriding the good fields."""
    good = {"keypoints": keypoints(), "annotations": [3] * N_FRAMES, "annotator_id": 0}
    good.update(entry)
    good = {k: v for k, v in good.items() if v is not None}
    np.save(path, {"vocabulary": list(VOCABULARY), "sequences": {"s1": good}}, allow_pickle=True)
    return path


# ---------------------------------------------------------------------------- round trips


def test_train_npy_round_trip_keeps_everything(tmp_path, tiny, with_scores) -> None:
    for dataset in (tiny.train, with_scores):
        path = io.save_train_npy(dataset, tmp_path / "train.npy")
        assert_same(dataset, io.load_train_npy(path))
        assert_same(dataset, io.load(path))
    raw = trusted_npy(path)
    assert raw["vocabulary"] == list(VOCABULARY)
    entry = raw["sequences"][with_scores.ids[0]]
    assert set(entry) == {"keypoints", "annotations", "annotator_id", "scores"}
    assert entry["keypoints"].shape[1:] == (2, 2, 7)


def test_test_npy_flat_and_nested_read_the_same(tmp_path, tiny) -> None:
    flat = io.save_test_npy(tiny.test, tmp_path / "test.npy")
    raw = trusted_npy(flat)
    assert list(raw) == tiny.test.ids  # flat: {id: {...}}
    assert set(raw[tiny.test.ids[0]]) == {"keypoints", "annotator_id"}  # no labels
    nested = tmp_path / "nested.npy"
    np.save(nested, {"sequences": raw}, allow_pickle=True)
    for path in (flat, nested):
        assert_same(tiny.test, io.load_test_npy(path), labels=False)
        assert not io.load(path).is_labelled


def test_labels_and_submission_round_trip(tmp_path, tiny) -> None:
    truth = {s.id: s.labels for s in tiny.test}
    for save, load in (
        (io.save_labels_npy, io.load_labels),
        (io.save_submission, io.load_submission),
    ):
        back = load(save(truth, tmp_path / "labels.npy"))
        assert list(back) == list(truth)
        for k in truth:
            assert back[k].dtype == np.int8
            np.testing.assert_array_equal(back[k], truth[k])
    io.validate_submission(back, tiny.test)
    # a train file read as labels gives its annotations; labels attach back by id
    train_labels = io.load_labels(io.save_train_npy(tiny.train, tmp_path / "train.npy"))
    attached = io.attach_labels(tiny.train.without_labels(), train_labels)
    assert_same(tiny.train, attached)


def test_calms21_json_round_trip_groups_by_annotator_and_keeps_scores(
    tmp_path, with_scores
) -> None:
    path = io.save_calms21_json(with_scores, tmp_path / "calms21.json")
    raw = json.loads(path.read_text())
    groups = {f"annotator-id_{a}" for a in with_scores.annotators}
    assert set(raw) == groups
    for name, group in raw.items():
        for entry in group.values():
            assert f"annotator-id_{entry['metadata']['annotator-id']}" == name
            assert entry["metadata"]["vocab"] == {n: i for i, n in enumerate(VOCABULARY)}
            assert np.shape(entry["scores"])[1:] == (2, 7)
    # read back grouped by annotator, in order of first appearance
    grouped = ["sim-a0-train-000", "sim-a0-train-001", "sim-a1-train-000", "sim-a2-train-000"]
    for back in (io.load_calms21_json(path), io.load(path)):
        assert back.ids == grouped
        assert_same(with_scores.select(grouped), back)


def test_hand_written_calms21_json_is_read_with_group_ids_and_remapped_vocab(tmp_path) -> None:
    kp = keypoints(4)
    kp_list = kp.tolist()
    kp_list[2][0][0][0] = None  # JSON null -> NaN
    vocab = {"other": 0, "attack": 1, "investigation": 2, "mount": 3}
    data = {
        "annotator-id_3": {
            "v1": {"keypoints": kp_list, "annotations": [0, 1, 2, 3], "metadata": {"vocab": vocab}}
        },
        "annotator-id_0": {"v2": {"keypoints": kp.tolist(), "scores": np.ones((4, 2, 7)).tolist()}},
    }
    path = tmp_path / "hand.json"
    path.write_text(json.dumps(data))
    ds = io.load_calms21_json(path)
    assert ds.ids == ["v1", "v2"]
    assert (ds["v1"].annotator_id, ds["v2"].annotator_id) == (3, 0)
    assert [VOCABULARY[i] for i in ds["v1"].labels] == ["other", "attack", "investigation", "mount"]
    assert np.isnan(ds["v1"].keypoints[2, 0, 0, 0]) and ds["v2"].labels is None
    assert ds["v2"].scores.shape == (4, 2, 7)


def test_vocabulary_in_another_order_is_mapped_by_name(tmp_path) -> None:
    names = ["other", "mount", "attack", "investigation"]
    file_labels = [0, 1, 2, 3, 3, 2, 1, 0, 0, 0]
    path = tmp_path / "train.npy"
    np.save(
        path,
        {
            "vocabulary": names,
            "sequences": {
                "s1": {"keypoints": keypoints(), "annotations": file_labels, "annotator_id": 0}
            },
        },
        allow_pickle=True,
    )
    labels = io.load_train_npy(path)["s1"].labels
    assert [VOCABULARY[i] for i in labels] == [names[i] for i in file_labels]


def test_save_picks_the_layout_from_the_object_and_the_suffix(tmp_path, tiny) -> None:
    unlabelled = tiny.test.without_labels()
    train = io.save(tiny.train, tmp_path / "train.npy")
    test = io.save(unlabelled, tmp_path / "test.npy")
    json_file = io.save(tiny.train, tmp_path / "train.json")
    assert trusted_npy(train)["vocabulary"] == list(VOCABULARY)  # the train layout
    assert list(trusted_npy(test)) == tiny.test.ids  # the flat test layout
    assert_same(tiny.train, io.load(train))
    assert_same(unlabelled, io.load(test), labels=False)
    assert_same(tiny.train, io.load_calms21_json(json_file))
    labels = {s.id: s.labels for s in tiny.test}
    submission = io.save(labels, tmp_path / "submission.npy")
    for sid, got in io.load_submission(submission).items():
        np.testing.assert_array_equal(got, labels[sid])


def test_save_writes_predictions_as_submission_probabilities_or_bouts(tmp_path, tiny) -> None:
    from ethostyle.data import Predictions

    rng = np.random.default_rng(0)
    labels = {s.id: s.labels for s in tiny.test}
    proba = {
        sid: rng.dirichlet(np.ones(len(VOCABULARY)), len(y)).astype(np.float32)
        for sid, y in labels.items()
    }
    predictions = Predictions(labels, proba, {s.id: s.annotator_id for s in tiny.test})
    submission = io.save(predictions, tmp_path / "sub.npy")
    assert io.load_submission(submission).keys() == labels.keys()
    with np.load(io.save(predictions, tmp_path / "proba.npz")) as archive:
        np.testing.assert_array_equal(archive[tiny.test.ids[0]], proba[tiny.test.ids[0]])
    bouts = io.save(predictions, tmp_path / "bouts.csv").read_text()
    assert bouts == io.write_bouts_csv(predictions, tmp_path / "direct.csv").read_text()
    header, first = bouts.splitlines()[:2]
    assert header.startswith("sequence,annotator_style,behavior,start_frame,stop_frame")
    assert first.split(",")[0] == tiny.test.ids[0]


@pytest.mark.parametrize(
    ("what", "name", "error", "message"),
    [
        ("part labelled", "train.npy", DataFormatError, "1 of 2 sequences are labelled"),
        ("dataset", "train.csv", DataFormatError, "cannot save a data set as '.csv'"),
        ("dataset", "train", DataFormatError, "cannot save a data set as 'a file without"),
        ("labels", "labels.json", DataFormatError, r"cannot save labels \{id: labels\} as"),
        ("names", "labels.npy", DataFormatError, "labels are class names"),
        ("empty", "test.npy", DataFormatError, "refusing to write a data set with no sequences"),
        ("number", "x.npy", TypeError, "not int"),
    ],
)
def test_save_refuses_what_it_has_no_layout_for(tmp_path, tiny, what, name, error, message):
    first, second = list(tiny.train)[:2]
    obj = {
        "part labelled": Dataset([first, second.with_labels(None)]),
        "dataset": tiny.train,
        "labels": {"s": np.array([3, 1])},
        "names": {"s": np.array(["other", "mount"])},
        "empty": Dataset([]),
        "number": 7,
    }[what]
    with pytest.raises(error, match=message):
        io.save(obj, tmp_path / name)
    assert not (tmp_path / name).exists()


def test_find_problems_is_what_validate_reports(tmp_path, tiny) -> None:
    path = io.save(tiny.train, tmp_path / "train.npy")
    report = io.find_problems(path)
    assert (report.kind, report.n_sequences, report.problems) == ("train", len(tiny.train), [])
    assert io.describe_file is io.find_problems  # the former name, kept for callers


def test_one_label_checker_serves_files_and_labels_in_memory() -> None:
    assert io.checked_labels([3.0, 1.0], "annotator 2", "v", 2).dtype == np.int8
    with pytest.raises(DataFormatError, match=r"^annotator 2, sequence 'v': 1 labels for 2 frames"):
        io.checked_labels([3], "annotator 2", "v", 2)
    with pytest.raises(DataFormatError, match="labels are class names"):
        io.checked_labels(["other"], "sub.npy", "v", names_allowed=False)
    with pytest.raises(DataFormatError, match=r"^sub\.npy, sequence 'v', frame 1: label 4 is out"):
        io.checked_labels([3, 4], "sub.npy", "v")


def test_writers_never_leave_a_half_written_file(tmp_path, tiny, monkeypatch) -> None:
    path = io.save_test_npy(tiny.test, tmp_path / "test.npy")
    before = path.read_bytes()

    def crash(fh, *args, **kwargs):
        fh.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", crash)
    with pytest.raises(OSError, match="disk full"):
        io.save_test_npy(tiny.train, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["test.npy"]


# ---------------------------------------------------------------------------- malformed input

BAD_KEYPOINTS = keypoints().astype(object)
BAD_KEYPOINTS[4, 1, 0, 3] = "n/a"

MALFORMED = {
    "wrong keypoint shape": (
        {"keypoints": np.zeros((N_FRAMES, 2, 7, 2))},
        r"sequence 's1': keypoints have shape \(10, 2, 7, 2\); expected \(frames, 2, 2, 7\)"
        r".*np\.swapaxes\(kp, 2, 3\)",
    ),
    "keypoints missing an axis": (
        {"keypoints": np.zeros((N_FRAMES, 2, 7))},
        r"sequence 's1': keypoints have shape \(10, 2, 7\); expected \(frames, 2, 2, 7\)",
    ),
    "non-numeric keypoints": (
        {"keypoints": BAD_KEYPOINTS},
        r"sequence 's1', frame 4: keypoints hold 'n/a', which is not a number",
    ),
    "text keypoints": (
        {"keypoints": np.full((N_FRAMES, 2, 2, 7), "x")},
        r"sequence 's1', frame 0: keypoints hold 'x', which is not a number",
    ),
    "all-NaN keypoints": (
        {"keypoints": np.full((N_FRAMES, 2, 2, 7), np.nan)},
        r"sequence 's1': every keypoint is NaN",
    ),
    "zero frames": ({"keypoints": np.zeros((0, 2, 2, 7))}, r"sequence 's1': has zero frames"),
    "labels of wrong length": (
        {"annotations": [3] * (N_FRAMES - 1)},
        r"sequence 's1': 9 labels for 10 frames; give exactly one label per frame",
    ),
    "label index out of vocabulary": (
        {"annotations": [3] * 6 + [7] + [3] * 3},
        r"sequence 's1', frame 6: label 7 is out of range",
    ),
    "negative label": (  # -1 is UNLABELLED, a frame nobody labelled
        {"annotations": [-2] + [3] * 9},
        r"sequence 's1', frame 0: label -2 is out of range",
    ),
    "label name out of vocabulary": (
        {"annotations": ["other"] * 3 + ["sniff"] + ["other"] * 6},
        r"sequence 's1', frame 3: label 'sniff' is not one of",
    ),
    "fractional label": (
        {"annotations": [3.0] * 8 + [1.5, 3.0]},
        r"sequence 's1', frame 8: label 1.5 is not a whole number",
    ),
    "missing annotator_id": ({"annotator_id": None}, r"sequence 's1': has no 'annotator_id'"),
    "text annotator_id": (
        {"annotator_id": "three"},
        r"sequence 's1': annotator_id 'three' is a str; it must be an integer",
    ),
    "missing annotations in a train file": (
        {"annotations": None},
        r"sequence 's1': has no 'annotations'",
    ),
    "scores of wrong shape": (
        {"scores": np.ones((N_FRAMES, 7))},
        r"sequence 's1': scores have shape \(10, 7\); expected \(10, 2, 7\)",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_sequence_names_file_sequence_and_frame(tmp_path, case) -> None:
    entry, message = MALFORMED[case]
    path = train_file(tmp_path / "train.npy", **entry)
    with pytest.raises(DataFormatError, match=re.escape(str(path)) + ", " + message):
        io.load_train_npy(path)
    # validate lists the same problem instead of stopping
    report = io.describe_file(path)
    assert report.kind == "train" and len(report.problems) == 1
    assert re.search(message, report.problems[0])


def test_problems_of_every_sequence_are_listed(tmp_path) -> None:
    path = tmp_path / "train.npy"
    good = {"keypoints": keypoints(), "annotations": [3] * N_FRAMES, "annotator_id": 1}
    np.save(
        path,
        {
            "a": good,
            "b": {**good, "annotations": [3] * 4},
            "c": {**good, "keypoints": np.zeros((N_FRAMES, 2, 2, 6))},
        },
        allow_pickle=True,
    )
    report = io.describe_file(path)
    assert (report.n_sequences, report.n_unreadable) == (3, 2)  # every sequence of the file
    assert (report.n_frames, report.annotators) == (N_FRAMES, [1])  # of the readable one
    assert [p.split(":")[0] for p in report.problems] == [
        f"{path}, sequence 'b'",
        f"{path}, sequence 'c'",
    ]


def test_json_without_annotator_id_is_refused(tmp_path) -> None:
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"videos": {"v9": {"keypoints": keypoints(3).tolist()}}}))
    with pytest.raises(
        DataFormatError, match=rf"{re.escape(str(path))}, sequence 'v9': has no annotator id"
    ):
        io.load_calms21_json(path)


def test_json_id_in_two_groups_is_refused(tmp_path) -> None:
    entry = {"keypoints": keypoints(3).tolist()}
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"annotator-id_1": {"v": entry}, "annotator-id_2": {"v": entry}}))
    with pytest.raises(DataFormatError, match=r"sequence 'v': appears twice"):
        io.load_calms21_json(path)


def test_duplicate_ids_across_files_are_refused_when_merged(tmp_path, tiny) -> None:
    first = io.load_test_npy(io.save_test_npy(tiny.test, tmp_path / "a.npy"))
    overlap = tiny.test.select(tiny.test.ids[2:5])
    second = io.load_test_npy(io.save_test_npy(overlap, tmp_path / "b.npy"))
    with pytest.raises(DataFormatError, match=rf"sequence id {tiny.test.ids[2]!r} appears twice"):
        first.concat(second)
    disjoint = tiny.test.select(tiny.test.ids[:2]).concat(tiny.test.select(tiny.test.ids[2:]))
    assert disjoint.ids == tiny.test.ids


@pytest.mark.parametrize("suffix", [".npy", ".json"])
def test_empty_file(tmp_path, suffix) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    with pytest.raises(DataFormatError, match=rf"{re.escape(str(path))}: is empty \(0 bytes\)"):
        io.load(path)


def test_truncated_npy_and_json(tmp_path, tiny, with_scores) -> None:
    whole = io.save_train_npy(tiny.train, tmp_path / "train.npy").read_bytes()
    half = tmp_path / "half.npy"
    half.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataFormatError, match=rf"{re.escape(str(half))}: .*truncated or corrupt"):
        io.load_train_npy(half)
    text = io.save_calms21_json(with_scores, tmp_path / "d.json").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2])
    with pytest.raises(DataFormatError, match=rf"{re.escape(str(cut))}: is not valid JSON"):
        io.load_calms21_json(cut)


def test_missing_file_and_not_a_dict(tmp_path) -> None:
    for path in (tmp_path / "nope.npy", tmp_path / "nope.json"):
        with pytest.raises(DataFormatError, match=r"no such file"):
            io.describe_file(path)
    array = tmp_path / "array.npy"
    np.save(array, np.zeros(3))
    with pytest.raises(DataFormatError, match=r"holds a ndarray, not a dict of sequences"):
        io.load_train_npy(array)


def test_labels_only_file_is_not_a_pose_file(tmp_path, tiny) -> None:
    path = io.save_labels_npy({s.id: s.labels for s in tiny.test}, tmp_path / "labels.npy")
    with pytest.raises(DataFormatError, match="holds labels only"):
        io.load(path)
    assert io.describe_file(path).kind == "labels"


def test_invalid_submission_lists_every_problem(tmp_path, tiny) -> None:
    test = tiny.test
    sub = {s.id: np.full(s.n_frames, 3) for s in test}
    del sub[test.ids[0]]
    sub["extra"] = np.zeros(5, int)
    sub[test.ids[1]] = np.zeros(test[test.ids[1]].n_frames - 1, int)
    bad_value = np.full(test[test.ids[2]].n_frames, 3)
    bad_value[17] = 4
    sub[test.ids[2]] = bad_value
    with pytest.raises(DataFormatError) as error:
        io.validate_submission(sub, test, "sub.npy")
    text = str(error.value)
    assert "sub.npy is not a valid submission (4 problem(s))" in text
    assert f"have no prediction: {test.ids[0]!r}" in text
    assert "not in the test file: 'extra'" in text
    assert f"sequence {test.ids[1]!r}: 899 labels for 900 frames" in text
    assert f"sequence {test.ids[2]!r}, frame 17: label 4 is out of range" in text
    # the file-level check gives the same answer
    path = tmp_path / "sub.npy"
    np.save(path, sub, allow_pickle=True)
    report = io.describe_file(path, io.save_test_npy(test, tmp_path / "test.npy"))
    assert report.kind == "submission" and len(report.problems) == 4


# ---------------------------------------------------------------------------- safe loading


def _hostile(kind: str, marker: Path) -> RunsCode:
    if kind == "os.system":
        return touch(marker)
    return RunsCode(exec, f"open({str(marker)!r}, 'w').close()")


def _hostile_file(path: Path, kind: str, marker: Path) -> Path:
    entry = {"keypoints": _hostile(kind, marker), "annotations": [3] * 3, "annotator_id": 0}
    np.save(path, {"vocabulary": list(VOCABULARY), "sequences": {"s1": entry}}, allow_pickle=True)
    return path


@pytest.mark.parametrize("kind", ["os.system", "builtins.exec"])
def test_pickle_that_runs_code_is_refused_and_never_runs(tmp_path, kind) -> None:
    # The file really is hostile: plain numpy would run its code.
    control_marker = tmp_path / "control-ran"
    control = _hostile_file(tmp_path / "control.npy", kind, control_marker)
    np.load(control, allow_pickle=True)
    assert control_marker.exists()

    marker = tmp_path / "code-ran"
    path = _hostile_file(tmp_path / "train.npy", kind, marker)
    for reader in (io.safe_load_npy, io.load_train_npy, io.load, io.describe_file, io.load_labels):
        with pytest.raises(UnsafeFileError, match=rf"{re.escape(str(path))}.*never runs code"):
            reader(path)
    assert not marker.exists()


def test_objects_that_are_not_plain_data_are_refused(tmp_path) -> None:
    from fractions import Fraction

    path = tmp_path / "odd.npy"
    np.save(path, {"s1": {"keypoints": Fraction(1, 3)}}, allow_pickle=True)
    with pytest.raises(UnsafeFileError, match=r"asks to load fractions\.Fraction"):
        io.safe_load_npy(path)


def test_nesting_limits_refuse_deep_and_self_referencing_data(tmp_path) -> None:
    deep: list = []
    for _ in range(40):
        deep = [deep]
    looped: list = []
    looped.append(looped)
    for name, obj in (("deep", deep), ("loop", looped)):
        path = tmp_path / f"{name}.npy"
        with open(path, "wb") as fh:
            np.save(fh, np.array({"s": obj}, dtype=object), allow_pickle=True)
        with pytest.raises(UnsafeFileError, match="MAX_NESTING_DEPTH"):
            io.safe_load_npy(path)


def test_size_limits_name_the_limit(tmp_path, monkeypatch) -> None:
    import ethostyle.io.validation as validation

    path = tmp_path / "test.npy"
    np.save(
        path,
        {f"s{i}": {"keypoints": keypoints(), "annotator_id": 0} for i in range(3)},
        allow_pickle=True,
    )
    monkeypatch.setattr(validation, "MAX_SEQUENCES", 2)
    with pytest.raises(UnsafeFileError, match="holds 3 sequences, more than MAX_SEQUENCES=2"):
        io.load_test_npy(path)
    monkeypatch.setattr(validation, "MAX_SEQUENCES", 100)
    monkeypatch.setattr(validation, "MAX_FRAMES_PER_SEQUENCE", 5)
    with pytest.raises(UnsafeFileError, match="sequence 's0': has 10 frames, more than MAX_FRAMES"):
        io.load_test_npy(path)


def test_plain_numeric_npy_and_python2_style_pickles_load(tmp_path) -> None:
    array = np.arange(12.0).reshape(3, 4)
    path = tmp_path / "plain.npy"
    np.save(path, array)
    np.testing.assert_array_equal(io.safe_load_npy(path), array)
    # protocol 2 spells bytes through _codecs.encode; the admitted globals cover it
    obj = {"s1": {"keypoints": keypoints(2), "annotator_id": 4}}
    old = tmp_path / "old.npy"
    with open(old, "wb") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": "|O", "fortran_order": False, "shape": ()}
        )
        pickle.dump(np.array(obj, dtype=object), fh, protocol=2)
    ds = io.load_test_npy(old)
    np.testing.assert_array_equal(ds["s1"].keypoints, obj["s1"]["keypoints"])
    assert ds["s1"].annotator_id == 4


def test_sequence_keeps_its_frames_and_ids_are_text(tmp_path) -> None:
    path = tmp_path / "test.npy"
    np.save(
        path,
        {7: {"keypoints": keypoints().astype(np.float64), "annotator_id": np.int64(2)}},
        allow_pickle=True,
    )
    ds = io.load_test_npy(path)
    assert ds.ids == ["7"]
    seq: Sequence = ds["7"]
    assert (seq.n_frames, seq.annotator_id, seq.keypoints.dtype) == (N_FRAMES, 2, np.float32)


def test_docs_state_the_limits_the_code_enforces() -> None:
    from ethostyle.io import validation

    text = (Path(__file__).resolve().parents[1] / "docs" / "formats.md").read_text()
    for name in (
        "MAX_NESTING_DEPTH",
        "MAX_SEQUENCES",
        "MAX_FRAMES_PER_SEQUENCE",
        "MAX_TOTAL_FRAMES",
    ):
        assert f"| `{name}` | {getattr(validation, name):,}" in text, name
    assert (
        f"`MAX_PLAUSIBLE_COORDINATE_PX` = {validation.MAX_PLAUSIBLE_COORDINATE_PX:,.0f} px" in text
    )


@pytest.mark.parametrize("suffix", [".npy", ".json"])
def test_the_video_s_frame_rate_travels_with_the_poses_in_every_layout(tmp_path, tiny, suffix):
    first = tiny.test[tiny.test.ids[0]]
    poses = Dataset([Sequence(first.id, first.keypoints[:60], 1, video_fps=25.0)])
    back = io.load(io.save(poses, tmp_path / f"poses{suffix}"))
    assert back[first.id].video_fps == 25.0
    plain = io.load(io.save(tiny.test.select(tiny.test.ids[:1]), tmp_path / f"plain{suffix}"))
    assert plain[first.id].video_fps is None  # not recorded: taken to be 30 Hz


def test_a_video_fps_that_is_no_frame_rate_is_refused(tmp_path):
    kp = np.full((4, 2, 2, 7), 50.0)
    kp[..., 0, 0] = 150.0
    path = tmp_path / "t.npy"
    np.save(path, {"s1": {"keypoints": kp, "annotator_id": 0, "video_fps": -25}})
    with pytest.raises(DataFormatError, match=r"sequence 's1': video_fps -25 is not a frame rate"):
        io.load(path)
