"""Untrusted files: hostile pickles never run, limits are named, tampered models are refused.

The hostile pickles below are live: each test first shows that plain ``pickle``
would run the payload (its side effect, a marker file, appears), then that every
ethostyle command refuses the file with one message and the marker never appears.
"""

from __future__ import annotations

import copyreg
import json
import pickle
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.testing._private.utils as numpy_test_utils
import pytest

from ethostyle import io
from ethostyle.errors import ModelFormatError, UnsafeFileError
from ethostyle.models.store import FORMAT_VERSION, MANIFEST, load_model
from support import (
    RunsCode,
    assert_clean_error,
    assert_success,
    invoke,
    save_pickle_npy,
    small_model_dir,
    tiny_simulation,
    touch,
    touch_command,
)

# ----------------------------------------------------------------------------- payloads


def _payload_reduce(marker: Path, protocol: int) -> bytes:
    return pickle.dumps(touch(marker), protocol=protocol)


def _payload_inst(marker: Path) -> bytes:
    # protocol 0 INST opcode: "i" module NL name NL, called on the marked arguments
    return b"(S'" + touch_command(marker).encode() + b"'\nios\nsystem\n."


def _payload_obj(marker: Path) -> bytes:
    # protocol 1 OBJ opcode: the class and its arguments on the stack after a mark
    return b"(cos\nsystem\nS'" + touch_command(marker).encode() + b"'\no."


def _payload_numpy_gadget(marker: Path) -> bytes:
    # numpy ships a function that runs a string of code; a file may name it
    code = f"open({str(marker)!r}, 'w').close()"
    return pickle.dumps(RunsCode(numpy_test_utils.runstring, code, {}), protocol=2)


def _payload_extension(marker: Path) -> bytes:
    # the EXT1 opcode names os.system through copyreg's extension registry
    copyreg.add_extension("posix", "system", 0xE7)
    try:
        return pickle.dumps(touch(marker), protocol=2)
    finally:
        copyreg.remove_extension("posix", "system", 0xE7)


def _payload_inside_array(marker: Path) -> bytes:
    # the call hidden as one element of an object array, inside the train layout
    hidden = np.empty(1, dtype=object)
    hidden[0] = touch(marker)
    obj = {"sequences": {"s1": {"keypoints": hidden, "annotator_id": 0, "annotations": [3]}}}
    return pickle.dumps(np.array(obj, dtype=object), protocol=3)


PAYLOADS: dict[str, Callable[[Path], bytes]] = {
    "REDUCE protocol 2": lambda m: _payload_reduce(m, 2),
    "STACK_GLOBAL protocol 5": lambda m: _payload_reduce(m, 5),
    "INST protocol 0": _payload_inst,
    "OBJ protocol 1": _payload_obj,
    "numpy runstring gadget": _payload_numpy_gadget,
    "EXT1 extension registry": _payload_extension,
    "inside an object array": _payload_inside_array,
}


def npy_holding(path: Path, payload: bytes) -> Path:
    """A ``.npy`` file whose header says "pickled object" followed by ``payload``."""
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": "|O", "fortran_order": False, "shape": ()}
        )
        fh.write(payload)
    return path


def _with_extension(load: Callable[[], object]) -> object:
    copyreg.add_extension("posix", "system", 0xE7)
    try:
        return load()
    finally:
        copyreg.remove_extension("posix", "system", 0xE7)


@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_payloads_are_live_for_plain_pickle(tmp_path, payload):
    """The control: without ethostyle's reader, loading each file runs its code."""
    marker = tmp_path / "ran"
    path = npy_holding(tmp_path / "f.npy", PAYLOADS[payload](marker))

    def plain_load():
        with open(path, "rb") as fh:
            return np.load(fh, allow_pickle=True)

    if payload.startswith("EXT1"):
        _with_extension(plain_load)
    else:
        try:
            plain_load()
        except Exception:  # the payload ran; what it returned is no array
            pass
    assert marker.exists()


COMMANDS: dict[str, Callable[[Path, Path], list[object]]] = {
    "predict": lambda f, tmp: ["predict", small_model_dir(), f, "--out", tmp / "sub.npy"],
    "predict (several files)": lambda f, tmp: [
        "predict",
        small_model_dir(),
        _good_test(tmp),
        f,
        "--out",
        tmp / "sub.npy",
    ],
    "train": lambda f, tmp: ["train", f, "--out", tmp / "model"],
    "validate": lambda f, tmp: ["validate", f],
    "evaluate (submission)": lambda f, tmp: ["evaluate", f, _good_test(tmp), _good_labels(tmp)],
    "evaluate (labels)": lambda f, tmp: ["evaluate", _good_sub(tmp), _good_test(tmp), f],
}


def _good_test(tmp: Path) -> Path:
    return io.save_test_npy(tiny_simulation().test, tmp / "test.npy")


def _good_labels(tmp: Path) -> Path:
    return io.save_labels_npy({s.id: s.labels for s in tiny_simulation().test}, tmp / "lab.npy")


def _good_sub(tmp: Path) -> Path:
    return io.save_submission({s.id: s.labels for s in tiny_simulation().test}, tmp / "s.npy")


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("payload", list(PAYLOADS))
def test_hostile_pickle_is_refused_by_every_command_and_never_runs(tmp_path, payload, command):
    marker = tmp_path / "ran"
    path = npy_holding(tmp_path / "hostile.npy", PAYLOADS[payload](marker))
    args = COMMANDS[command](path, tmp_path)
    if payload.startswith("EXT1"):  # the registry entry exists in the loading process
        result = _with_extension(lambda: invoke(*args))
    else:
        result = invoke(*args)
    assert_clean_error(result, re.escape(str(path)), "never runs code")
    assert not marker.exists()
    assert not (tmp_path / "sub.npy").exists() and not (tmp_path / "model").exists()


def test_modifying_an_admitted_function_is_refused(tmp_path):
    # GLOBAL numpy.dtype, then BUILD with a state dict: would set attributes on it
    payload = b"\x80\x02cnumpy\ndtype\n}X\x03\x00\x00\x00newK\x01sb."
    path = npy_holding(tmp_path / "f.npy", payload)
    with pytest.raises(UnsafeFileError, match=r"tries to modify numpy\.dtype"):
        io.safe_load_npy(path)


# ----------------------------------------------------------------------------- structure


class _ForgedArray:
    """Pickles to an object array whose state claims more items than it carries."""

    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct

        state = (1, (1000,), np.dtype(object), False, [1, 2, 3])
        return _reconstruct, (np.ndarray, (0,), b"b"), state


def test_object_array_shorter_than_its_shape_is_refused(tmp_path):
    # numpy's own unpickling reads past the end of such a list (a crash or a leak),
    # so there is no plain-numpy control here
    path = npy_holding(tmp_path / "short.npy", pickle.dumps(_ForgedArray(), protocol=2))
    with pytest.raises(UnsafeFileError, match=r"object array of shape \(1000,\) but stores 3"):
        io.safe_load_npy(path)


def test_array_declaring_a_terabyte_is_refused_without_allocating(tmp_path):
    path = tmp_path / "huge.npy"
    with open(path, "wb") as fh:
        np.lib.format.write_array_header_1_0(
            fh, {"descr": "<f8", "fortran_order": False, "shape": (10**11, 2, 2, 7)}
        )
        fh.write(b"\0" * 64)
    start = time.perf_counter()
    result = invoke("validate", path)
    assert_clean_error(result, re.escape(str(path)), r"declares \d+ bytes", "holds 64")
    assert time.perf_counter() - start < 5


def test_deeply_nested_pickle_is_refused_naming_the_limit(tmp_path):
    # 100,000 lists in lists, far past Python's recursion limit: EMPTY_LIST opcodes,
    # then APPENDs that put each list into the one below it
    depth = 100_000
    payload = b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."
    path = npy_holding(tmp_path / "deep.npy", payload)
    assert_clean_error(invoke("validate", path), re.escape(str(path)), "MAX_NESTING_DEPTH=16")


def test_deeply_nested_json_is_refused_naming_the_limit(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    assert_clean_error(invoke("validate", path), re.escape(str(path)), "MAX_NESTING_DEPTH")


def test_many_sequences_sharing_one_array_cannot_unfold_past_the_frame_limit(
    tiny, tmp_path, monkeypatch
):
    import ethostyle.io.validation as validation

    # 200 sequences all pointing at one 900-frame array: a 100 kB file that would
    # unfold into 180,000 frames of keypoints
    shared = {"keypoints": next(iter(tiny.test)).keypoints, "annotator_id": 1}
    path = save_pickle_npy(tmp_path / "test.npy", {f"s{i}": shared for i in range(200)})
    assert path.stat().st_size < 200_000
    monkeypatch.setattr(validation, "MAX_TOTAL_FRAMES", 50_000)
    assert_clean_error(
        invoke("predict", small_model_dir(), path, "--out", tmp_path / "sub.npy"),
        re.escape(str(path)),
        "more than MAX_TOTAL_FRAMES=50000 frames",
        "split",
    )
    labels = save_pickle_npy(tmp_path / "labels.npy", {f"s{i}": [3] * 1000 for i in range(60)})
    with pytest.raises(UnsafeFileError, match="MAX_TOTAL_FRAMES=50000"):
        io.load_labels(labels)


def test_json_with_too_many_sequences_names_the_limit(tmp_path, monkeypatch):
    import ethostyle.io.calms21_json as calms21_json

    one = {"keypoints": np.zeros((2, 2, 2, 7)).tolist()}
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"annotator-id_1": {f"s{i}": one for i in range(5)}}))
    monkeypatch.setattr(calms21_json, "MAX_SEQUENCES", 4)
    assert_clean_error(invoke("validate", path), re.escape(str(path)), "MAX_SEQUENCES=4")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"annotator-id_1": {"v": {"keypoints": [[[[1' + "0" * 400 + "]]]]}}}", "too large"),
        (b"\xff\xfe{}", "not UTF-8"),
        ("[1, 2, 3]", "holds list"),
        ('{"annotator-id_1": {"v": {"keypoints": "x", "annotator', "not valid JSON"),
    ],
    ids=["number beyond float", "not utf-8", "a list", "truncated"],
)
def test_malformed_json_gets_one_message(tmp_path, text, message):
    path = tmp_path / "data.json"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    result = invoke("validate", path)
    assert_clean_error(result, re.escape(str(path)), message, anywhere=True)


def test_json_infinity_is_read_as_missing_with_a_warning(tiny, tmp_path):
    kp = next(iter(tiny.test)).keypoints[:40].tolist()
    kp[3][0][0][0] = float("inf")
    path = tmp_path / "data.json"
    path.write_text(json.dumps({"annotator-id_1": {"v": {"keypoints": kp}}}))
    assert "Infinity" in path.read_text()
    output = assert_success(invoke("validate", path))
    assert re.search(r"'v'.*1 infinite keypoint values \(first at frame 3\)", output), output
    assert np.isnan(io.load(path)["v"].keypoints[3, 0, 0, 0])


# ----------------------------------------------------------------------------- model directories


@pytest.fixture
def model_copy(tmp_path) -> Path:
    return Path(shutil.copytree(small_model_dir(), tmp_path / "model"))


@pytest.fixture(scope="module")
def small_test_file(tiny, tmp_path_factory) -> Path:
    test = tiny.test
    return io.save_test_npy(test.select(test.ids[:2]), tmp_path_factory.mktemp("t") / "test.npy")


def a_style_file() -> str:
    """The weight file of the first annotator whose style has trees of its own."""
    manifest = json.loads((small_model_dir() / MANIFEST).read_text())
    styles = manifest["config"]["styles"]
    return next(s["file"] for _, s in sorted(styles.items()) if s["file"])


def predict_with(model: Path, small_test_file: Path, tmp_path: Path):
    return invoke("predict", model, small_test_file, "--out", tmp_path / "sub.npy")


def edit_manifest(model: Path, change: Callable[[dict], object]) -> None:
    manifest = json.loads((model / MANIFEST).read_text())
    change(manifest)
    (model / MANIFEST).write_text(json.dumps(manifest))


def test_untouched_model_copy_predicts(model_copy, small_test_file, tmp_path):
    assert_success(predict_with(model_copy, small_test_file, tmp_path))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:-1] + bytes([b[-1] ^ 1]), id="one bit flipped"),
        pytest.param(lambda b: b[: len(b) // 2], id="truncated"),
        pytest.param(lambda b: b.replace(b"learning_rate", b"learning_ratf", 1), id="edited"),
        pytest.param(lambda b: b"", id="emptied"),
    ],
)
@pytest.mark.parametrize("weights", ["reference", "style"])
def test_changed_weight_file_is_refused(model_copy, small_test_file, tmp_path, damage, weights):
    path = model_copy / (f"{weights}.lgb.txt" if weights == "reference" else a_style_file())
    path.write_bytes(damage(path.read_bytes()))
    result = predict_with(model_copy, small_test_file, tmp_path)
    assert_clean_error(result, re.escape(str(path)), "checksum does not match", "Retrain")
    assert not (tmp_path / "sub.npy").exists()


def test_missing_weight_file_is_refused(model_copy, small_test_file, tmp_path):
    (model_copy / a_style_file()).unlink()
    result = predict_with(model_copy, small_test_file, tmp_path)
    assert_clean_error(result, f"weight file {a_style_file()} is missing", "retrain")


def test_weight_file_swapped_for_a_pickle_never_runs(model_copy, small_test_file, tmp_path):
    # even with its checksum updated to match, the weights are parsed as LightGBM text
    import hashlib

    marker = tmp_path / "ran"
    payload = _payload_reduce(marker, 2)
    (model_copy / "reference.lgb.txt").write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    edit_manifest(model_copy, lambda m: m["files"].__setitem__("reference.lgb.txt", digest))
    result = predict_with(model_copy, small_test_file, tmp_path)
    assert_clean_error(result, "reference.lgb.txt", "not a readable LightGBM model")
    assert not marker.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda m: m.update(format_version=FORMAT_VERSION + 1, package_version="9.1.0"),
            rf"model format version {FORMAT_VERSION + 1}, but ethostyle .* reads version "
            rf"{FORMAT_VERSION}; retrain the model, or use the ethostyle version that wrote it "
            r"\(9\.1\.0\)",
        ),
        (lambda m: m.pop("format_version"), r"model format version None"),
        (lambda m: m.update(format="something-else"), "not an ethostyle model manifest"),
        (
            lambda m: m.update(vocabulary=list(reversed(m["vocabulary"]))),
            "classes are .* not .* in this order.*mislabelled",
        ),
        (lambda m: m.update(files={}), "'reference.lgb.txt' has no checksum"),
        (lambda m: m["files"].pop(a_style_file()), "'style_.*' has no checksum"),
        (
            lambda m: m["config"]["reference"].update(file="../../etc/passwd"),
            "'../../etc/passwd' has no",
        ),
        (lambda m: m["files"].update({"../x": "0" * 64}), "'../x' is not a plain file name"),
        (
            lambda m: m["config"].update(feature_names=m["config"]["feature_names"][:-1]),
            "does not fit its weight files.*reference weights read",
        ),
        (
            lambda m: m["config"].update(style_columns=[*m["config"]["style_columns"], 10**6]),
            "'style_columns' points outside",
        ),
        (
            lambda m: m["config"]["styles"]["4"].update(evidence=[True]),
            "'evidence' is not one weight",
        ),
        (
            lambda m: m["config"]["reference"]["program"].update(bogus=1),
            "reference.program.bogus is not a style program field",
        ),
        (lambda m: m["config"].pop("styles"), "incomplete manifest"),
        (
            lambda m: m["config"]["styles"].update({"x": m["config"]["styles"]["1"]}),
            "incomplete manifest",
        ),
    ],
    ids=[
        "newer format",
        "no format version",
        "not ours",
        "classes reordered",
        "no checksums",
        "one checksum dropped",
        "path outside the directory",
        "odd file name",
        "feature list shortened",
        "style column out of range",
        "evidence mangled",
        "unknown program field",
        "styles missing",
        "annotator not a number",
    ],
)
def test_altered_manifest_is_refused(model_copy, small_test_file, tmp_path, change, message):
    edit_manifest(model_copy, change)
    result = predict_with(model_copy, small_test_file, tmp_path)
    assert_clean_error(result, re.escape(str(model_copy)), message)
    with pytest.raises(ModelFormatError):
        load_model(model_copy)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "unreadable manifest"),
        ('{"format": "ethostyle-model", "format_ver', "unreadable manifest"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("\udcff", "unreadable manifest"),
        ("[1, 2]", "not an ethostyle model manifest"),
    ],
    ids=["empty", "truncated", "deeply nested", "not text", "a list"],
)
def test_unreadable_manifest_is_refused(model_copy, small_test_file, tmp_path, text, message):
    (model_copy / MANIFEST).write_bytes(text.encode("utf-8", "surrogateescape"))
    assert_clean_error(predict_with(model_copy, small_test_file, tmp_path), message, "retrain")


def test_oversized_manifest_names_the_limit(model_copy, small_test_file, tmp_path, monkeypatch):
    import ethostyle.models.manifest as model_store

    monkeypatch.setattr(model_store, "_MAX_MANIFEST_BYTES", 1000)
    result = predict_with(model_copy, small_test_file, tmp_path)
    assert_clean_error(result, "manifest larger than 1000 bytes")


@pytest.mark.parametrize("where", ["missing", "a data file", "an empty folder"])
def test_something_else_given_as_the_model_is_refused(tmp_path, small_test_file, where):
    model = {
        "missing": tmp_path / "nope",
        "a data file": small_test_file,
        "an empty folder": tmp_path / "empty",
    }[where]
    if where == "an empty folder":
        model.mkdir()
    result = predict_with(model, small_test_file, tmp_path)
    assert_clean_error(result, re.escape(str(model)), "not a model directory")


# ----------------------------------------------------------------------------- output paths


def test_folder_given_as_the_submission_is_refused_without_traceback(tmp_path, small_test_file):
    folder = tmp_path / "folder"
    folder.mkdir()
    result = invoke("predict", small_model_dir(), small_test_file, "--out", folder)
    assert_clean_error(result, re.escape(str(folder)), "is a directory")
    assert folder.is_dir() and not list(folder.iterdir())


def test_file_given_as_the_model_folder_is_refused_and_kept(tiny, tmp_path):
    train = io.save_train_npy(tiny.train.filter([0]).select(tiny.train.ids[:1]), tmp_path / "t.npy")
    existing = tmp_path / "notes.txt"
    existing.write_text("keep me")
    result = invoke("train", train, "--out", existing)
    assert_clean_error(result, re.escape(str(existing)), "not a directory")
    assert existing.read_text() == "keep me"


def test_output_in_a_place_that_cannot_be_written_is_refused(tmp_path, small_test_file):
    out = "/proc/ethostyle/sub.npy"
    result = invoke("predict", small_model_dir(), small_test_file, "--out", out)
    assert_clean_error(result, "/proc/ethostyle", "check the path")


def test_pose_file_that_is_a_folder_is_refused(tmp_path):
    assert_clean_error(invoke("validate", tmp_path), re.escape(str(tmp_path)), "directory")
