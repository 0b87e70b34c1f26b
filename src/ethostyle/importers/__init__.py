"""Bring a lab's own data in and take predictions back out.

- :mod:`~ethostyle.importers.pose`: DeepLabCut, SLEAP, LightningPose and NWB pose
  files, read with ``movement`` (``pip install 'ethostyle[pose]'``), into the
  CalMS21 layout;
- :mod:`~ethostyle.importers.labels`: label spreadsheets (one row per frame or
  per bout) onto those poses, under an annotator's name;
- :mod:`~ethostyle.importers.boris`: BORIS exports in, BORIS-importable event
  spreadsheets out;
- :mod:`~ethostyle.importers.dataset`: the labelled data set file, which keeps
  annotator names beside their ids.
"""

from ethostyle.importers.bodyparts import (
    BodyPartMatch,
    match_bodyparts,
    missing_cost,
    parse_name_mapping,
)
from ethostyle.importers.boris import (
    export_boris,
    read_boris,
    read_label_file,
    write_boris_import,
)
from ethostyle.importers.dataset import LabDataset, add_annotator, load_lab_dataset
from ethostyle.importers.labels import (
    LabelImport,
    LabelTable,
    behavior_codes,
    import_labels,
    labels_for_dataset,
    read_label_csv,
)
from ethostyle.importers.pose import (
    SOURCE_SOFTWARE,
    PoseImport,
    detect_source,
    import_pose,
    import_pose_files,
    read_pose_file,
)

__all__ = [
    "SOURCE_SOFTWARE",
    "BodyPartMatch",
    "LabDataset",
    "LabelImport",
    "LabelTable",
    "PoseImport",
    "add_annotator",
    "behavior_codes",
    "detect_source",
    "export_boris",
    "import_labels",
    "import_pose",
    "import_pose_files",
    "labels_for_dataset",
    "load_lab_dataset",
    "match_bodyparts",
    "missing_cost",
    "parse_name_mapping",
    "read_boris",
    "read_label_csv",
    "read_label_file",
    "read_pose_file",
    "write_boris_import",
]
