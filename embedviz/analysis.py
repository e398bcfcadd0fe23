"""The result of a run: one :class:`Analysis` that the CLI, the app and a notebook all read.

It holds the data of a run (texts, embeddings, map, clusters, names, scores, the
:class:`~embedviz.spec.RunSpec` that made it) and the small views derived from them (notes,
sizes, a subset). What is decided and drawn from it lives in modules of its own, reached
through one-line delegates, as BERTopic's ``visualize_*``: :mod:`embedviz.views` (colours,
the map, which heatmap), :mod:`embedviz.export` (HTML, CSV), :mod:`embedviz.store` (the
saved folder), :mod:`embedviz.search` (the nearest texts to a query) and
:mod:`embedviz.codegen` (the standalone script). :mod:`embedviz.pipeline` makes an Analysis;
:func:`load` reopens a saved one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import codegen, explain, export, search, store, views
from .cluster import NOISE
from .encoders import OWN_EMBEDDINGS  # noqa: F401 - the faces read it here
from .errors import ParameterError
from .export import csv_bytes  # noqa: F401 - the faces read these names here
from .project import Projection, projector_class
from .similarity import pair_cosine
from .spec import RunSpec
from .topics import TopicTree
from .views import (  # noqa: F401
    CLUSTER_COLOUR,
    LABEL_POINTS_UP_TO,
    LEAN_MAP_ABOVE,
    LEAN_NOTE,
    MAX_HEATMAP_TEXTS,
    NEIGHBOURHOOD_COLOUR,
    POINT_LABELS_AT_MOST,
    ZOOM_LABELS_FUNCTION,
    HeatmapView,
    has_zoom_labels,
    is_lean,
)

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from .encoders import Encoder
    from .quality import NeighbourhoodScores
    from .search import SearchResult


@dataclass(eq=False)
class Analysis:
    """Everything a view of one run needs; the CLI, the app and the Python API read it.

    Attributes:
        texts: the texts, in input order (empty ones skipped, see ``notes``).
        embeddings: float32 ``(n_texts, dim)``.
        coords: float32 ``(n_texts, dims)``.
        clusters: int ``(n_texts,)``: ids 0.. by size, -1 for noise; all 0 without clustering.
        keywords: cluster id -> keyword label ("花呗 · 银行卡 · 绑定").
        scores: ``trustworthiness``, ``knn_recall`` (None below 4 texts), ``k``,
            ``n_scored``, ``silhouette`` and, with labels, ``ari``.
        neighbourhood: float32 ``(n_texts,)``: the share of each text's k nearest kept on
            the map (NaN outside the scored sample).
        spec: the :class:`~embedviz.spec.RunSpec` that made it (model, method, dims,
            parameters asked for, clusterer, k, seed).
        projection_params: the projection's parameters actually used (after clamping for
            small inputs).
        clusters_found: how many clusters the clusterer found.
        own_embeddings: the user brought the embeddings (embedviz did not encode the texts).
        rows: each text's 1-based row in the input.
        axis_titles: one per map axis.
        model_name: the model's readable name.
        columns: the input table's other columns, one value per text.
        labels: the user's label per text (colours the map, gives the ARI), or None.
        label_name: the label column's name.
        llm_labels: cluster id -> the label a local LLM gave (replaces the keywords).
        explanations: cluster id -> the LLM's explanation of the cluster.
        misfits: cluster id -> positions of its members the LLM said do not belong.
        source: where the texts came from (a file name, "pasted text").
        read_summary: how many rows were read, kept and skipped, and why.
        warnings: parameters lowered for small inputs, texts the model reads in part.
    """

    texts: list[str]
    embeddings: np.ndarray
    coords: np.ndarray
    clusters: np.ndarray
    keywords: dict[int, str]
    scores: dict
    neighbourhood: np.ndarray
    spec: RunSpec
    projection_params: dict
    clusters_found: int
    rows: list[int]
    axis_titles: list[str]
    model_name: str
    own_embeddings: bool = False
    columns: dict[str, list[str]] = field(default_factory=dict)
    labels: list[str] | None = None
    label_name: str | None = None
    llm_labels: dict[int, str] = field(default_factory=dict)
    explanations: dict[int, str] = field(default_factory=dict)
    misfits: dict[int, list[int]] = field(default_factory=dict)
    source: str = "texts"
    read_summary: str = ""
    input_notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cluster_summary: str = ""
    #: the fitted projector (places search queries exactly); None for a loaded analysis.
    projection: Projection | None = field(default=None, repr=False)
    #: the encoder that made the embeddings, when embedviz made them.
    encoder: Encoder | None = field(default=None, repr=False)
    #: the topic tree around the clusters (coarser topics, finer ones), when clustered.
    tree: TopicTree | None = field(default=None, repr=False)
    #: what part of the run this is, when it is one (see :meth:`subset`): "filter: ...".
    view_note: str = ""
    _memo: dict = field(default_factory=dict, repr=False)

    # -- what it is

    @property
    def n_texts(self) -> int:
        return len(self.texts)

    @property
    def method(self) -> str:
        return self.spec.method

    @property
    def dims(self) -> int:
        return self.spec.dims

    @property
    def method_label(self) -> str:
        return projector_class(self.method).label

    @property
    def clustered(self) -> bool:
        return self.spec.clustered and len(set(self.clusters.tolist()) - {NOISE}) > 1

    @property
    def cluster_names(self) -> dict[int, str]:
        """Cluster id -> name: the LLM's label where it gave one, else the keywords."""
        return {**self.keywords, **self.llm_labels}

    def memo(self, key, make: Callable[[], object]):
        """``make()``, computed once per analysis (similarity matrices for the heatmap)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def with_llm_labels(
        self,
        labels: dict[int, str],
        explanations: dict[int, str],
        misfits: dict[int, list[int]] | None = None,
    ) -> Analysis:
        """A copy whose clusters carry an LLM's labels, explanations and the members it said
        do not fit (the figures, the notes, the CSV and a saved analysis then use them)."""
        return replace(
            self,
            llm_labels=dict(labels),
            explanations=dict(explanations),
            misfits={int(c): [int(i) for i in p] for c, p in (misfits or {}).items()},
        )

    @property
    def misfit_positions(self) -> list[int]:
        """Every text the LLM said does not fit its cluster, in input order."""
        return sorted(i for positions in self.misfits.values() for i in positions)

    def subset(self, positions: Sequence[int], what: str) -> Analysis:
        """The same run restricted to some texts (a filter, a selection): their points where
        the whole run put them, their clusters and names, the run's scores; every view,
        table and export of it shows those texts alone. ``positions``: in :attr:`texts`, in
        the order to keep; ``what``: what picked them ("filter: topic = 支付"), for titles."""
        idx = np.asarray(list(positions), dtype=np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= self.n_texts):
            raise ParameterError(f"Positions must lie in 0..{self.n_texts - 1}.")
        present = set(self.clusters[idx].tolist())
        note = f"{what}: {idx.size:,} of {self.n_texts:,} texts"
        new_place = {int(i): k for k, i in enumerate(idx.tolist())}
        misfits = {c: [new_place[i] for i in p if i in new_place] for c, p in self.misfits.items()}
        return replace(
            self,
            texts=[self.texts[i] for i in idx],
            embeddings=self.embeddings[idx],
            coords=self.coords[idx],
            clusters=self.clusters[idx],
            neighbourhood=self.neighbourhood[idx],
            rows=[self.rows[i] for i in idx],
            columns={name: [values[i] for i in idx] for name, values in self.columns.items()},
            labels=None if self.labels is None else [self.labels[i] for i in idx],
            keywords={c: v for c, v in self.keywords.items() if c in present},
            llm_labels={c: v for c, v in self.llm_labels.items() if c in present},
            explanations={c: v for c, v in self.explanations.items() if c in present},
            misfits={c: p for c, p in misfits.items() if p},
            tree=None if self.tree is None else self.tree.subset(idx),
            view_note=f"{self.view_note}; {note}" if self.view_note else note,
            _memo={},
        )

    def at_level(self, level: str | int) -> Analysis:
        """The same run with the topic tree's ``level`` ("coarse", "clusters", "fine", or
        its index) as its clusters: the map's colours and names, the heatmap's blocks, the
        filter and the CSV then work at that level."""
        if self.tree is None:
            raise ParameterError("These texts have no topic tree: cluster them first.")
        k = self.tree.level_of(level)
        if k == self.tree.base:
            return self
        name = self.tree.level_names[k]
        return replace(
            self,
            clusters=self.tree.levels[k],
            keywords=dict(self.tree.names[k]),
            llm_labels=dict(self.tree.llm_names[k]) if k < len(self.tree.llm_names) else {},
            explanations={},
            misfits={},
            view_note=f"{self.view_note}; topics: {name}" if self.view_note else f"topics: {name}",
            _memo={},
        )

    def with_level_names(self, level: str | int, names: dict[int, str]) -> Analysis:
        """A copy whose topic tree names ``level``'s nodes as given (an LLM's names)."""
        if self.tree is None:
            raise ParameterError("These texts have no topic tree: cluster them first.")
        k = self.tree.level_of(level)
        if k == self.tree.base:
            return self.with_llm_labels(names, self.explanations, self.misfits)
        llm = [dict(n) for n in self.tree.llm_names] or [{} for _ in self.tree.levels]
        llm[k] = dict(names)
        tree = replace(self.tree, llm_names=llm)
        return replace(self, tree=tree, _memo={})

    def describe(self) -> str:
        """One line saying what this view shows: the texts (and the filter or selection),
        the model, the projection and its parameters, the clustering."""
        params = {**self.projection_params, "random_state": self.spec.random_state}
        how = ", ".join(f"{k}={v}" for k, v in params.items())
        line = (
            f"{self.view_note or f'{self.n_texts:,} texts'} from {self.source}; "
            f"model {self.model_name}; {self.method_label} {self.dims}-D ({how})"
        )
        if self.spec.clustered:
            found = self.clusters_found
            line += f"; clusters: {self.spec.cluster}" + (f", {found} found" if found else "")
        return line + "."

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
                f"model: {self.spec.model}."
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
        if self.misfits:
            n = len(self.misfit_positions)
            fits = "does not fit its" if n == 1 else "do not fit their"
            notes.append(f"The LLM says {_texts(n)} {fits} cluster (ringed in red on the map).")
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

    def title(self) -> str:
        return f"embedviz: {self.source}, {self.n_texts:,} texts, {self.method_label} {self.dims}-D"

    # -- views (embedviz.views)

    def colour_options(self) -> list[str]:
        """What the map can be coloured by, the default first (see :mod:`embedviz.views`)."""
        return views.colour_options(self)

    def colouring(self, colour_by: str | None = None) -> dict:
        return views.colouring(self, colour_by)

    def point_labels(self) -> list[str]:
        return views.point_labels(self)

    def figure(
        self,
        colour_by: str | None = None,
        *,
        query: SearchResult | None = None,
        point_labels: bool | None = None,
        zoom_labels: bool = True,
    ) -> go.Figure:
        """The map: hover with each whole text, titled with the method, the texts and the
        model; topic names by zoom (see :func:`embedviz.views.map_view`)."""
        return views.map_view(
            self, colour_by, query=query, point_labels=point_labels, zoom_labels=zoom_labels
        )

    def compare_figure(
        self, projection: Projection, scores: NeighbourhoodScores, colour_by: str | None = None
    ) -> go.Figure:
        return views.compare_view(self, projection, scores, colour_by)

    def heatmap(self, selection: Sequence[int] | None = None) -> HeatmapView:
        """The heatmap of all texts or of the selected positions, and what it shows."""
        return views.heatmap_view(self, selection)

    def figures(self, colour_by=None, selection=None, *, point_labels=None, query=None):
        return views.figures(self, colour_by, selection, point_labels=point_labels, query=query)

    def filter_columns(self) -> dict[str, list]:
        """What the texts can be filtered by: their other columns, the label, the cluster."""
        return views.filter_columns(self)

    # -- tables and files (embedviz.export, embedviz.store)

    def cosine(self, a: int, b: int) -> float:
        """The cosine similarity of the texts at positions ``a`` and ``b``."""
        return pair_cosine(self.embeddings, a, b)

    def cluster_table(self) -> pd.DataFrame:
        """Each cluster's name, keywords, size and the texts closest to its centre."""
        return export.cluster_frame(self)

    def top_pairs(self, limit: int) -> pd.DataFrame:
        """The ``limit`` most similar pairs, numbered by input row."""
        return export.top_pairs(self, limit)

    def pairs_above(self, threshold: float, limit: int) -> tuple[pd.DataFrame, int]:
        """Every pair with cosine at least ``threshold`` (at most ``limit``), and the count."""
        return export.pairs_at_least(self, threshold, limit)

    def html(self, colour_by=None, selection=None, *, point_labels=None, query=None) -> str:
        """One standalone HTML page (opens offline): the view as the app shows it."""
        return export.analysis_html(self, colour_by, selection, point_labels, query)

    def to_html(self, path: str | Path, colour_by: str | None = None) -> Path:
        """Write :meth:`html` to ``path``; returns the path."""
        path = Path(path)
        path.write_text(self.html(colour_by), encoding="utf-8")
        return path

    def points_frame(self) -> pd.DataFrame:
        """One row per text: the CSV's and the saved table's columns."""
        return export.points_frame(self)

    def csv_bytes(self) -> bytes:
        """:meth:`points_frame` as CSV, UTF-8 with BOM (Excel reads the Chinese)."""
        return export.points_csv(self)

    def to_csv(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_bytes(self.csv_bytes())
        return path

    def manifest(self) -> dict:
        return store.manifest(self)

    def save(self, folder: str | Path) -> Path:
        """Write the analysis to ``folder`` (see :mod:`embedviz.store`); returns the folder."""
        return store.write(folder, self.points_frame(), self.embeddings, self.manifest())

    def to_zip(self) -> bytes:
        """The saved folder as one zip (what the app's download button gives)."""
        return store.zip_folder(self.save)

    # -- search, the LLM and code (embedviz.search, embedviz.explain, embedviz.codegen)

    def explain(self, llm, selection: Sequence[int] | None = None, *, on_text=None):
        """Ask ``llm`` to name and explain the clusters (or the texts at ``selection``
        against the rest). Returns (this analysis with the LLM's labels, or unchanged for a
        selection; the explanations); see :mod:`embedviz.explain`."""
        if selection:
            return self, explain.explain_selection(llm, self, selection, on_text=on_text)
        return explain.explain_analysis(llm, self, on_text=on_text)

    def query_encoder(self) -> Encoder:
        """The model that made the embeddings, loaded by its spec when not at hand."""
        if self.encoder is None:
            self.encoder = search.model_of(self.spec.model)
        return self.encoder

    def search(self, query: str, top_k: int = 10) -> SearchResult:
        """The ``top_k`` texts most similar to ``query``, and where it falls on the map."""
        return search.search(self, query, top_k)

    def script(self, colour_by: str | None = None) -> str:
        """A standalone Python script that redraws this view (see :mod:`embedviz.codegen`)."""
        return codegen.analysis_script(self, colour_by)

    def script_read_only(self) -> list[str]:
        """Folders the script must read besides the system and Python: a local model."""
        return codegen.read_only_folders(self)

    def script_files(self) -> dict[str, bytes]:
        """Files the script needs beside it: the embeddings, when no model can remake them."""
        return codegen.script_files(self)


def _texts(n: int) -> str:
    return f"{n:,} text{'s' * (n != 1)}"


def load(folder: str | Path) -> Analysis:
    """Reopen an analysis that :meth:`Analysis.save` wrote, without encoding or fitting.

    Raises:
        InputError: not a saved analysis, a newer format, or files that disagree.
    """
    return Analysis(**store.fields(*store.read(folder)))


def load_zip(data: bytes) -> Analysis:
    """Reopen the zip :meth:`Analysis.to_zip` made (the app's "Open a saved analysis")."""
    return Analysis(**store.fields(*store.read_zip(data)))
