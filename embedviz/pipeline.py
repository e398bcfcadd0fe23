"""The run: texts -> embeddings -> map -> clusters -> names -> scores, held in one
:class:`Analysis` that the CLI, the app and a notebook all read.

Every decision about a view lives here, once: which heatmap is drawn (full, per cluster, or
none), what the points can be coloured by, what the notes say, which columns the CSV has.
The faces only map flags or widgets onto :func:`analyze` (or its stage functions, which
the app caches one by one) and show what comes back.

Example:
    >>> import embedviz
    >>> a = embedviz.analyze(["如何更换花呗绑定银行卡", "花呗更改绑定银行卡",
    ...                       "如何办理银行卡", "哈里路大旋风"], method="pca")  # doctest: +SKIP
    >>> a.coords.shape, a.scores["trustworthiness"]  # doctest: +SKIP
    ((4, 2), None)
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from .cluster import CLUSTER_NAMES, NOISE, Clustering
from .cluster import REGISTRY as CLUSTERERS
from .encoders import DEFAULT_MODEL
from .errors import EmbedvizError, InputError, ParameterError
from .inputs import TextBatch, clean_texts
from .project import DEFAULT_RANDOM_STATE, Projection, projector_class

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from .encoders import Encoder
    from .quality import NeighbourhoodScores

log = logging.getLogger(__name__)

#: What :func:`analyze` projects with when no method is named.
DEFAULT_METHOD = "umap"
DEFAULT_CLUSTER = "kmeans"
#: Above this many texts the full n x n heatmap is not drawn (a million cells is already
#: ~6 MB of HTML and slow to draw); the cluster x cluster summary is drawn instead.
MAX_HEATMAP_TEXTS = 1000
#: The model recorded for embeddings the user brought without saying which model made them.
OWN_EMBEDDINGS = "your embeddings"
#: Colour options besides the label column.
CLUSTER_COLOUR = "cluster"
NEIGHBOURHOOD_COLOUR = "neighbourhood kept"


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


def keyword_stage(texts: Sequence[str], clustering: Clustering) -> dict[int, str]:
    from .keywords import keyword_labels

    if not is_clustered(clustering):
        return {}
    return keyword_labels(list(texts), clustering.labels)


def score_stage(X: np.ndarray, coords: np.ndarray) -> NeighbourhoodScores:
    from .quality import neighbourhood_scores

    return neighbourhood_scores(X, coords)


def is_clustered(clustering: Clustering) -> bool:
    return clustering.method != "none" and clustering.n_clusters > 1


# ---------------------------------------------------------------- the result


@dataclass
class HeatmapView:
    """The heatmap for a set of texts, and the sentence that says what it shows."""

    figure: go.Figure | None
    note: str
    kind: Literal["texts", "clusters", "none"]


@dataclass
class SearchResult:
    """The texts nearest a query and where the query falls on the map."""

    query: str
    positions: np.ndarray
    cosines: np.ndarray
    coords: np.ndarray
    note: str | None

    def frame(self, analysis: Analysis) -> pd.DataFrame:
        import pandas as pd

        data = {
            "row": [analysis.rows[i] for i in self.positions],
            "text": [analysis.texts[i] for i in self.positions],
        }
        if analysis.labels is not None:
            data[analysis.label_name] = [analysis.labels[i] for i in self.positions]
        data["cosine"] = np.round(self.cosines.astype(np.float64), 4)
        return pd.DataFrame(data)


@dataclass(eq=False)
class Analysis:
    """Everything a view of one run needs; the CLI, the app and the Python API read it.

    Attributes:
        texts: the texts, in input order (empty ones skipped, see ``notes``).
        embeddings: float32 ``(n_texts, dim)``.
        coords: float32 ``(n_texts, dims)``.
        clusters: int ``(n_texts,)``: ids 0.. by size, -1 for noise; all 0 without clustering.
        keywords: cluster id -> keyword label ("花呗 · 银行卡 · 绑定").
        llm_labels: cluster id -> the label a local LLM gave (replaces the keywords).
        explanations: cluster id -> the LLM's explanation of the cluster.
        scores: ``trustworthiness``, ``knn_recall`` (None below 4 texts), ``k``,
            ``n_scored``, ``silhouette`` and, with labels, ``ari``.
        neighbourhood: float32 ``(n_texts,)``: the share of each text's k nearest kept on
            the map (NaN outside the scored sample).
        params: ``model``, ``method``, ``dims``, ``projection`` (the parameters actually
            used, after clamping), ``random_state``, ``cluster``, ``k``, ``cluster_params``.
        rows: each text's 1-based row in the input.
        columns: the input table's other columns, one value per text.
        labels: the user's label per text (colours the map, gives the ARI), or None.
        label_name: the label column's name.
        axis_titles: one per map axis.
        model_name: the model's readable name.
        source: where the texts came from (a file name, "pasted text").
        read_summary: how many rows were read, kept and skipped, and why.
        warnings: parameters lowered for small inputs and similar, for the page.
    """

    texts: list[str]
    embeddings: np.ndarray
    coords: np.ndarray
    clusters: np.ndarray
    keywords: dict[int, str]
    scores: dict
    neighbourhood: np.ndarray
    params: dict
    rows: list[int]
    axis_titles: list[str]
    model_name: str
    columns: dict[str, list[str]] = field(default_factory=dict)
    labels: list[str] | None = None
    label_name: str | None = None
    llm_labels: dict[int, str] = field(default_factory=dict)
    explanations: dict[int, str] = field(default_factory=dict)
    source: str = "texts"
    read_summary: str = ""
    input_notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cluster_summary: str = ""
    #: the fitted projector (places search queries exactly); None for a loaded analysis.
    projection: Projection | None = field(default=None, repr=False)
    #: the encoder that made the embeddings, when embedviz made them.
    encoder: Encoder | None = field(default=None, repr=False)
    _memo: dict = field(default_factory=dict, repr=False)

    # -- what it is

    @property
    def n_texts(self) -> int:
        return len(self.texts)

    @property
    def method(self) -> str:
        return self.params["method"]

    @property
    def dims(self) -> int:
        return int(self.params["dims"])

    @property
    def method_label(self) -> str:
        return projector_class(self.method).label

    @property
    def clustered(self) -> bool:
        return self.params["cluster"] != "none" and len(set(self.clusters.tolist()) - {NOISE}) > 1

    @property
    def cluster_names(self) -> dict[int, str]:
        """Cluster id -> name: the LLM's label where it gave one, else the keywords."""
        return {**self.keywords, **self.llm_labels}

    @property
    def own_embeddings(self) -> bool:
        """Whether the user brought the embeddings (embedviz did not encode the texts)."""
        return bool(self.params.get("own_embeddings"))

    def with_llm_labels(self, labels: dict[int, str], explanations: dict[int, str]) -> Analysis:
        """A copy whose clusters carry an LLM's labels and explanations (the figures, the
        notes, the CSV and a saved analysis then use them)."""
        return replace(self, llm_labels=dict(labels), explanations=dict(explanations))

    def map_scores_text(self) -> str:
        s = self.scores
        if s.get("trustworthiness") is None:
            return "Too few texts to score how well the picture keeps neighbours (4 needed)."
        text = (
            f"trustworthiness {s['trustworthiness']:.2f}, kNN recall {s['knn_recall']:.2f} "
            f"(k = {s['k']})"
        )
        if s.get("n_scored", self.n_texts) < self.n_texts:
            text += f", on a random sample of {s['n_scored']:,} of {self.n_texts:,} texts"
        return text

    @property
    def notes(self) -> list[str]:
        """What a reader of any export should know, one sentence each."""
        notes = [self.read_summary] if self.read_summary else []
        if self.own_embeddings:
            notes.append(
                f"Embeddings: your own ({self.embeddings.shape[1]} dimensions), "
                f"model: {self.params['model']}."
            )
        notes += [*self.warnings, self.cluster_summary]
        if self.clustered:
            sizes = self.cluster_sizes()
            names = self.cluster_names
            for c in sorted(names, key=lambda c: (c == NOISE, c)):
                if c == NOISE:
                    notes.append(f"Noise: {_texts(sizes.get(c, 0))} in no cluster")
                else:
                    by = " (named by the LLM)" if c in self.llm_labels else ""
                    notes.append(f"Cluster {c}: {names[c]} ({_texts(sizes.get(c, 0))}){by}")
        notes.append(f"Map: {self.map_scores_text()}.")
        if self.scores.get("ari") is not None:
            notes.append(
                f"Adjusted Rand index of the clusters against {self.label_name}: "
                f"{self.scores['ari']:.2f}."
            )
        return [n for n in notes if n]

    def cluster_sizes(self) -> dict[int, int]:
        ids, counts = np.unique(self.clusters, return_counts=True)
        return {int(c): int(k) for c, k in zip(ids, counts, strict=True)}

    # -- colours

    def colour_options(self) -> list[str]:
        """What the map can be coloured by, the default first: the user's label column,
        the clusters, how well each text's neighbours are kept."""
        options = [self.label_name] if self.labels is not None else []
        if self.clustered:
            options.append(CLUSTER_COLOUR)
        options.append(NEIGHBOURHOOD_COLOUR)
        return options

    def point_labels(self) -> list[str]:
        """A legend entry per text: "0 · 银行卡 · 绑定", or "noise"."""
        from .figures.view import cluster_point_labels

        return cluster_point_labels(self.clusters, self.cluster_names)

    def colouring(self, colour_by: str | None = None) -> dict:
        """The colour arguments of :func:`embedviz.figures.view.map_figure`."""
        options = self.colour_options()
        colour_by = colour_by or options[0]
        if colour_by not in options:
            raise ParameterError(
                f"Cannot colour by {colour_by!r}. Use one of: {', '.join(options)}."
            )
        labels = values = None
        if colour_by == CLUSTER_COLOUR:
            labels = self.point_labels()
        elif colour_by == NEIGHBOURHOOD_COLOUR:
            values = self.neighbourhood
        else:
            labels = self.labels
        return dict(
            labels=labels,
            label_name=colour_by,
            values=values,
            value_name=f"share of {self.scores.get('k', 0)} nearest kept",
        )

    # -- figures

    def figure(
        self, colour_by: str | None = None, *, query: SearchResult | None = None
    ) -> go.Figure:
        """The map: a plotly scatter, hover with each whole text, titled with the method,
        the number of texts and the model."""
        from .figures.scatter import add_query_point
        from .figures.view import map_figure

        fig = map_figure(
            coords=self.coords,
            axis_titles=self.axis_titles,
            method_name=self.method_label,
            model_name=self.model_name,
            texts=self.texts,
            ids=self.rows,
            **self.colouring(colour_by),
        )
        if query is not None:
            add_query_point(fig, query.coords[0], query.query)
        return fig

    def heatmap(self, selection: Sequence[int] | None = None) -> HeatmapView:
        """The heatmap of all texts, or of the selected positions: the full cosine matrix up
        to :data:`MAX_HEATMAP_TEXTS` texts, else the cluster x cluster mean, else none."""
        from .figures.view import heatmap_figure

        shown = list(selection) if selection else list(range(self.n_texts))
        what = "selected texts" if selection else "texts"
        if len(shown) <= MAX_HEATMAP_TEXTS:
            S, order, boundaries = self._ordered_similarities(tuple(shown))
            figure = heatmap_figure(
                texts=[self.texts[i] for i in shown],
                ids=[self.rows[i] for i in shown],
                S=S,
                order=order,
                boundaries=boundaries,
                what=what,
            )
            note = (
                f"The heatmap shows the {len(shown):,} selected texts."
                if selection
                else "The heatmap shows all texts."
            )
            return HeatmapView(figure, note, "texts")
        if self.clustered:
            M, ids, sizes = self._cluster_similarity()
            names = self.cluster_names
            figure = heatmap_figure(
                texts=self.texts,
                ids=self.rows,
                S=None,
                cluster_summary=(M, [names[c] for c in ids], sizes),
            )
            note = (
                f"{len(shown):,} texts: the heatmap shows the mean similarity between clusters "
                f"(the full heatmap is drawn up to {MAX_HEATMAP_TEXTS:,} texts; select fewer "
                "points to see theirs)."
            )
            return HeatmapView(figure, note, "clusters")
        note = (
            f"{len(shown):,} texts: no heatmap is drawn above {MAX_HEATMAP_TEXTS:,} texts "
            "without clusters. Turn on clustering for the cluster summary, or select fewer "
            "points."
        )
        return HeatmapView(None, note, "none")

    def _ordered_similarities(self, shown: tuple[int, ...]):
        key = ("ordered", shown)
        if key not in self._memo:
            from .cluster import ordered_similarities

            idx = np.asarray(shown)
            labels = self.clusters[idx] if self.clustered else None
            self._memo[key] = ordered_similarities(self.embeddings[idx], labels)
        return self._memo[key]

    def _cluster_similarity(self):
        if "clusters" not in self._memo:
            from .cluster import cluster_similarity

            self._memo["clusters"] = cluster_similarity(self.embeddings, self.clusters)
        return self._memo["clusters"]

    def figures(
        self, colour_by: str | None = None, selection: Sequence[int] | None = None
    ) -> list[go.Figure]:
        """The map and the heatmap (when one is drawn), as they go into the HTML export."""
        heat = self.heatmap(selection).figure
        return [f for f in (self.figure(colour_by), heat) if f is not None]

    def title(self) -> str:
        return f"embedviz: {self.source}, {self.n_texts:,} texts, {self.method_label} {self.dims}-D"

    def html(self, colour_by: str | None = None, selection: Sequence[int] | None = None) -> str:
        """One standalone HTML page (plotly.js inside, opens offline): both figures and the
        notes."""
        from .export import standalone_html

        notes = self.notes
        if selection:
            notes = [*notes, f"The heatmap shows the {len(selection):,} selected texts."]
        return standalone_html(self.figures(colour_by, selection), title=self.title(), notes=notes)

    def to_html(self, path: str | Path, colour_by: str | None = None) -> Path:
        """Write :meth:`html` to ``path``; returns the path."""
        path = Path(path)
        path.write_text(self.html(colour_by), encoding="utf-8")
        return path

    # -- tables

    def points_frame(self) -> pd.DataFrame:
        """One row per text: input row, text, the input's other columns, cluster and its
        name, the neighbourhood score, and the coordinates. The CSV and the saved Parquet
        table are this frame."""
        import pandas as pd

        frame = pd.DataFrame({"row": self.rows, "text": self.texts})
        for name, values in self.columns.items():
            if name not in frame:
                frame[name] = values
        if self.labels is not None and self.label_name not in frame:
            frame[self.label_name] = self.labels
        frame["cluster"] = self.clusters.astype(np.int64)
        names = self.cluster_names
        frame["cluster_name"] = [names.get(int(c), "") for c in self.clusters]
        frame[f"neighbours_kept_of_{self.scores.get('k', 0)}"] = np.round(
            self.neighbourhood.astype(np.float64), 3
        )
        for k, axis in enumerate("xyz"[: self.dims]):
            frame[axis] = self.coords[:, k].astype(np.float64)
        return frame

    def csv_bytes(self) -> bytes:
        """:meth:`points_frame` as CSV, UTF-8 with BOM (Excel reads the Chinese)."""
        from .export import csv_bytes

        frame = self.points_frame()
        for axis in "xyz"[: self.dims]:
            frame[axis] = frame[axis].round(5)
        return csv_bytes(frame)

    def to_csv(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.csv_bytes())
        return path

    # -- search

    def query_encoder(self) -> Encoder:
        """The model that made the embeddings, to encode a query in their space.

        Raises:
            EmbedvizError: the embeddings came from the user with no model named.
        """
        if self.encoder is None:
            model = self.params["model"]
            if model == OWN_EMBEDDINGS or str(model).startswith("python:"):
                raise EmbedvizError(
                    "Search needs the model that made these embeddings, and embedviz does not "
                    "have it: they were brought in with the texts. Name the model that made "
                    "them (analyze(..., embeddings=X, model=SPEC), or --model with "
                    "--embeddings) to search."
                )
            from .encoders import load_encoder

            self.encoder = load_encoder(model)
        return self.encoder

    def search(self, query: str, top_k: int = 10) -> SearchResult:
        """The ``top_k`` texts most similar to ``query``, and where it falls on the map.

        Raises:
            InputError: an empty query or one the model cannot put beside these embeddings.
            EmbedvizError: no model is known for these embeddings.
        """
        from .similarity import rank_by_query

        query = (query or "").strip()
        if not query:
            raise InputError("The query is empty. Type the sentence to search for.")
        encoder = self.query_encoder()
        q = encoder.encode([query])
        if q.shape[1] != self.embeddings.shape[1]:
            raise InputError(
                f"The model {self.params['model']} makes {q.shape[1]}-dimensional vectors but "
                f"these embeddings have {self.embeddings.shape[1]}: name the model that made "
                "them."
            )
        top, cosines = rank_by_query(self.embeddings, q[0], top_k=top_k)
        if self.projection is not None:
            xy, note = self.projection.place(q)
        else:
            loaded = Projection(self.coords, self.axis_titles, self.method, {}, [])
            xy, note = loaded.place(q, X_fit=_unit(self.embeddings))
        return SearchResult(query, np.asarray(top), np.asarray(cosines), np.asarray(xy), note)

    # -- code

    def script(self, colour_by: str | None = None) -> str:
        """A standalone Python script that redraws this view (see :mod:`embedviz.codegen`)."""
        from .codegen import View, template_script

        colouring = self.colouring(colour_by)
        return template_script(
            View(
                texts=self.texts,
                model_spec=self.params["model"],
                method=self.method,
                dims=self.dims,
                params={**self.params["projection"], "random_state": self.params["random_state"]},
                labels=colouring["labels"],
                label_name=colouring["label_name"],
                encoder_code=self._encoder_script(),
            )
        )

    def _encoder_script(self) -> str | None:
        return self.encoder.script() if self.encoder is not None else None

    def script_files(self) -> dict[str, bytes]:
        """Files the script needs beside it: the embeddings, when no model can remake them."""
        from .codegen import needs_embeddings_file

        if not needs_embeddings_file(self.script()):
            return {}
        buffer = io.BytesIO()
        np.save(buffer, self.embeddings, allow_pickle=False)
        return {"embeddings.npy": buffer.getvalue()}

    # -- saving

    def save(self, folder: str | Path) -> Path:
        """Write the analysis to ``folder`` (see :mod:`embedviz.store`); returns the folder."""
        from .store import save

        return save(self, folder)


def _texts(n: int) -> str:
    return f"{n:,} text{'s' * (n != 1)}"


def _unit(X: np.ndarray) -> np.ndarray:
    from ._validation import check_embeddings

    return check_embeddings(X)


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
    keywords = keyword_stage(batch.texts, clustering)
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


def load(folder: str | Path) -> Analysis:
    """Reopen an analysis that :meth:`Analysis.save` wrote, without encoding or fitting."""
    from .store import load as _load

    return _load(folder)
