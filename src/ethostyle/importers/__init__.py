"""Bring a lab's own data in and take predictions back out.

- :mod:`~ethostyle.importers.pose`: DeepLabCut, SLEAP, LightningPose and NWB pose
  files, read with ``movement`` (``pip install 'ethostyle[pose]'``), into the
  CalMS21 layout;
- :mod:`~ethostyle.importers.label_tables`: a lab's label spreadsheets (one row
  per frame or per bout) read into a :class:`LabelTable`;
- :mod:`~ethostyle.importers.boris`: BORIS exports in (into the same table),
  BORIS-importable event spreadsheets out;
- :mod:`~ethostyle.importers.label_import`: any label file read
  (:func:`read_label_file`) and painted onto those poses, under an annotator's name;
- :mod:`~ethostyle.importers.dataset`: the labelled data set file, which keeps
  annotator names beside their ids;
- :mod:`~ethostyle.importers.exports`: labels out to other tools: a per-frame CSV
  of predictions, per-frame 0/1 tables (SimBA) and NWB interval tables.
"""

from ethostyle.importers.bodyparts import (
    BodyPartMatch,
    match_bodyparts,
    missing_cost,
    parse_name_mapping,
)
from ethostyle.importers.boris import (
    export_boris,
    is_boris_table,
    read_boris,
    write_boris_import,
)
from ethostyle.importers.dataset import LabDataset, add_annotator, load_lab_dataset
from ethostyle.importers.exports import export_frame_tables, export_nwb, write_frames_csv
from ethostyle.importers.label_import import (
    LabelImport,
    behavior_codes,
    import_labels,
    labels_for_dataset,
    read_label_file,
)
from ethostyle.importers.label_tables import LabelTable, read_label_csv
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
    "export_frame_tables",
    "export_nwb",
    "import_labels",
    "import_pose",
    "import_pose_files",
    "is_boris_table",
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
    "write_frames_csv",
]
