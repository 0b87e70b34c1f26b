"""Read and write the MABe 2021 / CalMS21 file layouts, safely.

Every ``.npy`` reader goes through :func:`safe_load_npy`: a restricted
unpickler that admits only numpy arrays, dtypes and builtin containers, so a
file whose pickle would run code is refused (:class:`~ethostyle.errors.UnsafeFileError`)
and the code never runs. Every writer writes a temporary file and renames it.
See ``docs/formats.md``.
"""

from ethostyle.io._safe_pickle import refuse_unsafe_hdf5, safe_load_npy
from ethostyle.io.calms21_json import load_calms21_json, save_calms21_json
from ethostyle.io.calms21_npy import load_test_npy, load_train_npy, save_test_npy, save_train_npy
from ethostyle.io.describe import FileReport, describe_file, load
from ethostyle.io.labels import attach_labels, load_labels, save_labels_npy
from ethostyle.io.submission import load_submission, save_submission, validate_submission

__all__ = [
    "FileReport",
    "attach_labels",
    "describe_file",
    "load",
    "load_calms21_json",
    "load_labels",
    "load_submission",
    "load_test_npy",
    "load_train_npy",
    "refuse_unsafe_hdf5",
    "safe_load_npy",
    "save_calms21_json",
    "save_labels_npy",
    "save_submission",
    "save_test_npy",
    "save_train_npy",
    "validate_submission",
]
