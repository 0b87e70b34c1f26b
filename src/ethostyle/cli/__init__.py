"""The ``ethostyle`` command line: thin shells over the Python API.

:mod:`ethostyle.cli.app` makes the app; each module of commands registers its
commands on it when imported here: :mod:`~ethostyle.cli.data` (simulate,
validate, evaluate, demo), :mod:`~ethostyle.cli.models` (train, adapt, predict, describe-style),
:mod:`~ethostyle.cli.motifs` (motifs),
:mod:`~ethostyle.cli.compare` (compare, compare-labels) and
:mod:`~ethostyle.cli.lab` (import-pose, import-labels, export-boris) and
:mod:`~ethostyle.cli.suggest` (suggest).
"""

from ethostyle.cli import compare, data, lab, models, motifs, suggest  # noqa: F401  (register the commands)
from ethostyle.cli.app import app, console, err_console, run

__all__ = ["app", "console", "err_console", "run"]
