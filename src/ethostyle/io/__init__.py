"""Read and write the MABe 2021 / CalMS21 file layouts, safely.

:func:`load` reads any pose layout and :func:`save` writes a data set,
predictions or a submission in the layout its suffix names; the per-layout
functions below are what they dispatch to. :func:`find_problems` lists
everything wrong with a file (``ethostyle validate``).

Every ``.npy`` reader goes through :func:`safe_load_npy`: a restricted
unpickler that admits only numpy arrays, dtypes and builtin containers, so a
file whose pickle would run code is refused (:class:`~ethostyle.errors.UnsafeFileError`)
and the code never runs. Every writer writes a temporary file and renames it.
Content is checked once, at this boundary, by :mod:`ethostyle.io.validation`.
See ``docs/formats.md``.

Modules: ``dispatch`` (load/save), ``describe`` (find_problems),
``calms21_npy`` and ``calms21_json`` (pose layouts), ``label_arrays``
(``{id: labels}`` files), ``submission``, ``outputs`` (probabilities, bouts),
``validation`` (the checkers), ``_safe_pickle``.
"""

from ethostyle.io._safe_pickle import ADMITTED_GLOBALS, refuse_unsafe_hdf5, safe_load_npy
from ethostyle.io.calms21_json import load_calms21_json, save_calms21_json
from ethostyle.io.calms21_npy import load_test_npy, load_train_npy, save_test_npy, save_train_npy
from ethostyle.io.describe import FileReport, describe_file, find_problems
from ethostyle.io.dispatch import load, load_many, save
from ethostyle.io.label_arrays import attach_labels, load_labels, save_labels_npy
from ethostyle.io.outputs import write_bouts_csv, write_probabilities
from ethostyle.io.submission import load_submission, save_submission, validate_submission
from ethostyle.io.validation import checked_labels

__all__ = [
    "ADMITTED_GLOBALS",
    "FileReport",
    "attach_labels",
    "checked_labels",
    "describe_file",
    "find_problems",
    "load",
    "load_calms21_json",
    "load_labels",
    "load_many",
    "load_submission",
    "load_test_npy",
    "load_train_npy",
    "refuse_unsafe_hdf5",
    "safe_load_npy",
    "save",
    "save_calms21_json",
    "save_labels_npy",
    "save_submission",
    "save_test_npy",
    "save_train_npy",
    "validate_submission",
    "write_bouts_csv",
    "write_probabilities",
]
