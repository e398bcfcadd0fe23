"""The result of a run: one :class:`Analysis` that the CLI, the app and a notebook all read.

Every decision about a view lives here, once: which heatmap is drawn (full, per cluster, or
none), what the points can be coloured by, what the notes say, which columns the CSV and the
saved table have. :mod:`embedviz.pipeline` makes an Analysis; :func:`load` reopens a saved
one (:mod:`embedviz.store` reads and writes the files).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

from .cluster import NOISE
from .errors import EmbedvizError, InputError, ParameterError
from .project import Projection, projector_class

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from .encoders import Encoder
    from .quality import NeighbourhoodScores

#: Above this many texts the full n x n heatmap is not drawn (a million cells is already
#: ~6 MB of HTML and slow to draw); the cluster x cluster summary is drawn instead.
MAX_HEATMAP_TEXTS = 1000
#: The model recorded for embeddings the user brought without saying which model made them.
OWN_EMBEDDINGS = "your embeddings"
#: Colour options besides the label column.
CLUSTER_COLOUR = "cluster"
NEIGHBOURHOOD_COLOUR = "neighbourhood kept"
#: Said on the page of a lean map (see embedviz.figures.scatter.LEAN_MAP_ABOVE).
LEAN_NOTE = (
    "{n:,} texts: the map carries no text per point (the page would be too large); hover a "
    "point and its text is looked up and shown beside the cursor."
)


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
        misfits: cluster id -> positions of its members the LLM said do not belong.
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
    #: what part of the run this is, when it is one (see :meth:`subset`): "filter: ...".
    view_note: str = ""
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
        the whole run put them, their clusters and names, the run's scores. Every view,
        table and export of the result shows those texts alone.

        Args:
            positions: positions in :attr:`texts`, in the order to keep.
            what: what picked them ("filter: topic = 支付", "selection"), for titles and
                exports.
        """
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
            view_note=f"{self.view_note}; {note}" if self.view_note else note,
            _memo={},
        )

    def describe(self) -> str:
        """One line saying what this view shows: the texts (and the filter or selection),
        the model, the projection and its parameters, the clustering."""
        params = {**self.params.get("projection", {}), "random_state": self.params["random_state"]}
        how = ", ".join(f"{k}={v}" for k, v in params.items())
        line = (
            f"{self.view_note or f'{self.n_texts:,} texts'} from {self.source}; "
            f"model {self.model_name}; {self.method_label} {self.dims}-D ({how})"
        )
        if self.params.get("cluster", "none") != "none":
            found = self.params.get("clusters_found")
            line += f"; clusters: {self.params['cluster']}" + (f", {found} found" if found else "")
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
        labels = values = group_names = None
        if colour_by == CLUSTER_COLOUR:
            labels = self.point_labels()
            names = self.cluster_names
            group_names = {
                label: names[c]
                for label, c in zip(labels, self.clusters.tolist(), strict=True)
                if c != NOISE
            }
        elif colour_by == NEIGHBOURHOOD_COLOUR:
            values = self.neighbourhood
        else:
            labels = self.labels
        return dict(
            labels=labels,
            label_name=colour_by,
            values=values,
            value_name=f"share of {self.scores.get('k', 0)} nearest kept",
            group_names=group_names,
        )

    # -- figures

    def figure(
        self,
        colour_by: str | None = None,
        *,
        query: SearchResult | None = None,
        point_labels: bool | None = None,
    ) -> go.Figure:
        """The map: a plotly scatter, hover with each whole text, titled with the method,
        the number of texts and the model.

        Args:
            colour_by: one of :meth:`colour_options`; the first by default.
            query: a search result: the query is marked and its hits ringed.
            point_labels: write each text beside its point (never overlapping; those that
                do not fit show on hover); by default only for a handful of texts. Without
                them, each cluster's name is written once at its centre.
        """
        from .figures.scatter import add_query_point

        fig = self._map(self.coords, self.axis_titles, self.method_label, colour_by, point_labels)
        if self.misfits:
            odd = self.misfit_positions
            name = f"{len(odd)} that do not fit their cluster (LLM)"
            self._ring(fig, odd, name, dim_others=False, colour="#d62728")
        if query is not None:
            hits = [int(i) for i in query.positions]
            self._ring(fig, hits, f"{len(hits)} nearest the query")
            add_query_point(fig, query.coords[0], query.query)
        return fig

    def _ring(self, fig: go.Figure, positions: list[int], name: str, **style) -> None:
        """Ring the texts at ``positions`` on the map (search hits, misfits)."""
        from .figures.scatter import ring_points

        ring_points(
            fig,
            self.coords[positions],
            [self.texts[i] for i in positions],
            [self.rows[i] for i in positions],
            positions,
            name=name,
            **style,
        )

    def compare_figure(
        self, projection: Projection, scores: NeighbourhoodScores, colour_by: str | None = None
    ) -> go.Figure:
        """Another projection of these embeddings, coloured as this map and titled with its
        trustworthiness and kNN recall (the compare view)."""
        fig = self._map(projection.coords, projection.axis_titles, projection.name, colour_by)
        # The scores on a line of their own: a half-page-wide title would cut them.
        fig.update_layout(
            title_text=f"{projection.name}<br><sup>{scores.describe()}</sup>",
            showlegend=False,
            height=440,
            margin=dict(t=80),
        )
        return fig

    def _map(
        self, coords, axis_titles, method_label: str, colour_by: str | None, point_labels=None
    ) -> go.Figure:
        from .figures._style import escape
        from .figures.view import map_figure

        fig = map_figure(
            coords=coords,
            axis_titles=axis_titles,
            method_name=method_label,
            model_name=self.model_name,
            texts=self.texts,
            ids=self.rows,
            point_labels=point_labels,
            **self.colouring(colour_by),
        )
        if self.view_note:
            fig.update_layout(
                title_text=f"{fig.layout.title.text}<br><sup>{escape(self.view_note)}</sup>"
            )
        return fig

    def heatmap(self, selection: Sequence[int] | None = None) -> HeatmapView:
        """The heatmap of all texts, or of the selected positions: the full cosine matrix up
        to :data:`MAX_HEATMAP_TEXTS` texts, else the cluster x cluster mean, else none."""
        from .figures.view import heatmap_figure

        shown = list(selection) if selection else list(range(self.n_texts))
        what = "selected texts" if selection else "texts"
        if len(shown) <= MAX_HEATMAP_TEXTS:
            S, order, boundaries = self._ordered_similarities(tuple(shown))
            names = self.cluster_names
            drawn = self.clusters[np.asarray(shown)][order] if len(shown) else []
            block_names = [
                names.get(int(drawn[b]), "noise") for b in [0, *boundaries] if len(drawn)
            ]
            figure = heatmap_figure(
                texts=[self.texts[i] for i in shown],
                ids=[self.rows[i] for i in shown],
                S=S,
                order=order,
                boundaries=boundaries,
                what=what,
                block_names=block_names if boundaries else (),
            )
            if selection:
                note = f"The heatmap shows the {len(shown):,} selected texts."
            elif self.view_note:
                note = f"The heatmap shows the texts of this view ({self.view_note})."
            else:
                note = "The heatmap shows all texts."
            return HeatmapView(figure, note, "texts")
        if self.clustered:
            M, ids, sizes = self._cluster_similarity()
            names = self.cluster_names
            figure = heatmap_figure(
                texts=self.texts,
                ids=self.rows,
                S=None,
                cluster_summary=(M, [names[c] for c in ids], sizes),
                full_up_to=MAX_HEATMAP_TEXTS,
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
        self,
        colour_by: str | None = None,
        selection: Sequence[int] | None = None,
        *,
        point_labels: bool | None = None,
        query: SearchResult | None = None,
    ) -> list[go.Figure]:
        """The map and the heatmap (when one is drawn), as they go into the HTML export."""
        heat = self.heatmap(selection).figure
        fig = self.figure(colour_by, point_labels=point_labels, query=query)
        return [f for f in (fig, heat) if f is not None]

    def title(self) -> str:
        return f"embedviz: {self.source}, {self.n_texts:,} texts, {self.method_label} {self.dims}-D"

    def html(
        self,
        colour_by: str | None = None,
        selection: Sequence[int] | None = None,
        *,
        point_labels: bool | None = None,
        query: SearchResult | None = None,
    ) -> str:
        """One standalone HTML page (plotly.js inside, opens offline): the view as the app
        shows it, a line that says what it shows, and the notes."""
        from .export import standalone_html
        from .figures.scatter import is_lean, lean_hover_script

        notes = [f"This view: {self.describe()}", *self.notes]
        if selection:
            notes.insert(1, f"The heatmap shows the {len(selection):,} selected texts.")
        if query is not None:
            notes.insert(1, f"Search: {query.query!r}, its {len(query.positions)} nearest ringed.")
        figures = self.figures(colour_by, selection, point_labels=point_labels, query=query)
        scripts = []
        if is_lean(figures[0]):
            notes.insert(1, LEAN_NOTE.format(n=self.n_texts))
            scripts = [lean_hover_script(self.texts)]
        return standalone_html(figures, title=self.title(), notes=notes, post_scripts=scripts)

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
        frame[self._neighbourhood_column()] = np.round(self.neighbourhood.astype(np.float64), 3)
        if self.misfits:
            odd = set(self.misfit_positions)
            frame["llm_misfit"] = [i in odd for i in range(self.n_texts)]
        for k, axis in enumerate("xyz"[: self.dims]):
            frame[axis] = self.coords[:, k].astype(np.float64)
        return frame

    def _neighbourhood_column(self) -> str:
        return f"neighbours_kept_of_{self.scores.get('k', 0)}"

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

    def _encoder_script(self) -> str:
        """The script's ``encode``: from the encoder at hand, else from the model spec."""
        from .codegen import encoder_code

        return (
            self.encoder.script()
            if self.encoder is not None
            else encoder_code(self.params["model"])
        )

    def script_read_only(self) -> list[str]:
        """Folders the script must read besides the system and Python: a local model."""
        location = getattr(self.encoder, "location", None)
        return [str(location)] if location and Path(location).is_dir() else []

    def script_files(self) -> dict[str, bytes]:
        """Files the script needs beside it: the embeddings, when no model can remake them."""
        from .encoders._base import OWN_EMBEDDINGS_SCRIPT

        if self._encoder_script() != OWN_EMBEDDINGS_SCRIPT:
            return {}
        buffer = io.BytesIO()
        np.save(buffer, self.embeddings, allow_pickle=False)
        return {"embeddings.npy": buffer.getvalue()}

    # -- saving

    def manifest(self) -> dict:
        """What the saved folder's manifest.json holds besides the format and versions."""
        return {
            "n_texts": self.n_texts,
            "dim": int(self.embeddings.shape[1]),
            "source": self.source,
            "model": self.params["model"],
            "model_name": self.model_name,
            "params": self.params,
            "axis_titles": self.axis_titles,
            "scores": self.scores,
            "neighbourhood_column": self._neighbourhood_column(),
            "columns": list(self.columns),
            "label_name": self.label_name,
            "keywords": _str_keys(self.keywords),
            "llm_labels": _str_keys(self.llm_labels),
            "explanations": _str_keys(self.explanations),
            "misfits": {str(c): [int(i) for i in p] for c, p in self.misfits.items()},
            "read_summary": self.read_summary,
            "input_notes": self.input_notes,
            "warnings": self.warnings,
            "cluster_summary": self.cluster_summary,
        }

    def save(self, folder: str | Path) -> Path:
        """Write the analysis to ``folder``: points.parquet, embeddings.npy, manifest.json
        (see :mod:`embedviz.store`); returns the folder."""
        from .store import write

        return write(folder, self.points_frame(), self.embeddings, self.manifest())

    def to_zip(self) -> bytes:
        """The saved folder as one zip (what the app's download button gives)."""
        from .store import zip_folder

        return zip_folder(self.save)


def _texts(n: int) -> str:
    return f"{n:,} text{'s' * (n != 1)}"


def _unit(X: np.ndarray) -> np.ndarray:
    from ._validation import check_embeddings

    return check_embeddings(X)


def _str_keys(d: dict) -> dict[str, str]:
    return {str(k): v for k, v in d.items()}


def _int_keys(d: dict) -> dict[int, str]:
    return {int(k): str(v) for k, v in d.items()}


def _misfits(saved: dict, n: int) -> dict[int, list[int]]:
    """The saved misfits, checked: positions that are not texts are dropped."""
    out = {}
    for c, positions in saved.items():
        kept = [int(i) for i in positions if isinstance(i, int) and 0 <= i < n]
        if kept:
            out[int(c)] = kept
    return out


#: Columns of the points table that are not the input's own.
_FIXED_COLUMNS = ("row", "text", "cluster", "cluster_name", "llm_misfit", "x", "y", "z")


def from_saved(points: pd.DataFrame, X: np.ndarray, manifest: dict) -> Analysis:
    """The :class:`Analysis` of a saved folder's three parts (already checked by
    :func:`embedviz.store.read`)."""
    params = manifest["params"]
    axes = list("xyz"[: int(params["dims"])])
    label_name = manifest.get("label_name")
    columns = {
        c: points[c].astype(str).tolist()
        for c in manifest.get("columns", [])
        if c in points and c not in _FIXED_COLUMNS
    }
    score_column = manifest.get("neighbourhood_column")
    n = len(points)
    neighbourhood = (
        points[score_column].to_numpy(np.float32)
        if score_column in points
        else np.full(n, np.nan, np.float32)
    )
    return Analysis(
        texts=points["text"].astype(str).tolist(),
        embeddings=X.astype(np.float32, copy=False),
        coords=points[axes].to_numpy(np.float32),
        clusters=points["cluster"].to_numpy(np.int64),
        keywords=_int_keys(manifest.get("keywords", {})),
        scores=manifest.get("scores", {}),
        neighbourhood=neighbourhood,
        params=params,
        rows=[int(r) for r in points["row"]],
        axis_titles=list(manifest.get("axis_titles", axes)),
        model_name=manifest.get("model_name", params.get("model", "")),
        columns=columns,
        labels=points[label_name].astype(str).tolist() if label_name in points else None,
        label_name=label_name if label_name in points else None,
        llm_labels=_int_keys(manifest.get("llm_labels", {})),
        explanations=_int_keys(manifest.get("explanations", {})),
        misfits=_misfits(manifest.get("misfits", {}), n),
        source=manifest.get("source", "saved analysis"),
        read_summary=manifest.get("read_summary", ""),
        input_notes=list(manifest.get("input_notes", [])),
        warnings=list(manifest.get("warnings", [])),
        cluster_summary=manifest.get("cluster_summary", ""),
    )


def load(folder: str | Path) -> Analysis:
    """Reopen an analysis that :meth:`Analysis.save` wrote, without encoding or fitting.

    Raises:
        InputError: not a saved analysis, a newer format, or files that disagree.
    """
    from .store import read

    return from_saved(*read(folder))


def load_zip(data: bytes) -> Analysis:
    """Reopen the zip :meth:`Analysis.to_zip` made (the app's "Open a saved analysis")."""
    from .store import read_zip

    return from_saved(*read_zip(data))
