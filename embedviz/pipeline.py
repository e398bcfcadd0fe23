"""The run: texts -> embeddings -> map -> clusters -> names -> scores, held in one
:class:`~embedviz.analysis.Analysis` that the CLI, the app and a notebook all read.

:func:`analyze` is the one place that puts the stages in order. What each face needs
around a stage (the app's caches and spinners, the command line's progress bar, a bench's
timer, a distributed or sampled stage) it passes as a *hook*: a function
``hook(stage, proceed, **inputs)`` that is called instead of the stage, may look at or change
its inputs, and calls ``proceed(**inputs)`` (or returns something else in its place). Hooks
nest: the first given is the outermost. The stages, in order, and their inputs:

    ``load``      model (a spec or an object with ``encode``)       -> Encoder
    ``encode``    texts, encoder, use_cache, progress               -> (X, from_cache)
    ``project``   X, spec                                           -> Projection
    ``cluster``   X, spec                                           -> Clustering
    ``keywords``  texts, clustering, X                              -> {cluster: name}
    ``tree``      texts, X, clustering, keywords, spec              -> TopicTree or None
    ``score``     X, coords                                         -> NeighbourhoodScores

Example:
    >>> import embedviz
    >>> a = embedviz.analyze(["如何更换花呗绑定银行卡", "花呗更改绑定银行卡",
    ...                       "如何办理银行卡", "哈里路大旋风"], method="pca")  # doctest: +SKIP
    >>> a.coords.shape, a.scores["trustworthiness"]  # doctest: +SKIP
    ((4, 2), None)
    >>> def timer(stage, proceed, **inputs):  # doctest: +SKIP
    ...     start = time.perf_counter(); out = proceed(**inputs)
    ...     print(stage, time.perf_counter() - start); return out
    >>> embedviz.analyze(texts, hooks=[timer])  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .analysis import Analysis, load, load_zip
from .cache import cached_encode
from .cluster import Clustering, adjusted_rand, cluster
from .encoders import DEFAULT_MODEL, OWN_EMBEDDINGS, load_encoder, select_encoder
from .errors import InputError, ParameterError
from .inputs import TextBatch, clean_texts
from .keywords import keyword_labels, words_kept
from .project import Projection, project, warm_up
from .quality import neighbourhood_scores
from .spec import DEFAULT_CLUSTER, DEFAULT_METHOD, RunSpec
from .topics import TopicTree, topic_tree
from .vectors import check_vectors, parse_vector_cells, read_npy

if TYPE_CHECKING:
    from .encoders import Encoder
    from .quality import NeighbourhoodScores

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_CLUSTER",
    "DEFAULT_METHOD",
    "OWN_EMBEDDINGS",
    "STAGES",
    "Analysis",
    "Encoded",
    "Hook",
    "RunSpec",
    "analyze",
    "encode_texts",
    "load",
    "load_zip",
    "progress_hook",
    "read_npy",
    "run_stage",
    "warm_up",
]


class Hook(Protocol):
    """Called instead of a stage; calls ``proceed(**inputs)`` for the stage itself."""

    def __call__(self, stage: str, proceed: Callable[..., Any], /, **inputs) -> Any: ...


# ---------------------------------------------------------------- the stages


def _load(model, options=None) -> Encoder:
    if isinstance(model, str) and options:
        return load_encoder(model, **options)
    return select_encoder(model)


def _encode(texts, encoder, use_cache=True, progress=None) -> tuple[np.ndarray, bool]:
    return cached_encode(encoder, list(texts), progress=progress, use_cache=use_cache)


def _project(X, spec: RunSpec) -> Projection:
    return project(
        X, spec.method, spec.dims, **spec.projection_params, random_state=spec.random_state
    )


def _cluster(X, spec: RunSpec) -> Clustering:
    if not spec.clustered:
        return cluster(X, "none")
    seed = {"random_state": spec.random_state}
    return cluster(X, spec.cluster, spec.k or "auto", **spec.cluster_params, **seed)


def _keywords(texts, clustering: Clustering, X) -> dict[int, str]:
    if not is_clustered(clustering):
        return {}
    return keyword_labels(list(texts), clustering.labels, embeddings=X)


def _tree(texts, X, clustering: Clustering, keywords, spec: RunSpec) -> TopicTree | None:
    if not is_clustered(clustering):
        return None
    return topic_tree(X, clustering.labels, texts, keywords, random_state=spec.random_state)


def _score(X, coords) -> NeighbourhoodScores:
    return neighbourhood_scores(X, coords)


#: The stages in the order :func:`analyze` runs them.
STAGES: dict[str, Callable[..., Any]] = {
    "load": _load,
    "encode": _encode,
    "project": _project,
    "cluster": _cluster,
    "keywords": _keywords,
    "tree": _tree,
    "score": _score,
}


def run_stage(stage: str, hooks: Sequence[Hook] = (), /, **inputs):
    """Run one stage through ``hooks`` (the first the outermost)."""
    call = STAGES[stage]
    for hook in reversed(hooks):
        call = partial(hook, stage, call)
    return call(**inputs)


def progress_hook(progress: Callable[[int, int], None]) -> Hook:
    """A hook that reports encoding as ``progress(done, total)``."""

    def hook(stage, proceed, /, **inputs):
        if stage == "encode":
            inputs["progress"] = progress
        return proceed(**inputs)

    return hook


def is_clustered(clustering: Clustering) -> bool:
    return clustering.method != "none" and clustering.n_clusters > 1


# ---------------------------------------------------------------- encoding


@dataclass
class Encoded:
    """Texts encoded: the embeddings, the model, whether the cache held them, and what the
    user should know (texts longer than the model reads)."""

    X: np.ndarray
    encoder: Encoder
    from_cache: bool
    warnings: list[str]


def truncation_warning(encoder: Encoder, texts: Sequence[str]) -> str | None:
    """The one sentence that says how many texts the model reads only in part."""
    if not encoder.max_tokens:
        return None
    n = encoder.count_truncated(texts)
    if not n:
        return None
    if n == 1:
        return (
            f"1 text is longer than the model's {encoder.max_tokens} tokens; only its "
            "beginning is encoded."
        )
    return (
        f"{n:,} texts are longer than the model's {encoder.max_tokens} tokens; only their "
        "beginnings are encoded."
    )


def encode_texts(
    texts: Sequence[str],
    model=DEFAULT_MODEL,
    *,
    options: dict | None = None,
    hooks: Sequence[Hook] = (),
    use_cache=True,
) -> Encoded:
    """Load the model (with its kind's ``options``) and encode ``texts`` (the ``load`` and
    ``encode`` stages), from the disk cache when it holds them. ``embedviz embed``,
    ``search`` and ``pairs`` stop here; :func:`analyze` goes on."""
    encoder = run_stage("load", hooks, model=model, options=options or {})
    X, hit = run_stage(
        "encode", hooks, texts=list(texts), encoder=encoder, use_cache=use_cache, progress=None
    )
    if hit:
        log.info("embeddings read from the cache")
    said = truncation_warning(encoder, texts)
    return Encoded(X, encoder, hit, [said] if said else [])


# ---------------------------------------------------------------- inputs


def batch_vectors(batch: TextBatch, embeddings) -> np.ndarray:
    """The user's vectors for the kept texts, checked: one row per input row (rows of
    skipped empty texts are dropped with them) or one per kept text.

    Raises:
        InputError: ragged, non-finite or a row count that fits neither.
    """
    vectors = embeddings if embeddings is not None else parse_vector_cells(batch.vectors)
    if batch.skipped and len(vectors) == batch.n_read != len(batch.texts):
        vectors = [vectors[row - 1] for row in batch.rows]
    return check_vectors(vectors, len(batch.texts))


def as_batch(texts, labels=None, label_name: str = "label") -> TextBatch:
    """A :class:`TextBatch` from what a caller gave: a TextBatch as it is, or a sequence of
    strings (a list, a pandas Series), cleaned: empty texts are skipped and said."""
    if isinstance(texts, TextBatch):
        if labels is not None:
            raise ParameterError("Give labels in the TextBatch (label_column), not both.")
        return texts
    if isinstance(texts, str):
        raise InputError("texts is one string; give a list of texts (e.g. text.splitlines()).")
    values = list(texts)
    if labels is not None:
        labels = [str(v) for v in labels]
        if len(labels) != len(values):
            raise InputError(
                f"labels has {len(labels):,} values but there are {len(values):,} texts. "
                "Give one label per text."
            )
    batch = clean_texts(values, labels=labels, empty_reason="empty text")
    batch.label_name = label_name if labels is not None else None
    if batch.skipped:
        warnings.warn(batch.summary(), UserWarning, stacklevel=3)
    return batch


# ---------------------------------------------------------------- the run


def analyze(
    texts,
    spec: RunSpec | None = None,
    *,
    embeddings=None,
    model=None,
    labels: Sequence | None = None,
    hooks: Sequence[Hook] = (),
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
    embeddings_name: str | None = None,
    **settings,
) -> Analysis:
    """Encode, project, cluster, name and score ``texts``; everything in one :class:`Analysis`.

    Args:
        texts: the texts (a list, a pandas Series, or a :class:`~embedviz.inputs.TextBatch`
            read from a file). Empty texts are skipped and said in ``notes``.
        spec: what to run (:class:`~embedviz.spec.RunSpec`); or give its settings as
            keywords: ``model``, ``method`` (``"pca"``, ``"tsne"``, ``"umap"``,
            ``"pacmap"``), ``dims`` (2 or 3), ``cluster`` (``"kmeans"``, ``"hdbscan"``,
            ``"agglomerative"``, ``"none"``), ``k`` (None: by silhouette), ``random_state``,
            and the method's or the clusterer's parameters (``perplexity``,
            ``n_neighbors``, ``min_dist``, ``min_cluster_size``, ...).
        embeddings: your own vectors ``(n_texts, dim)``, row i for texts[i]; then no model
            encodes the texts (``model`` then names the model that made them, for search).
        model: a model spec string, or any object with ``encode(texts)`` (a
            sentence-transformers model, your fine-tune).
        labels: one label per text: colours the map and gives ``scores["ari"]``.
        hooks: functions wrapped around each stage (see the module's docs): a cache, a
            progress bar, a timer, a stage run elsewhere.
        use_cache: read and write the disk cache of embeddings.
        progress: ``progress(done, total)`` while encoding.
        embeddings_name: what to call your own embeddings (a file name) in titles.

    Raises:
        InputError: no texts, or embeddings / labels that do not fit the texts.
        ParameterError: an unknown method, clusterer or parameter, or a value out of range.
        ModelLoadError: the model cannot be loaded.

    Example:
        >>> a = analyze(["如何更换花呗绑定银行卡", "花呗更改绑定银行卡", "如何办理银行卡",
        ...              "哈里路大旋风"], method="pca")  # doctest: +SKIP
        >>> a.cluster_names, a.to_html("seed.html")  # doctest: +SKIP
    """
    model_object = model if model is not None and not isinstance(model, str) else None
    if spec is None:
        spec = RunSpec.build(model=model if isinstance(model, str) else DEFAULT_MODEL, **settings)
    elif settings or isinstance(model, str):
        given = ", ".join(sorted([*settings, *(["model"] if isinstance(model, str) else [])]))
        raise ParameterError(f"Give {given} in the spec (spec.replace(...)), not beside it.")
    if progress is not None:
        hooks = [*hooks, progress_hook(progress)]
    batch = as_batch(texts, labels=labels)
    if not batch.texts:
        raise InputError("There are no texts. Give at least one non-empty text.")

    notes: list[str] = []
    encoder = None
    if embeddings is not None or batch.vectors is not None:
        X = batch_vectors(batch, embeddings)
        own = True
        if model_object is not None:
            encoder = select_encoder(model_object)
            spec, name = (
                spec.replace(model=encoder.spec, model_options=spec.model_options),
                encoder.name,
            )
        elif spec.model != DEFAULT_MODEL:
            name = embeddings_name or spec.model
        else:
            spec, name = spec.replace(model=OWN_EMBEDDINGS), embeddings_name or OWN_EMBEDDINGS
    else:
        encoded = encode_texts(
            batch.texts,
            model_object or spec.model,
            options=spec.model_kwargs,
            hooks=hooks,
            use_cache=use_cache,
        )
        X, encoder, own, notes = encoded.X, encoded.encoder, False, encoded.warnings
        spec, name = (
            spec.replace(model=encoder.spec, model_options=spec.model_options),
            encoder.name,
        )

    projection = run_stage("project", hooks, X=X, spec=spec)
    clustering = run_stage("cluster", hooks, X=X, spec=spec)
    with words_kept():  # the clusters' keywords and the tree's read the same texts' words
        keywords = run_stage("keywords", hooks, texts=batch.texts, clustering=clustering, X=X)
        tree = run_stage(
            "tree", hooks, texts=batch.texts, X=X, clustering=clustering, keywords=keywords,
            spec=spec,
        )  # fmt: skip
    scores = run_stage("score", hooks, X=X, coords=projection.coords)

    score_dict = {
        "trustworthiness": scores.trustworthiness,
        "knn_recall": scores.knn_recall,
        "k": scores.k,
        "n_scored": scores.n_scored,
        "silhouette": clustering.silhouette,
    }
    if batch.labels is not None and is_clustered(clustering):
        score_dict["ari"] = adjusted_rand(batch.labels, clustering.labels)
    return Analysis(
        texts=list(batch.texts),
        embeddings=np.asarray(X, dtype=np.float32),
        coords=np.asarray(projection.coords, dtype=np.float32),
        clusters=np.asarray(clustering.labels, dtype=np.int64),
        keywords=dict(keywords),
        scores=score_dict,
        neighbourhood=np.asarray(scores.per_point, dtype=np.float32),
        spec=spec,
        projection_params={k: v for k, v in projection.params.items() if k != "random_state"},
        clusters_found=clustering.n_clusters,
        own_embeddings=own,
        rows=list(batch.rows),
        axis_titles=list(projection.axis_titles),
        model_name=name,
        columns={k: list(v) for k, v in batch.columns.items()},
        labels=list(batch.labels) if batch.labels is not None else None,
        label_name=(batch.label_name or "label") if batch.labels is not None else None,
        source=batch.source,
        read_summary=batch.summary(),
        input_notes=list(batch.notes),
        warnings=[*notes, *projection.warnings, *clustering.warnings],
        cluster_summary=clustering.describe(),
        projection=projection,
        encoder=encoder,
        tree=tree,
    )
