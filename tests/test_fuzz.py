"""Fuzzing: random malformed input into every reader and validator, random valid data
through every writer and back.

The only exceptions a reader or validator may raise on any input are ethostyle's own
(:class:`~ethostyle.errors.EthostyleError` and its documented subclasses); anything
else escaping is a bug. Valid data must come back exactly as written. The example
budget is fixed (``ETHOSTYLE_FUZZ_EXAMPLES``, default 40 per test) and the examples
are derandomised, so CI runs the same cases every time; raise the budget and set
``ETHOSTYLE_FUZZ_RANDOM=1`` for a longer, exploring run.
"""

from __future__ import annotations

import csv
import functools
import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ethostyle import io
from ethostyle.data import OTHER, VOCABULARY, Dataset, Predictions, Sequence
from ethostyle.errors import EthostyleError
from ethostyle.io import write_bouts_csv, write_probabilities
from ethostyle.models.store import MANIFEST, load_model
from support import small_model_dir

FUZZ = settings(
    max_examples=int(os.environ.get("ETHOSTYLE_FUZZ_EXAMPLES", "40")),
    deadline=None,
    derandomize=not os.environ.get("ETHOSTYLE_FUZZ_RANDOM"),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ethostyle-fuzz-") as folder:
        yield Path(folder)


def only_our_errors(reader: Callable[..., object], *args: object) -> object | None:
    """Call ``reader``; return its result, or None if it raised one of our errors."""
    try:
        return reader(*args)
    except EthostyleError:
        return None


# ----------------------------------------------------------------------------- strategies

# Any text but lone surrogates (which test_reliability_data shows are refused as ids),
# and the words the file layouts use as keys, which make good ids to trip them up.
LAYOUT_WORDS = ["vocabulary", "sequences", "keypoints", "annotations", "__vocabulary__", ""]
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=8) | st.sampled_from(
    LAYOUT_WORDS
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
    | st.binary(max_size=6)
)
SMALL_SHAPE = hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4)
ANY_ARRAY = hnp.arrays(
    dtype=hnp.scalar_dtypes() | hnp.byte_string_dtypes(max_len=3) | hnp.unicode_string_dtypes(),
    shape=SMALL_SHAPE,
)
ANYTHING = st.recursive(
    SCALARS | ANY_ARRAY,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(SCALARS.filter(lambda k: k == k), inner, max_size=4)
    ),  # NaN keys
    max_leaves=20,
)


def _nan_as_none(array: np.ndarray) -> np.ndarray:
    """An object array with None where NaN was, as JSON ``null`` reads."""
    if array.dtype.kind != "f":
        return array
    return np.where(np.isnan(array), None, array.astype(object))


@st.composite
def keypoint_values(draw: st.DrawFn, n_frames: int) -> object:
    """Keypoints as a collaborator might store them: often right, often not."""
    good_shape = (n_frames, 2, 2, 7)
    dtype = draw(
        st.sampled_from([np.float32, np.float64, np.float16, np.int64, np.int16, np.uint8])
    )
    if np.issubdtype(dtype, np.integer):
        elements = st.integers(0, 255)
    else:
        width = 16 if dtype == np.float16 else 32
        elements = st.floats(allow_nan=True, allow_infinity=True, width=width)
    good = hnp.arrays(dtype, good_shape, elements=elements)
    return draw(
        st.one_of(
            good,
            good.map(lambda a: a.tolist()),
            good.map(_nan_as_none),
            hnp.arrays(np.float32, SMALL_SHAPE),
            st.just(np.zeros((n_frames, 2, 7, 2), np.float32)),
            st.just(np.full(good_shape, "1.5")),
            ANYTHING,
        )
    )


@st.composite
def label_values(draw: st.DrawFn, n_frames: int) -> object:
    length = draw(st.sampled_from([n_frames, n_frames, n_frames + 1, max(n_frames - 1, 0)]))
    return draw(
        st.one_of(
            hnp.arrays(
                st.sampled_from([np.int8, np.int64, np.int16, np.float64]),
                (length,),
                elements=st.integers(-1, 5),
            ),
            st.lists(st.integers(0, 3), min_size=length, max_size=length),
            st.lists(st.sampled_from([*VOCABULARY, "sniff"]), min_size=length, max_size=length),
            st.lists(st.floats(allow_nan=True), min_size=length, max_size=length),
            hnp.arrays(np.int64, (length, 2), elements=st.integers(0, 3)),
            ANYTHING,
        )
    )


@st.composite
def sequence_entry(draw: st.DrawFn) -> object:
    n_frames = draw(st.integers(0, 6))
    entry: dict[object, object] = {"keypoints": draw(keypoint_values(n_frames))}
    if draw(st.booleans()):
        entry["annotator_id"] = draw(
            st.integers(-3, 9)
            | st.sampled_from([np.int16(2), np.uint8(1), np.array(4), True, 1.0, "1", None])
        )
    if draw(st.booleans()):
        entry["annotations"] = draw(label_values(n_frames))
    if draw(st.integers(0, 3)) == 0:
        entry["scores"] = draw(
            hnp.arrays(np.float32, st.sampled_from([(n_frames, 2, 7), (n_frames, 7)])) | ANYTHING
        )
    if draw(st.integers(0, 5)) == 0:
        entry[draw(SCALARS)] = draw(ANYTHING)
    if draw(st.integers(0, 8)) == 0:
        return draw(ANYTHING)
    return entry


SEQUENCE_IDS = (
    TEXT
    | st.integers(-5, 5)
    | st.sampled_from([1.5, (1, 2), None, True, b"id", np.int32(7), np.str_("np")])
)
VOCABULARIES = st.one_of(
    st.permutations(list(VOCABULARY)),
    st.lists(TEXT, max_size=5),
    st.permutations(list(VOCABULARY)).map(lambda v: {name: i for i, name in enumerate(v)}),
    st.dictionaries(TEXT, st.integers(-1, 5) | TEXT, max_size=5),
    ANYTHING,
)


@st.composite
def train_like(draw: st.DrawFn) -> object:
    """Nearly valid train/test/labels layouts, nested or flat, with a vocabulary or not."""
    sequences = draw(st.dictionaries(SEQUENCE_IDS, sequence_entry(), max_size=4))
    if draw(st.booleans()):
        return sequences
    obj: dict[str, object] = {"sequences": sequences}
    if draw(st.booleans()):
        obj["vocabulary"] = draw(VOCABULARIES)
    return obj


def save_object(path: Path, obj: object) -> Path:
    """Save ``obj`` as numpy would save a dict: a 0-d object array (arrays as they are)."""
    if not isinstance(obj, np.ndarray):
        holder = np.empty((), dtype=object)
        holder[()] = obj
        obj = holder
    with open(path, "wb") as fh:
        np.save(fh, obj, allow_pickle=True)
    return path


# ----------------------------------------------------------------------------- invariants


def check_dataset(dataset: Dataset) -> None:
    """What every reader promises about a data set it returns."""
    assert len(set(dataset.ids)) == len(dataset)
    for seq in dataset:
        assert isinstance(seq.id, str) and isinstance(seq.annotator_id, int)
        kp = seq.keypoints
        assert kp.dtype == np.float32 and kp.ndim == 4 and kp.shape[1:] == (2, 2, 7)
        assert kp.shape[0] >= 1 and kp.flags.c_contiguous
        assert not np.isinf(kp).any() and not np.isnan(kp).all()
        if seq.labels is not None:
            check_labels(seq.labels, seq.n_frames)
        if seq.scores is not None:
            assert seq.scores.dtype == np.float32 and seq.scores.shape == (seq.n_frames, 2, 7)


def check_labels(labels: np.ndarray, n_frames: int | None = None) -> None:
    assert labels.dtype == np.int8 and labels.ndim == 1 and len(labels) >= 1
    assert labels.min() >= 0 and labels.max() < len(VOCABULARY)
    if n_frames is not None:
        assert len(labels) == n_frames


def read_every_way(path: Path) -> None:
    """Every reader of a pose/labels file, each allowed only our errors."""
    for reader in (io.load_train_npy, io.load_test_npy, io.load):
        dataset = only_our_errors(reader, path)
        if dataset is not None:
            check_dataset(dataset)
    for reader in (io.load_labels, io.load_submission):
        labels = only_our_errors(reader, path)
        if labels is not None:
            for values in labels.values():
                check_labels(values)
    report = only_our_errors(io.describe_file, path)
    if report is not None:
        assert report.kind in ("train", "test", "labels", "submission", "calms21-json")
        assert all(isinstance(p, str) for p in report.problems)


# ----------------------------------------------------------------------------- npy readers


@FUZZ
@given(obj=train_like())
def test_nearly_valid_npy_files_give_a_data_set_or_our_error(scratch, obj):
    read_every_way(save_object(scratch / "f.npy", obj))


@FUZZ
@given(obj=ANYTHING)
def test_any_pickled_structure_gives_a_result_or_our_error(scratch, obj):
    read_every_way(save_object(scratch / "any.npy", obj))


@FUZZ
@given(payload=st.binary(max_size=300), header=st.booleans())
def test_random_bytes_give_our_error(scratch, payload, header):
    path = scratch / "bytes.npy"
    with open(path, "wb") as fh:
        if header:  # a valid "pickled object" header, then random pickle opcodes
            np.lib.format.write_array_header_1_0(
                fh, {"descr": "|O", "fortran_order": False, "shape": ()}
            )
        fh.write(payload)
    read_every_way(path)


def _valid_train_bytes() -> bytes:
    rng = np.random.default_rng(0)
    sequences = [
        Sequence(
            f"s{i}",
            rng.uniform(0, 500, (4, 2, 2, 7)).astype(np.float32),
            i,
            rng.integers(0, 4, 4).astype(np.int8),
            rng.uniform(0, 1, (4, 2, 7)).astype(np.float32),
        )
        for i in range(2)
    ]
    with tempfile.TemporaryDirectory() as folder:
        return io.save_train_npy(Dataset(sequences), Path(folder) / "t.npy").read_bytes()


VALID_TRAIN = _valid_train_bytes()
MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["flip", "set", "insert", "delete", "truncate"]),
        st.integers(0, len(VALID_TRAIN)),
        st.integers(0, 255),
    ),
    min_size=1,
    max_size=4,
)


def mutate(data: bytes, mutations: list[tuple[str, int, int]]) -> bytes:
    buffer = bytearray(data)
    for kind, where, value in mutations:
        where = min(where, max(len(buffer) - 1, 0))
        if kind == "flip" and buffer:
            buffer[where] ^= 1 << (value % 8)
        elif kind == "set" and buffer:
            buffer[where] = value
        elif kind == "insert":
            buffer[where:where] = bytes([value]) * (1 + value % 3)
        elif kind == "delete":
            del buffer[where : where + 1 + value % 8]
        elif kind == "truncate":
            del buffer[where:]
    return bytes(buffer)


@FUZZ
@given(mutations=MUTATIONS)
def test_corrupted_npy_files_give_a_data_set_or_our_error(scratch, mutations):
    path = scratch / "corrupt.npy"
    path.write_bytes(mutate(VALID_TRAIN, mutations))
    read_every_way(path)


# ----------------------------------------------------------------------------- JSON reader

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TEXT
)
JSON_ANY = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


@st.composite
def calms21_like(draw: st.DrawFn) -> object:
    groups = {}
    for _ in range(draw(st.integers(0, 3))):
        name = draw(st.sampled_from(["annotator-id_1", "annotator-id_-2", "annotator-id_x"]) | TEXT)
        members = {}
        for _ in range(draw(st.integers(0, 3))):
            entry = draw(sequence_entry())
            if isinstance(entry, dict) and draw(st.booleans()):
                entry["metadata"] = draw(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "annotator-id": st.integers(-2, 3) | JSON_SCALARS,
                            "vocab": VOCABULARIES,
                        },
                    )
                    | JSON_ANY
                )
            members[draw(TEXT)] = entry
        groups[name] = (
            draw(st.just(members) | JSON_ANY) if draw(st.integers(0, 6)) == 0 else members
        )
    return groups


def as_json_text(obj: object) -> str | None:
    """``obj`` as JSON text (arrays as lists), or None if JSON cannot hold it."""

    def plain(value: object) -> object:
        if isinstance(value, np.ndarray):
            return plain(value.tolist())
        if isinstance(value, np.generic):
            return plain(value.item())
        if isinstance(value, dict):
            if not all(isinstance(k, str) for k in value):
                raise TypeError
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, bytes | complex):
            raise TypeError
        return value

    try:
        return json.dumps(plain(obj))
    except (TypeError, ValueError):
        return None


def read_json_every_way(path: Path) -> None:
    dataset = only_our_errors(io.load_calms21_json, path)
    if dataset is not None:
        check_dataset(dataset)
    only_our_errors(io.load, path)
    only_our_errors(io.describe_file, path)


@FUZZ
@given(obj=calms21_like() | JSON_ANY)
def test_nearly_valid_json_gives_a_data_set_or_our_error(scratch, obj):
    text = as_json_text(obj)
    if text is None:
        return
    path = scratch / "f.json"
    path.write_text(text)
    read_json_every_way(path)


VALID_JSON = json.dumps(
    {
        "annotator-id_1": {
            "v1": {
                "keypoints": np.arange(2 * 28, dtype=float).reshape(2, 2, 2, 7).tolist(),
                "scores": np.ones((2, 2, 7)).tolist(),
                "annotations": [0, 3],
                "metadata": {"annotator-id": 1, "vocab": {n: i for i, n in enumerate(VOCABULARY)}},
            }
        }
    }
)


@FUZZ
@given(
    mutations=st.lists(
        st.tuples(
            st.integers(0, len(VALID_JSON)), st.sampled_from([*list('[]{},:"0-eE.n '), "NaN"])
        ),
        min_size=1,
        max_size=4,
    ),
    cut=st.integers(0, len(VALID_JSON)),
)
def test_corrupted_json_gives_a_data_set_or_our_error(scratch, mutations, cut):
    text = VALID_JSON
    for where, piece in mutations:
        text = text[:where] + piece + text[where + 1 :]
    path = scratch / "corrupt.json"
    path.write_text(text[: max(cut, len(text) // 2)])
    read_json_every_way(path)


# ----------------------------------------------------------------------------- validators


@pytest.fixture(scope="module")
def three_sequences() -> Dataset:
    rng = np.random.default_rng(1)
    return Dataset(
        Sequence(f"t{i}", rng.uniform(0, 500, (n, 2, 2, 7)).astype(np.float32), i)
        for i, n in enumerate((3, 1, 5))
    )


@FUZZ
@given(
    submission=st.dictionaries(
        st.sampled_from(["t0", "t1", "t2", "x"]) | TEXT, label_values(3), max_size=4
    )
)
def test_any_submission_is_valid_or_every_problem_is_named(three_sequences, submission):
    if only_our_errors(io.validate_submission, submission, three_sequences, "sub.npy") is None:
        return
    # accepted: exactly the test sequences, one valid label per frame
    assert set(submission) == set(three_sequences.ids)
    for seq in three_sequences:
        values = np.asarray(submission[seq.id])
        assert values.shape == (seq.n_frames,)
        assert np.all((values >= 0) & (values < len(VOCABULARY)) & (values == np.round(values)))


@FUZZ
@given(
    labels=st.dictionaries(st.sampled_from(["t0", "t1", "t2", "x"]), label_values(3), max_size=3)
)
def test_attaching_any_labels_gives_a_labelled_set_or_our_error(three_sequences, labels):
    attached = only_our_errors(io.attach_labels, three_sequences, labels, "labels.npy")
    if attached is not None:
        check_dataset(attached)
        assert attached.ids == three_sequences.ids


# ----------------------------------------------------------------------------- model directories


def _json_paths(node: object, prefix: tuple = ()) -> list[tuple]:
    paths = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _json_paths(value, (*prefix, key))
    elif isinstance(node, list) and len(node) < 20:  # not into the feature-name list
        for i, value in enumerate(node):
            paths += _json_paths(value, (*prefix, i))
    return paths


@pytest.fixture(scope="module")
def model_copy(scratch) -> Path:
    return Path(shutil.copytree(small_model_dir(), scratch / "model"))


@functools.cache
def _manifest_paths() -> list[tuple]:
    return _json_paths(json.loads((small_model_dir() / MANIFEST).read_text()))[1:]


@pytest.mark.filterwarnings("ignore::ethostyle.models.boosted.UnknownAnnotatorWarning")
@FUZZ
@given(data=st.data())
def test_any_manifest_edit_gives_a_working_model_or_our_error(model_copy, data):
    original = json.loads((small_model_dir() / MANIFEST).read_text())
    manifest = json.loads(json.dumps(original))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_manifest_paths()))
        parent = manifest
        try:
            for key in path[:-1]:
                parent = parent[key]
            if data.draw(st.booleans()) and isinstance(parent, dict):
                parent.pop(path[-1], None)
            else:
                parent[path[-1]] = data.draw(JSON_ANY)
        except (KeyError, IndexError, TypeError):  # an earlier edit removed the place
            continue
    (model_copy / MANIFEST).write_text(json.dumps(manifest))
    model = only_our_errors(load_model, model_copy)
    if model is None:
        return
    rng = np.random.default_rng(0)
    probe = Sequence("p", rng.uniform(100, 400, (40, 2, 2, 7)).astype(np.float32), 1)
    for annotator in (None, 0, 3, 99):
        result = only_our_errors(model.predict_sequence, probe, annotator)
        if result is not None:
            labels, proba = result
            check_labels(labels, probe.n_frames)
            assert proba.shape == (probe.n_frames, len(VOCABULARY))
            assert np.all(np.isfinite(proba))


# ----------------------------------------------------------------------------- round trips

IDS = st.lists(TEXT, min_size=1, max_size=4, unique=True)


@st.composite
def valid_datasets(draw: st.DrawFn, *, labelled: bool = True) -> Dataset:
    sequences = []
    for sid in draw(IDS):
        n = draw(st.integers(1, 12))
        kp = draw(
            hnp.arrays(
                np.float32,
                (n, 2, 2, 7),
                elements=st.floats(-2000, 3000, width=32) | st.just(float("nan")),
            ).filter(lambda a: not np.isnan(a).all())
        )
        labels = draw(hnp.arrays(np.int8, (n,), elements=st.integers(0, 3))) if labelled else None
        scores = (
            draw(hnp.arrays(np.float32, (n, 2, 7), elements=st.floats(0, 1, width=32)))
            if draw(st.booleans())
            else None
        )
        sequences.append(Sequence(sid, kp, draw(st.integers(-5, 10**6)), labels, scores))
    return Dataset(sequences)


def assert_same_sequences(a: Dataset, b: Dataset, *, labels: bool = True) -> None:
    assert sorted(a.ids) == sorted(b.ids)
    for x in a:
        y = b[x.id]
        assert y.annotator_id == x.annotator_id
        assert np.array_equal(x.keypoints, y.keypoints, equal_nan=True)
        if labels:
            assert np.array_equal(x.labels, y.labels)
        else:
            assert y.labels is None
        if x.scores is None:
            assert y.scores is None
        else:
            assert np.array_equal(x.scores, y.scores)


@FUZZ
@given(dataset=valid_datasets())
def test_valid_data_round_trips_exactly_through_every_file_format(scratch, dataset):
    folder = Path(tempfile.mkdtemp(dir=scratch))
    train = io.load_train_npy(io.save_train_npy(dataset, folder / "train.npy"))
    assert train.ids == dataset.ids
    assert_same_sequences(dataset, train)
    assert_same_sequences(
        dataset, io.load_test_npy(io.save_test_npy(dataset, folder / "t.npy")), labels=False
    )
    assert_same_sequences(
        dataset, io.load_calms21_json(io.save_calms21_json(dataset, folder / "d.json"))
    )
    labels = {s.id: s.labels for s in dataset}
    for save, load in (
        (io.save_labels_npy, io.load_labels),
        (io.save_submission, io.load_submission),
    ):
        back = load(save(labels, folder / "labels.npy"))
        assert list(back) == list(labels)
        assert all(np.array_equal(back[k], labels[k]) for k in labels)
    shutil.rmtree(folder)


@FUZZ
@given(dataset=valid_datasets(), data=st.data())
def test_predictions_round_trip_through_the_probability_and_bout_files(scratch, dataset, data):
    assume("__vocabulary__" not in dataset.ids)  # refused there (test_reliability_data)
    folder = Path(tempfile.mkdtemp(dir=scratch))
    proba = {
        s.id: data.draw(
            hnp.arrays(
                np.float32, (s.n_frames, len(VOCABULARY)), elements=st.floats(0, 1, width=32)
            )
        )
        for s in dataset
    }
    styles = {s.id: s.annotator_id for s in dataset}
    predictions = Predictions({s.id: s.labels for s in dataset}, proba, styles)
    with np.load(write_probabilities(proba, folder / "p.npz")) as npz:
        assert list(npz["__vocabulary__"]) == list(VOCABULARY)
        assert sorted(npz) == sorted(["__vocabulary__", *proba])
        assert all(np.array_equal(npz[k], v) for k, v in proba.items())
    rebuilt = {s.id: np.full(s.n_frames, OTHER, np.int8) for s in dataset}
    with open(write_bouts_csv(predictions, folder / "b.csv"), newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            sid, start, stop = row["sequence"], int(row["start_frame"]), int(row["stop_frame"])
            label = VOCABULARY.index(row["behavior"])
            rebuilt[sid][start:stop] = label
            assert int(row["annotator_style"]) == styles[sid]
            mean = float(proba[sid][start:stop, label].astype(np.float64).mean())
            assert math.isclose(float(row["mean_probability"]), mean, abs_tol=1e-4)
    for s in dataset:
        assert np.array_equal(rebuilt[s.id], s.labels)
    shutil.rmtree(folder)


# ----------------------------------------------------------------------------- a lab's own files

LABEL_COLUMNS = [
    "sequence",
    "video",
    "behavior",
    "label",
    "start",
    "stop",
    "start_frame",
    "stop_s",
    "frame",
    "Observation id",
    "Behavior",
    "Behavior type",
    "Media file path",
    "Start (s)",
    "Stop (s)",
    "Time",
    "Status",
    "Subject",
    "x",
]
CELLS = (
    st.sampled_from(["attack", "sniffing", "START", "STOP", "POINT", "v1", "", "nan", "-1"])
    | st.integers(-5, 10**6).map(str)
    | st.floats(allow_nan=True, allow_infinity=True).map(str)
    | TEXT.filter(lambda t: "\x00" not in t)
)


@st.composite
def label_tables(draw: st.DrawFn) -> str:
    """Text tables with label-file column names and odd cells, in a sniffable dialect."""
    separator = draw(st.sampled_from([",", "\t", ";"]))
    header = draw(st.lists(st.sampled_from(LABEL_COLUMNS), min_size=1, max_size=5, unique=True))
    rows = draw(st.lists(st.lists(CELLS, min_size=len(header), max_size=len(header)), max_size=6))
    quote = lambda cell: '"' + cell.replace('"', '""') + '"' if cell else cell  # noqa: E731
    lines = [separator.join(header)] + [separator.join(map(quote, r)) for r in rows]
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))


@FUZZ
@given(text=label_tables() | TEXT, suffix=st.sampled_from([".csv", ".tsv", ".txt"]))
def test_any_label_table_gives_bouts_or_our_error(scratch, text, suffix):
    from ethostyle.importers import read_label_file

    path = scratch / f"labels{suffix}"
    path.write_text(text, encoding="utf-8")
    for units in ("frames", "seconds"):
        table = only_our_errors(functools.partial(read_label_file, units=units), path)
        if table is not None:
            assert len(table.start) == len(table.stop) == len(table.behavior)
            assert table.start.dtype.kind == "i" and np.all(table.stop >= table.start)


@FUZZ
@given(
    payload=st.binary(max_size=200) | TEXT.map(str.encode),
    suffix=st.sampled_from([".h5", ".csv", ".slp", ".nwb", ".hdf5"]),
    header=st.sampled_from([b"", b"\x89HDF\r\n\x1a\n", b"scorer,a,a\nbodyparts,nose,nose\n"]),
)
def test_any_pose_file_gives_poses_or_our_error(scratch, payload, suffix, header):
    from ethostyle.importers import import_pose

    path = scratch / f"video{suffix}"
    path.write_bytes(header + payload)
    only_our_errors(import_pose, path)


@FUZZ
@given(obj=train_like(), names=ANYTHING | st.dictionaries(TEXT, st.integers(-2, 9), max_size=3))
def test_any_lab_data_set_file_gives_a_data_set_or_our_error(scratch, obj, names):
    from ethostyle.importers import load_lab_dataset

    if isinstance(obj, dict) and "sequences" in obj:
        obj["annotator_names"] = names
    result = only_our_errors(load_lab_dataset, save_object(scratch / "lab.npy", obj))
    if result is not None:
        check_dataset(result.dataset)
        names = result.annotator_names
        assert all(isinstance(k, str) and isinstance(v, int) for k, v in names.items())
