"""The run: texts -> embeddings -> map -> clusters -> names -> scores, held in one
:class:`~embedviz.analysis.Analysis` that the CLI, the app and a notebook all read.

The faces only map flags or widgets onto :func:`analyze` (or its stage functions, which
the app caches one by one, then :func:`assemble`) and show what comes back; every decision
about a view is the Analysis's.

Example:
    >>> import embedviz
    >>> a = embedviz.analyze(["如何更换花呗绑定银行卡", "花呗更改绑定银行卡",
    ...                       "如何办理银行卡", "哈里路大旋风"], method="pca")  # doctest: +SKIP
    >>> a.coords.shape, a.scores["trustworthiness"]  # doctest: +SKIP
    ((4, 2), None)
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from .analysis import (  # noqa: F401 - the faces import these names from the pipeline
    MAX_HEATMAP_TEXTS,
    OWN_EMBEDDINGS,
    Analysis,
    load,
    load_zip,
)
from .cluster import CLUSTER_NAMES, Clustering
from .cluster import REGISTRY as CLUSTERERS
from .encoders import DEFAULT_MODEL
from .errors import InputError, ParameterError
from .inputs import TextBatch, clean_texts
from .project import DEFAULT_RANDOM_STATE, Projection, projector_class

if TYPE_CHECKING:
    from .encoders import Encoder
    from .quality import NeighbourhoodScores

log = logging.getLogger(__name__)

#: What :func:`analyze` projects with when no method is named.
DEFAULT_METHOD = "umap"
DEFAULT_CLUSTER = "kmeans"


# ---------------------------------------------------------------- stages


def split_params(method: str, cluster: str, params: dict) -> tuple[dict, dict]:
    """Route ``**params`` to the projection or the clusterer that declares them.

    Raises:
        ParameterError: a parameter neither takes; the message lists what each takes.
    """
    projection = {p.name for p in projector_class(method).params}
    clustering = {p.name for p in CLUSTERERS[cluster].params} if cluster in CLUSTERERS else set()
    unknown = sorted(set(params) - projection - clustering)
    if unknown:
        p_label = projector_class(method).label
        c_label = CLUSTER_NAMES.get(cluster, cluster)
        raise ParameterError(
            f"Unknown parameter {', '.join(unknown)}. {p_label} takes: "
            f"{', '.join(sorted(projection)) or 'nothing'}; {c_label} takes: "
            f"{', '.join(sorted(clustering)) or 'nothing'}."
        )
    return (
        {k: v for k, v in params.items() if k in projection},
        {k: v for k, v in params.items() if k in clustering},
    )


def encode_stage(
    texts: Sequence[str],
    encoder: Encoder,
    *,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, bool]:
    """Embeddings ``(n_texts, dim)`` float32, from the disk cache when it holds them.

    Returns:
        (X, from_cache).
    """
    from .cache import cached_encode

    return cached_encode(encoder, list(texts), progress=progress, use_cache=use_cache)


def project_stage(X: np.ndarray, method: str, dims: int, params: dict) -> Projection:
    from .project import project

    return project(X, method, dims, **params)


def cluster_stage(
    X: np.ndarray, method: str, k, params: dict, random_state: int = DEFAULT_RANDOM_STATE
) -> Clustering:
    """Cluster; the seed reaches the methods that use one (k-means) and no others."""
    from .cluster import cluster

    if method == "none":
        return cluster(X, "none")
    return cluster(X, method, "auto" if k is None else k, **params, random_state=random_state)


def batch_vectors(batch: TextBatch, embeddings) -> np.ndarray:
    """The user's vectors for the kept texts, checked: one row per input row (rows of
    skipped empty texts are dropped with them) or one per kept text.

    Raises:
        InputError: ragged, non-finite or a row count that fits neither.
    """
    from .vectors import check_vectors, parse_vector_cells

    vectors = embeddings if embeddings is not None else parse_vector_cells(batch.vectors)
    if batch.skipped and len(vectors) == batch.n_read != len(batch.texts):
        vectors = [vectors[row - 1] for row in batch.rows]
    return check_vectors(vectors, len(batch.texts))


def keyword_stage(
    texts: Sequence[str], clustering: Clustering, X: np.ndarray | None = None
) -> dict[int, str]:
    from .keywords import keyword_labels

    if not is_clustered(clustering):
        return {}
    return keyword_labels(list(texts), clustering.labels, embeddings=X)


def score_stage(X: np.ndarray, coords: np.ndarray) -> NeighbourhoodScores:
    from .quality import neighbourhood_scores

    return neighbourhood_scores(X, coords)


def is_clustered(clustering: Clustering) -> bool:
    return clustering.method != "none" and clustering.n_clusters > 1


# ---------------------------------------------------------------- the run


def assemble(
    batch: TextBatch,
    X: np.ndarray,
    projection: Projection,
    clustering: Clustering,
    keywords: dict[int, str],
    scores: NeighbourhoodScores,
    *,
    model: str,
    model_name: str,
    dims: int,
    k,
    cluster_params: dict,
    own_embeddings: bool = False,
    encoder: Encoder | None = None,
) -> Analysis:
    """The :class:`Analysis` of stage results (the app calls the stages through its caches,
    then this; :func:`analyze` calls both)."""
    from .cluster import adjusted_rand

    clustered = is_clustered(clustering)
    score_dict = {
        "trustworthiness": scores.trustworthiness,
        "knn_recall": scores.knn_recall,
        "k": scores.k,
        "n_scored": scores.n_scored,
        "silhouette": clustering.silhouette,
    }
    if batch.labels is not None and clustered:
        score_dict["ari"] = adjusted_rand(batch.labels, clustering.labels)
    projection_params = {k_: v for k_, v in projection.params.items() if k_ != "random_state"}
    params = {
        "model": model,
        "own_embeddings": own_embeddings,
        "method": projection.method,
        "dims": dims,
        "projection": projection_params,
        "random_state": projection.params.get("random_state", DEFAULT_RANDOM_STATE),
        "cluster": clustering.method,
        "k": None if k in (None, "auto") else int(k),
        "clusters_found": clustering.n_clusters,
        "cluster_params": dict(cluster_params),
    }
    return Analysis(
        texts=list(batch.texts),
        embeddings=np.asarray(X, dtype=np.float32),
        coords=np.asarray(projection.coords, dtype=np.float32),
        clusters=np.asarray(clustering.labels, dtype=np.int64),
        keywords=dict(keywords),
        scores=score_dict,
        neighbourhood=np.asarray(scores.per_point, dtype=np.float32),
        params=params,
        rows=list(batch.rows),
        axis_titles=list(projection.axis_titles),
        model_name=model_name,
        columns={k_: list(v) for k_, v in batch.columns.items()},
        labels=list(batch.labels) if batch.labels is not None else None,
        label_name=(batch.label_name or "label") if batch.labels is not None else None,
        source=batch.source,
        read_summary=batch.summary(),
        input_notes=list(batch.notes),
        warnings=[*projection.warnings, *clustering.warnings],
        cluster_summary=clustering.describe(),
        projection=projection,
        encoder=encoder,
    )


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


def analyze(
    texts,
    *,
    embeddings=None,
    model=DEFAULT_MODEL,
    method: str = DEFAULT_METHOD,
    dims: int = 2,
    cluster: str = DEFAULT_CLUSTER,
    k: int | None = None,
    labels: Sequence | None = None,
    random_state: int = DEFAULT_RANDOM_STATE,
    use_cache: bool = True,
    progress: Callable[[int, int], None] | None = None,
    **params,
) -> Analysis:
    """Encode, project, cluster, name and score ``texts``; everything in one :class:`Analysis`.

    Args:
        texts: the texts (a list, a pandas Series, or a :class:`~embedviz.inputs.TextBatch`
            read from a file). Empty texts are skipped and said in ``notes``.
        embeddings: your own vectors ``(n_texts, dim)``, row i for texts[i]; then no model
            encodes the texts (``model`` then names the model that made them, for search).
        model: a spec (``"use-multilingual"``, a Hugging Face name, a folder, ``onnx:...``)
            or any object with ``encode(texts)``.
        method: ``"pca"``, ``"tsne"``, ``"umap"`` or ``"pacmap"`` (see
            :data:`embedviz.project.REGISTRY`).
        dims: 2 or 3.
        cluster: ``"kmeans"``, ``"hdbscan"``, ``"agglomerative"`` or ``"none"``.
        k: the number of clusters (kmeans, agglomerative); None: chosen by silhouette.
        labels: one label per text: colours the map and gives ``scores["ari"]``.
        random_state: the seed of every random step (same input, same picture).
        use_cache: read and write the disk cache of embeddings.
        progress: ``progress(done, total)`` while encoding.
        **params: the method's parameters (``perplexity``, ``n_neighbors``, ``min_dist``,
            ``MN_ratio``, ...) and the clusterer's (``min_cluster_size``).

    Raises:
        InputError: no texts, or embeddings / labels that do not fit the texts.
        ParameterError: an unknown method, clusterer or parameter, or a value out of range.
        ModelLoadError: the model cannot be loaded.

    Example:
        >>> a = analyze(["如何更换花呗绑定银行卡", "花呗更改绑定银行卡", "如何办理银行卡",
        ...              "哈里路大旋风"], method="pca")  # doctest: +SKIP
        >>> a.cluster_names, a.to_html("seed.html")  # doctest: +SKIP
    """
    from .encoders import select_encoder
    from .quality import neighbourhood_scores  # noqa: F401 - fail early if scipy is missing

    method = projector_class(method).name
    if cluster not in (*CLUSTERERS, "none"):
        raise ParameterError(
            f"Unknown clustering {cluster!r}. Use one of: {', '.join([*CLUSTERERS, 'none'])}."
        )
    projection_params, cluster_params = split_params(method, cluster, params)
    # Check every setting before any work: a wrong k must not wait for a model to load.
    from .cluster import make_clusterer
    from .project import make_projector

    make_projector(method, dims, **projection_params, random_state=random_state)
    if cluster != "none":
        make_clusterer(cluster, "auto" if k is None else k, **cluster_params)
    given_labels = labels
    batch = as_batch(texts, labels=given_labels)
    if not batch.texts:
        raise InputError("There are no texts. Give at least one non-empty text.")

    encoder = None
    if embeddings is not None or batch.vectors is not None:
        X = batch_vectors(batch, embeddings)
        own = True
        if isinstance(model, str) and model != DEFAULT_MODEL:
            spec, model_name = model, model
        elif not isinstance(model, str):
            encoder = select_encoder(model)
            spec, model_name = encoder.spec, encoder.name
        else:
            spec, model_name = OWN_EMBEDDINGS, OWN_EMBEDDINGS
    else:
        encoder = select_encoder(model)
        X, hit = encode_stage(batch.texts, encoder, use_cache=use_cache, progress=progress)
        if hit:
            log.info("embeddings read from the cache")
        own, spec, model_name = False, encoder.spec, encoder.name

    projection = project_stage(X, method, dims, {**projection_params, "random_state": random_state})
    clustering = cluster_stage(X, cluster, k, cluster_params, random_state)
    keywords = keyword_stage(batch.texts, clustering, X)
    scores = score_stage(X, projection.coords)
    return assemble(
        batch,
        X,
        projection,
        clustering,
        keywords,
        scores,
        model=spec,
        model_name=model_name,
        dims=dims,
        k=k,
        cluster_params=cluster_params,
        own_embeddings=own,
        encoder=encoder,
    )
