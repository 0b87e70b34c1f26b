"""Where do annotators disagree? Label the same videos in every style and measure it.

See :mod:`ethostyle.compare.core` for the entry points and ``docs/compare.md``
for what each measure means.
"""

from ethostyle.compare.core import (
    TABLE_COLUMNS,
    Comparison,
    compare_annotators,
    compare_labels,
    compare_model,
    own_style_score,
)
from ethostyle.compare.files import LabelFiles, read_label_files
from ethostyle.compare.lines import FEATURES, Feature, frame_groups
from ethostyle.compare.summary import NO_DIFFERENCE, NoDifference, summarize

__all__ = [
    "FEATURES",
    "NO_DIFFERENCE",
    "TABLE_COLUMNS",
    "Comparison",
    "Feature",
    "LabelFiles",
    "NoDifference",
    "compare_annotators",
    "compare_labels",
    "compare_model",
    "frame_groups",
    "own_style_score",
    "read_label_files",
    "summarize",
]
