"""The same predictions, spread over a Dask cluster when one machine is not enough.

``pip install 'ethostyle[distributed]'``. Work is cut into tasks of whole
sequences (about :data:`FRAMES_PER_TASK` frames each) and run by Dask workers;
the machine that submits them reads the input files one at a time, gathers the
results in the input order and writes every output itself, with the same writers
as a single-machine run, so the files are the same. Workers need neither the
input files nor the model directory on a shared disk: the model travels as the
files of its directory (its manifest and LightGBM text weights, checked against
their checksums again on each worker) and the poses travel inside the tasks.
A sequence whose annotator has no style in the model gets the same warning as on
one machine, given by the submitting side.

Training (:func:`fit_on_cluster`, ``ethostyle train --scheduler``) boosts the
reference model with ``lightgbm.dask`` on the cluster
(:class:`DaskGBDTClassifier`, the boosted family's ``reference_estimator``); the
pose features and the style models are computed on the submitting machine.

Scheduler addresses: ``tcp://host:8786`` (a running cluster; see
``docs/cluster.md`` for SLURM and Kubernetes), or ``local`` / ``local:N`` for a
cluster of N worker processes on this machine.

Examples
--------
>>> predict_files("model", ["a.npy", "b.npy"], "out", scheduler="local:2")  # doctest: +SKIP
[FileOutputs(file=PosixPath('a.npy'), submission=PosixPath('out/a.submission.npy'), ...)]
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import tempfile
import threading
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ethostyle.data import Dataset, Predictions
from ethostyle.data import Sequence as PoseSequence
from ethostyle.errors import DataFormatError, EthostyleError
from ethostyle.models.boosted import StyleTransferModel
from ethostyle.models.gbdt import GBDTClassifier
from ethostyle.progress import NULL_PROGRESS, Progress

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "FRAMES_PER_TASK",
    "DaskGBDTClassifier",
    "FileOutputs",
    "connect",
    "fit_on_cluster",
    "predict_dataset_on_cluster",
    "predict_files",
    "reference_boosting",
]

logger = logging.getLogger(__name__)

#: Frames of video per task: 30 minutes at 30 Hz, a few seconds of work per task.
FRAMES_PER_TASK = 54_000
#: Input files read ahead while earlier ones are still being predicted.
_FILES_IN_FLIGHT = 3


@contextlib.contextmanager
def connect(scheduler: str) -> Iterator[Client]:
    """Connect to a Dask scheduler, or start a cluster on this machine.

    Parameters
    ----------
    scheduler : str
        A scheduler address (``tcp://host:8786``), or ``local`` / ``local:N``
        for N worker processes on this machine (default: one per core).

    Returns
    -------
    contextmanager of distributed.Client
        A client, closed (and a local cluster shut down) on exit.

    Raises
    ------
    EthostyleError
        If Dask is not installed or the scheduler cannot be reached.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EthostyleError(
            "running on a Dask cluster needs dask.distributed; install it with "
            "pip install 'ethostyle[distributed]' (from a clone: .venv/bin/pip install -e "
            "'.[distributed]')"
        ) from None
    if scheduler == "local" or scheduler.startswith("local:"):
        _, _, count = scheduler.partition(":")
        try:
            workers = int(count) if count else None
        except ValueError:
            raise EthostyleError(
                f"--scheduler {scheduler!r}: write local:N with N a number of workers"
            ) from None
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise EthostyleError(
            f"could not reach the Dask scheduler at {scheduler!r} ({exc}); check the address "
            f"(tcp://host:8786) and that the scheduler is running"
        ) from None
    with client:
        yield client


# ------------------------------------------------------------------ the model on workers
def _model_files(model_dir: Path, manifest: dict[str, Any]) -> dict[str, bytes]:
    """The model directory's files (manifest and weights) as bytes; ``manifest`` is checked."""
    from ethostyle.models.manifest import MANIFEST

    names = [MANIFEST, *manifest["files"]]
    return {name: model_dir.joinpath(*name.split("/")).read_bytes() for name in names}


_MODELS: dict[str, StyleTransferModel] = {}
_MODELS_LOCK = threading.Lock()


def _model_from_files(files: dict[str, bytes]) -> StyleTransferModel:
    """Load (once per worker process) the model whose directory files are given."""
    from ethostyle.models.store import MANIFEST, load_model

    key = hashlib.sha256(files[MANIFEST]).hexdigest()
    with _MODELS_LOCK:
        if key not in _MODELS:
            with tempfile.TemporaryDirectory(prefix="ethostyle-model-") as tmp:
                for name, content in files.items():
                    path = Path(tmp, *name.split("/"))
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(content)
                _MODELS[key] = load_model(tmp)
        return _MODELS[key]


# ------------------------------------------------------------------ one task
def _predict_task(
    files: dict[str, bytes], sequences: list[PoseSequence], style: int | None
) -> Predictions:
    from ethostyle.models.base import predict_dataset

    return predict_dataset(_model_from_files(files), Dataset(sequences), style=style)


def _chunks(dataset: Dataset, frames_per_task: int) -> list[list[PoseSequence]]:
    """Consecutive sequences grouped into tasks of about ``frames_per_task`` frames."""
    chunks: list[list[PoseSequence]] = []
    frames = frames_per_task
    for sequence in dataset:
        if frames >= frames_per_task:
            chunks.append([])
            frames = 0
        chunks[-1].append(sequence)
        frames += sequence.n_frames
    return chunks


class _Runner:
    """Runs tasks here (``client`` None) or on a Dask cluster, with the same code."""

    def __init__(self, model_dir: Path, client: Client | None) -> None:
        from ethostyle.models.store import load_checked, read_manifest

        self._client = client
        # The manifest is read and every weight file hashed once, here; the workers get
        # the checked bytes.
        manifest = read_manifest(model_dir)
        self._model = load_checked(model_dir, manifest)
        if client is not None:
            # Broadcast once: every worker keeps the files and loads the model once. In a
            # list, so that the dict travels as one object (a bare dict is scattered by key).
            files = _model_files(model_dir, manifest)
            [self._files] = client.scatter([files], broadcast=True, hash=False)

    def warn_unknown(self, sequences: Iterable[PoseSequence], style: int | None) -> None:
        """The warning for annotators without a style, once per file, given here.

        A worker's warnings stay in its own log, and capturing them there is not
        thread-safe, so the submitting side repeats the check the model makes
        (and the tasks run here keep theirs to themselves).
        """
        from ethostyle.models.base import warn_unknown_annotators

        styles = {s.id: s.annotator_id if style is None else int(style) for s in sequences}
        warn_unknown_annotators(
            styles, self._model.annotators_, self._model.reference_annotator, stacklevel=4
        )

    def submit(self, sequences: list[PoseSequence], style: int | None) -> Any:
        if self._client is None:
            from ethostyle.models.base import UnknownAnnotatorWarning, predict_dataset

            with warnings.catch_warnings():  # said once per file by warn_unknown
                warnings.simplefilter("ignore", UnknownAnnotatorWarning)
                return predict_dataset(self._model, Dataset(sequences), style=style)
        # Scattered first so large keypoint arrays travel as data, not in the task graph.
        [data] = self._client.scatter([sequences], hash=False)
        return self._client.submit(_predict_task, self._files, data, style, pure=False)

    def result(self, handle: Any) -> Predictions:
        return handle if self._client is None else handle.result()


def _merge(parts: list[Predictions]) -> Predictions:
    labels, proba, styles = {}, {}, {}
    for part in parts:
        labels.update(part.labels)
        proba.update(part.proba)
        styles.update(part.styles)
    return Predictions(labels, proba, styles)


def predict_dataset_on_cluster(
    model_dir: str | Path,
    dataset: Dataset,
    client: Client | None,
    *,
    style: int | None = None,
    frames_per_task: int = FRAMES_PER_TASK,
    progress: Progress = NULL_PROGRESS,
) -> Predictions:
    """Label every sequence of a data set, its sequences spread over a Dask cluster.

    Parameters
    ----------
    model_dir : str or Path
        A model directory from ``ethostyle train``.
    dataset : Dataset
        Sequences to label.
    client : distributed.Client or None
        The cluster (see :func:`connect`); None runs the same tasks here.
    style : int, optional
        Label every sequence in this annotator's style instead of its own.
    frames_per_task : int
        Frames of video per task.
    progress : Progress, optional
        Receives progress in frames.

    Returns
    -------
    Predictions
        Identical to :func:`ethostyle.models.base.predict_dataset` on one machine.
    """
    runner = _Runner(Path(model_dir), client)
    runner.warn_unknown(dataset, style)
    advance = progress.task("predicting", dataset.n_frames)
    handles = [runner.submit(chunk, style) for chunk in _chunks(dataset, frames_per_task)]
    parts = []
    for handle in handles:
        parts.append(runner.result(handle))
        advance(sum(len(v) for v in parts[-1].labels.values()))
    return _merge(parts)


@dataclass(frozen=True, slots=True)
class FileOutputs:
    """What :func:`predict_files` wrote for one input file.

    Attributes
    ----------
    file : pathlib.Path
        The input file.
    submission : pathlib.Path
        ``<stem>.submission.npy``: the labels, in the challenge's submission layout.
    probabilities, bouts : pathlib.Path or None
        ``<stem>.probabilities.npz`` and ``<stem>.bouts.csv``, when asked for.
    """

    file: Path
    submission: Path
    probabilities: Path | None
    bouts: Path | None


def _outputs(
    files: Sequence[Path], out_dir: Path, probabilities_dir: Path | None, bouts_dir: Path | None
) -> list[FileOutputs]:
    stems = [f.stem for f in files]
    repeated = sorted({s for s in stems if stems.count(s) > 1})
    if repeated:
        raise EthostyleError(
            f"several input files are named {repeated}; their outputs would overwrite each "
            f"other in {out_dir}. Rename them or predict them in separate runs"
        )
    for folder in (out_dir, probabilities_dir, bouts_dir):
        if folder is not None and folder.exists() and not folder.is_dir():
            raise EthostyleError(f"{folder}: exists and is not a folder; choose another")
    return [
        FileOutputs(
            f,
            out_dir / f"{f.stem}.submission.npy",
            None
            if probabilities_dir is None
            else probabilities_dir / f"{f.stem}.probabilities.npz",
            None if bouts_dir is None else bouts_dir / f"{f.stem}.bouts.csv",
        )
        for f in files
    ]


def _write(predictions: Predictions, outputs: FileOutputs) -> None:
    from ethostyle.io import save_submission, write_bouts_csv, write_probabilities

    save_submission(predictions.labels, outputs.submission)
    if outputs.probabilities is not None:
        write_probabilities(predictions.proba, outputs.probabilities)
    if outputs.bouts is not None:
        write_bouts_csv(predictions, outputs.bouts)


def predict_files(
    model_dir: str | Path,
    files: Sequence[str | Path],
    out_dir: str | Path,
    scheduler: str | Client | None = None,
    *,
    style: int | None = None,
    probabilities_dir: str | Path | None = None,
    bouts_dir: str | Path | None = None,
    frames_per_task: int = FRAMES_PER_TASK,
    progress: Progress = NULL_PROGRESS,
) -> list[FileOutputs]:
    """Label many sequence files, on this machine or spread over a Dask cluster.

    Each input ``<stem>.npy`` (any layout :func:`ethostyle.io.load` reads) gives
    ``<out_dir>/<stem>.submission.npy`` and, when asked,
    ``<probabilities_dir>/<stem>.probabilities.npz`` and
    ``<bouts_dir>/<stem>.bouts.csv``: the files ``ethostyle predict`` writes for it alone.
    Files are read a few at a time ahead of the cluster, so the submitting
    machine never holds more than a few files; each file's outputs are written
    (atomically) as soon as all its sequences are done.

    Parameters
    ----------
    model_dir : str or Path
        A model directory from ``ethostyle train``.
    files : sequence of str or Path
        Input files (their names, without folder and suffix, must differ).
    out_dir : str or Path
        Folder for the outputs (created if missing).
    scheduler : str, distributed.Client or None
        None: run here. A string: see :func:`connect`. A client: use it.
    style : int, optional
        Label every sequence in this annotator's style instead of its own.
    probabilities_dir, bouts_dir : str or Path, optional
        Folders for each file's per-frame probabilities / bout CSV (not written
        when None; may be ``out_dir``).
    frames_per_task : int
        Frames of video per task.
    progress : Progress, optional
        Receives progress in files.

    Returns
    -------
    list of FileOutputs
        What was written for each input, in the input order.
    """
    paths = [Path(f) for f in files]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise EthostyleError(f"no such input file(s): {missing[:5]}; check the paths")
    outputs = _outputs(
        paths,
        Path(out_dir),
        None if probabilities_dir is None else Path(probabilities_dir),
        None if bouts_dir is None else Path(bouts_dir),
    )
    if isinstance(scheduler, str):
        with connect(scheduler) as client:
            return predict_files(
                model_dir,
                paths,
                out_dir,
                client,
                style=style,
                probabilities_dir=probabilities_dir,
                bouts_dir=bouts_dir,
                frames_per_task=frames_per_task,
                progress=progress,
            )
    runner = _Runner(Path(model_dir), scheduler)
    _run_files(runner, paths, outputs, style, frames_per_task, progress)
    return outputs


def _run_files(
    runner: _Runner,
    paths: list[Path],
    outputs: list[FileOutputs],
    style: int | None,
    frames_per_task: int,
    progress: Progress,
) -> None:
    """Submit each file's chunks, a few files ahead, and write each file's outputs once
    all its chunks are done, in the input order."""
    from ethostyle.io import load

    advance = progress.task("files", len(paths))
    pending: deque[tuple[FileOutputs, list[Any]]] = deque()

    def finish() -> None:
        done, handles = pending.popleft()
        _write(_merge([runner.result(h) for h in handles]), done)
        logger.info("wrote predictions of %s", done.file)
        advance(1)

    for path, target in zip(paths, outputs, strict=True):
        dataset = load(path)
        runner.warn_unknown(dataset, style)
        pending.append(
            (target, [runner.submit(c, style) for c in _chunks(dataset, frames_per_task)])
        )
        while len(pending) > _FILES_IN_FLIGHT:
            finish()
    while pending:
        finish()


# ------------------------------------------------------------------ training on a cluster
class DaskGBDTClassifier(GBDTClassifier):
    """:class:`~ethostyle.models.gbdt.GBDTClassifier` whose boosting runs on a Dask cluster.

    Training goes through ``lightgbm.dask`` (data-parallel LightGBM: each worker
    holds a block of the frames and the workers build every tree together); the
    result is an ordinary LightGBM booster, saved and used exactly like one
    trained on one machine. LightGBM's network needs each worker in its own
    process (a cluster of threads in one process cannot train).

    Data-parallel boosting finds its histogram bins on each worker's block, so
    the trees differ slightly from a one-machine fit; their predictions agree on
    nearly every frame (``tests/test_distributed.py`` measures it).

    Parameters
    ----------
    client : distributed.Client, optional
        The cluster; None: the current client when :meth:`fit` runs
        (``distributed.default_client()``, such as inside ``client.as_current()``).
    **params
        The hyperparameters of :class:`~ethostyle.models.gbdt.GBDTClassifier`.

    Examples
    --------
    The boosted family's ``reference_estimator``: its reference boosts on the cluster.

    >>> with connect("local:2") as client, client.as_current():  # doctest: +SKIP
    ...     model = StyleTransferModel(reference_estimator=DaskGBDTClassifier).fit(train)
    """

    def __init__(self, *, client: Client | None = None, **params: Any) -> None:
        super().__init__(**params)
        self.client = client

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        init_score: np.ndarray | None = None,
        sample_weight: np.ndarray | None = None,
        feature_names: list[str] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> DaskGBDTClassifier:
        """Train on frames ``X`` with labels ``y``, on the cluster (see the parent class)."""
        import dask.array as da
        from distributed import default_client
        from lightgbm.dask import DaskLGBMClassifier

        client = default_client(self.client)
        rows = np.arange(0, len(y), max(1, self.frame_step))
        workers = max(1, len(client.scheduler_info()["workers"]))
        block = -(-len(rows) // workers)  # one block of frames per worker

        def spread(a: np.ndarray | None) -> Any:
            if a is None:
                return None
            a = np.ascontiguousarray(np.asarray(a)[rows])
            return da.from_array(a, chunks=(block, *a.shape[1:]))

        params = {
            k: v
            for k, v in self._params().items()
            if k not in ("objective", "num_class", "num_threads")  # set by lightgbm.dask
        }
        model = DaskLGBMClassifier(
            client=client, objective="multiclass", n_estimators=self.n_estimators, **params
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Parameter .* will be ignored")
            model.fit(
                spread(X),
                spread(y),
                sample_weight=spread(sample_weight),
                init_score=spread(init_score),
                feature_name=feature_names or "auto",
            )
        if list(model.classes_) != list(range(self.n_classes)):
            raise DataFormatError(
                f"the training frames hold the classes {list(model.classes_)}, not all of "
                f"0-{self.n_classes - 1}; training on a cluster needs every class in the data"
            )
        self.booster_ = model.booster_
        if progress is not None:
            progress(self.n_estimators)
        return self


@contextlib.contextmanager
def reference_boosting(scheduler: str | None) -> Iterator[type[DaskGBDTClassifier] | None]:
    """What boosts the reference model: the boosted family's ``reference_estimator``.

    Parameters
    ----------
    scheduler : str or None
        None: this machine (yields None, the family's default). Else a scheduler
        address or ``local:N`` (see :func:`connect`): connects, and yields
        :class:`DaskGBDTClassifier`, which boosts on that cluster while the context
        is open.

    Returns
    -------
    contextmanager of type or None
        The reference estimator, for :func:`ethostyle.models.train_model`.

    Examples
    --------
    >>> with reference_boosting("local:2") as boost:  # doctest: +SKIP
    ...     trained = train_model(load("train.npy"), reference_estimator=boost)
    """
    if scheduler is None:
        yield None
        return
    with connect(scheduler) as client, client.as_current():
        yield DaskGBDTClassifier


def fit_on_cluster(
    train: Dataset,
    scheduler: str | Client,
    *,
    progress: Progress = NULL_PROGRESS,
    **params: Any,
) -> StyleTransferModel:
    """Train a style-transfer model with its reference model boosted on a Dask cluster.

    The reference model learns from the reference annotator's many videos: its
    boosting is the expensive step, and runs on the cluster through
    :class:`DaskGBDTClassifier` (the model's ``reference_estimator``). The style
    models learn from a few videos each and train here. Pose features are computed
    here too, so the training data's feature table must fit this machine's memory.

    Parameters
    ----------
    train : Dataset
        Labelled training sequences (as for :meth:`StyleTransferModel.fit`).
    scheduler : str or distributed.Client
        A scheduler address or ``local:N`` (see :func:`connect`), or a client.
    progress : Progress, optional
        Receives progress of each step.
    **params
        Parameters of :class:`~ethostyle.models.boosted.StyleTransferModel` (``seed``, ...).

    Returns
    -------
    StyleTransferModel
        A fitted model (keeping no link to the cluster); save it with
        :func:`ethostyle.models.store.save_model`.

    Examples
    --------
    >>> model = fit_on_cluster(load("train.npy"), "tcp://scheduler:8786")  # doctest: +SKIP
    """
    if isinstance(scheduler, str):
        with connect(scheduler) as client:
            return fit_on_cluster(train, client, progress=progress, **params)
    model = StyleTransferModel(reference_estimator=DaskGBDTClassifier, **params)
    with scheduler.as_current():
        return model.fit(train, progress=progress)
