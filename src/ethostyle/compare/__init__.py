"""Where do annotators disagree? Label the same videos in every style and measure it.

See :mod:`ethostyle.compare.core` for the entry points, :mod:`~ethostyle.compare.episodes`
for the stretches of video where two annotators part, :mod:`~ethostyle.compare.pairwise`
for the agreement of every pair, :mod:`~ethostyle.compare.intervals` for how sure each
difference is, and ``docs/compare.md`` for what each measure means.
"""

from ethostyle.compare.core import (
    DEFAULT_MIN_EPISODE_S,
    TABLE_COLUMNS,
    Comparison,
    compare_annotators,
    compare_labels,
    compare_model,
    min_episode_frames,
    own_style_score,
)
from ethostyle.compare.episodes import EPISODE_COLUMNS, EPISODE_KINDS, top_episodes
from ethostyle.compare.files import LabelFiles, read_label_files
from ethostyle.compare.intervals import DIFFERENCE_COLUMNS, difference_rows
from ethostyle.compare.lines import (
    FEATURES,
    Feature,
    checked_px_per_cm,
    feature_set,
    frame_groups,
)
from ethostyle.compare.pairwise import PAIRWISE_COLUMNS, consensus_annotator, pairwise_table
from ethostyle.compare.summary import NO_DIFFERENCE, NoDifference, summarize

__all__ = [
    "DEFAULT_MIN_EPISODE_S",
    "DIFFERENCE_COLUMNS",
    "EPISODE_COLUMNS",
    "EPISODE_KINDS",
    "FEATURES",
    "NO_DIFFERENCE",
    "PAIRWISE_COLUMNS",
    "TABLE_COLUMNS",
    "Comparison",
    "Feature",
    "LabelFiles",
    "NoDifference",
    "checked_px_per_cm",
    "compare_annotators",
    "compare_labels",
    "compare_model",
    "consensus_annotator",
    "difference_rows",
    "feature_set",
    "frame_groups",
    "min_episode_frames",
    "own_style_score",
    "pairwise_table",
    "read_label_files",
    "summarize",
    "top_episodes",
]
