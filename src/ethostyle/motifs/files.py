"""Reading a motif vocabulary back: its JSON configuration and its ``.npz`` arrays, checked.

Every error is a :class:`~ethostyle.errors.ModelFormatError` naming the file (or the
place of the configuration) and the field, and saying how to fix it: a damaged
vocabulary must never label frames with motifs it does not have.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ethostyle.data import VOCABULARY
from ethostyle.errors import ModelFormatError
from ethostyle.motifs.mixture import GROUPS

__all__ = ["MotifConfig", "read_arrays", "read_config"]

_FIX = "the model is damaged or was written by another ethostyle; retrain it"
# Arrays that may hold NaN (a describing measure the features lack).
_MAY_BE_NAN = ("profile", "overall")


@dataclass(frozen=True)
class MotifConfig:
    """What a saved configuration says: sizes, layout version and the BIC records."""

    n_motifs: int
    n_features: int
    version: int
    bic: dict[int, float]
    group_bic: dict[int, dict[int, float]]


def read_config(
    config: object,
    where: str,
    measures: SequenceABC[str],
    groups: SequenceABC[str],
    newest: int,
) -> MotifConfig:
    """The sizes, layout version and BIC records of a saved configuration, checked.

    Parameters
    ----------
    config : object
        The parsed JSON of :meth:`~ethostyle.motifs.MotifVocabulary.save`.
    where : str
        Where it was read, for the errors (``"model.json: motifs"``).
    measures : sequence of str
        The describing measures this ethostyle uses (they must match).
    groups : sequence of str
        The names of the groups motifs may be found in.
    newest : int
        The newest layout version this ethostyle reads (a configuration without a
        version is version 1).

    Returns
    -------
    MotifConfig

    Raises
    ------
    ModelFormatError
        Naming ``where`` and the field.
    """
    if not isinstance(config, Mapping):
        raise ModelFormatError(f"{where} must be a JSON object; {_FIX}")
    out = []
    for name in ("n_motifs", "n_features", "version"):
        value = config.get(name, 1 if name == "version" else None)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ModelFormatError(f"{where}.{name} must be a positive whole number; {_FIX}")
        out.append(value)
    if out[2] > newest:
        raise ModelFormatError(
            f"{where}.version is {out[2]}: motifs saved by a newer ethostyle (this one reads "
            f"versions 1-{newest}); upgrade ethostyle or retrain the model"
        )
    if list(config.get("measures", [])) != list(measures):
        raise ModelFormatError(
            f"{where}.measures names other describing measures than this ethostyle's; {_FIX}"
        )
    bic = _bic(config.get("bic", {}), f"{where}.bic")
    raw = config.get("group_bic", {})
    if not isinstance(raw, Mapping) or any(g not in groups for g in raw):
        raise ModelFormatError(
            f"{where}.group_bic must map group names ({', '.join(groups)}) to BIC records; {_FIX}"
        )
    group_bic = {list(groups).index(g): _bic(b, f"{where}.group_bic.{g}") for g, b in raw.items()}
    return MotifConfig(out[0], out[1], out[2], bic, group_bic)


def _bic(raw: object, where: str) -> dict[int, float]:
    """A BIC record: numbers of motifs to BIC per frame."""
    try:
        return {int(k): float(v) for k, v in dict(raw).items()}  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ModelFormatError(f"{where} must map numbers of motifs to numbers; {_FIX}") from None


def read_arrays(
    path: Path, ndims: Mapping[str, int], n_motifs: int, n_features: int, n_measures: int
) -> dict[str, np.ndarray]:
    """The arrays of a vocabulary's ``.npz`` file, each checked for presence, shape and values.

    Parameters
    ----------
    path : Path
        The file.
    ndims : mapping of str to int
        Each array's name and number of dimensions.
    n_motifs, n_features, n_measures : int
        The sizes the configuration gives.

    Returns
    -------
    dict of str to numpy.ndarray

    Raises
    ------
    ModelFormatError
        Naming the file and the array (field) that is missing, malformed or of the
        wrong shape, or the file when it cannot be read at all.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
    except FileNotFoundError:
        raise ModelFormatError(f"{path}: the motif file is missing; {_FIX}") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelFormatError(
            f"{path}: not a readable motif file ({type(exc).__name__}: {exc}); {_FIX}"
        ) from None
    missing = [name for name in ndims if name not in arrays]
    if missing:
        raise ModelFormatError(f"{path}: field {missing[0]!r} is missing; {_FIX}")
    n_labelled = arrays["labelled_annotators"].shape[0]
    dims = arrays["components"].shape[0] if arrays["components"].ndim == 2 else 0
    expected = {
        "mean": (n_features,),
        "scale": (n_features,),
        "components": (dims, n_features),
        "centres": (n_motifs, dims),
        "precisions": (n_motifs, dims),
        "log_weights": (n_motifs,),
        "counts": (n_motifs,),
        "profile": (n_motifs, n_measures),
        "overall": (n_measures,),
        "spread": (n_measures,),
        "labelled_annotators": (n_labelled,),
        "label_counts": (n_labelled, n_motifs, len(VOCABULARY)),
        "groups": (n_motifs,),
    }
    for name, ndim in ndims.items():
        a = arrays[name]
        if a.dtype.kind not in "iuf":
            raise ModelFormatError(f"{path}: field {name!r} is not numeric; {_FIX}")
        if a.ndim != ndim or a.shape != expected[name]:
            raise ModelFormatError(
                f"{path}: field {name!r} has shape {a.shape}, expected {expected[name]}; {_FIX}"
            )
        finite = np.isfinite(a) | (np.isnan(a) if name in _MAY_BE_NAN else False)
        if not finite.all():
            raise ModelFormatError(f"{path}: field {name!r} holds non-finite values; {_FIX}")
    if (arrays["scale"] <= 0).any() or (arrays["precisions"] <= 0).any():
        raise ModelFormatError(f"{path}: field 'scale' or 'precisions' is not positive; {_FIX}")
    if (arrays["counts"] < 0).any() or (arrays["label_counts"] < 0).any():
        raise ModelFormatError(f"{path}: field 'counts' or 'label_counts' is negative; {_FIX}")
    if "groups" in ndims and (
        (arrays["groups"] % 1 != 0).any()
        or ((arrays["groups"] < -1) | (arrays["groups"] >= len(GROUPS))).any()
    ):
        raise ModelFormatError(
            f"{path}: field 'groups' must hold group numbers 0-{len(GROUPS) - 1} or -1; {_FIX}"
        )
    return arrays
