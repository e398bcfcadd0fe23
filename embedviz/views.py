"""Deciding a view of an analysis: what the map is coloured by, what it rings and writes,
which heatmap is drawn (every text, the clusters' means, or none) and the sentence that says
so. Every face (app, command line, notebook, exported page) reads these decisions, taken
once here; the drawing is :mod:`embedviz.figures`' pure functions (datamapplot separates
``create_plot`` from ``render_plot`` the same way).

Each function takes an :class:`~embedviz.analysis.Analysis` (``analysis``), which reaches
them through its one-line delegates (``analysis.figure()``, ``analysis.heatmap()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from .cluster import NOISE, cluster_similarity, ordered_similarities
from .errors import ParameterError
from .figures._style import escape
from .figures.scatter import (  # noqa: F401 - the page reads these here
    LABEL_POINTS_UP_TO,
    LEAN_MAP_ABOVE,
    POINT_LABELS_AT_MOST,
    ZOOM_LABELS_FUNCTION,
    ZOOM_LABELS_SCRIPT,
    add_query_point,
    add_zoom_labels,
    has_zoom_labels,
    is_lean,
    ring_points,
)
from .figures.view import cluster_point_labels, heatmap_figure, map_figure

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from .project import Projection
    from .quality import NeighbourhoodScores

#: Above this many texts the full n x n heatmap is not drawn (a million cells is already
#: ~6 MB of HTML and slow to draw); the cluster x cluster summary is drawn instead.
MAX_HEATMAP_TEXTS = 1000
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


# ---------------------------------------------------------------- colours


def colour_options(analysis) -> list[str]:
    """What the map can be coloured by, the default first: the user's label column, the
    clusters, how well each text's neighbours are kept."""
    options = [analysis.label_name] if analysis.labels is not None else []
    if analysis.clustered:
        options.append(CLUSTER_COLOUR)
    options.append(NEIGHBOURHOOD_COLOUR)
    return options


def point_labels(analysis) -> list[str]:
    """A legend entry per text: "0 · 银行卡 · 绑定", or "noise"."""
    return cluster_point_labels(analysis.clusters, analysis.cluster_names)


def colouring(analysis, colour_by: str | None = None) -> dict:
    """The colour arguments of :func:`embedviz.figures.view.map_figure`.

    Raises:
        ParameterError: ``colour_by`` is none of :func:`colour_options`.
    """
    options = colour_options(analysis)
    colour_by = colour_by or options[0]
    if colour_by not in options:
        raise ParameterError(f"Cannot colour by {colour_by!r}. Use one of: {', '.join(options)}.")
    labels = values = group_names = None
    if colour_by == CLUSTER_COLOUR:
        labels = point_labels(analysis)
        names = analysis.cluster_names
        group_names = {
            label: names[c]
            for label, c in zip(labels, analysis.clusters.tolist(), strict=True)
            if c != NOISE
        }
    elif colour_by == NEIGHBOURHOOD_COLOUR:
        values = analysis.neighbourhood
    else:
        labels = analysis.labels
    return dict(
        labels=labels,
        label_name=colour_by,
        values=values,
        value_name=f"share of {analysis.scores.get('k', 0)} nearest kept",
        group_names=group_names,
    )


# ---------------------------------------------------------------- the map


def map_view(
    analysis,
    colour_by: str | None = None,
    *,
    query=None,
    point_labels: bool | None = None,
    zoom_labels: bool = True,
) -> go.Figure:
    """The map: a plotly scatter, hover with each whole text, titled with the method, the
    number of texts and the model.

    Args:
        colour_by: one of :func:`colour_options`; the first by default.
        query: a :class:`~embedviz.search.SearchResult`: the query is marked, its hits ringed.
        point_labels: write each text beside its point (never overlapping; those that do
            not fit show on hover); by default only for a handful of texts. Without them,
            each cluster's name is written once at its centre.
        zoom_labels: with a topic tree, name its coarsest level now and carry the finer
            ones for a page that switches them by zoom (:data:`ZOOM_LABELS_SCRIPT`); else
            the clusters' names.
    """
    fig = _map(
        analysis,
        analysis.coords,
        analysis.axis_titles,
        analysis.method_label,
        colour_by,
        point_labels,
    )
    if analysis.misfits:
        odd = analysis.misfit_positions
        name = f"{len(odd)} that do not fit their cluster (LLM)"
        _ring(analysis, fig, odd, name, dim_others=False, colour="#d62728")
    if query is not None:
        hits = [int(i) for i in query.positions]
        _ring(analysis, fig, hits, f"{len(hits)} nearest the query")
        add_query_point(fig, query.coords[0], query.query)
    tree = analysis.tree
    by_cluster = colouring(analysis, colour_by)["group_names"] is not None
    named = any(a.name == "cluster label" for a in fig.layout.annotations)
    if zoom_labels and tree is not None and analysis.dims == 2 and by_cluster and named:
        names = [
            analysis.cluster_names if k == tree.base else tree.named(k) for k in range(tree.depth)
        ]
        ranges = [list(fig.layout.xaxis.range), list(fig.layout.yaxis.range)]
        add_zoom_labels(fig, analysis.coords, tree.levels, names, ranges)
    return fig


def _ring(analysis, fig: go.Figure, positions: list[int], name: str, **style) -> None:
    """Ring the texts at ``positions`` on the map (search hits, misfits)."""
    ring_points(
        fig,
        analysis.coords[positions],
        [analysis.texts[i] for i in positions],
        [analysis.rows[i] for i in positions],
        positions,
        name=name,
        **style,
    )


def compare_view(
    analysis,
    projection: Projection,
    scores: NeighbourhoodScores,
    colour_by: str | None = None,
) -> go.Figure:
    """Another projection of these embeddings, coloured as this map and titled with its
    trustworthiness and kNN recall (the compare view)."""
    fig = _map(analysis, projection.coords, projection.axis_titles, projection.name, colour_by)
    # The scores on a line of their own: a half-page-wide title would cut them.
    fig.update_layout(
        title_text=f"{projection.name}<br><sup>{scores.describe()}</sup>",
        showlegend=False,
        height=440,
        margin=dict(t=80),
    )
    return fig


def _map(
    analysis, coords, axis_titles, method_label: str, colour_by: str | None, labels=None
) -> go.Figure:
    fig = map_figure(
        coords=coords,
        axis_titles=axis_titles,
        method_name=method_label,
        model_name=analysis.model_name,
        texts=analysis.texts,
        ids=analysis.rows,
        point_labels=labels,
        **colouring(analysis, colour_by),
    )
    if analysis.view_note:
        fig.update_layout(
            title_text=f"{fig.layout.title.text}<br><sup>{escape(analysis.view_note)}</sup>"
        )
    return fig


# ---------------------------------------------------------------- the heatmap


def heatmap_view(analysis, selection: Sequence[int] | None = None) -> HeatmapView:
    """The heatmap of all texts, or of the selected positions: the full cosine matrix up to
    :data:`MAX_HEATMAP_TEXTS` texts, else the cluster x cluster mean, else none."""
    shown = list(selection) if selection else list(range(analysis.n_texts))
    what = "selected texts" if selection else "texts"
    if len(shown) <= MAX_HEATMAP_TEXTS:
        S, order, boundaries = _ordered_similarities(analysis, tuple(shown))
        names = analysis.cluster_names
        drawn = analysis.clusters[np.asarray(shown)][order] if len(shown) else []
        block_names = [names.get(int(drawn[b]), "noise") for b in [0, *boundaries] if len(drawn)]
        figure = heatmap_figure(
            texts=[analysis.texts[i] for i in shown],
            ids=[analysis.rows[i] for i in shown],
            S=S,
            order=order,
            boundaries=boundaries,
            what=what,
            block_names=block_names if boundaries else (),
        )
        if selection:
            note = f"The heatmap shows the {len(shown):,} selected texts."
        elif analysis.view_note:
            note = f"The heatmap shows the texts of this view ({analysis.view_note})."
        else:
            note = "The heatmap shows all texts."
        return HeatmapView(figure, note, "texts")
    if analysis.clustered:
        M, ids, sizes = analysis.memo(
            "clusters", lambda: cluster_similarity(analysis.embeddings, analysis.clusters)
        )
        names = analysis.cluster_names
        figure = heatmap_figure(
            texts=analysis.texts,
            ids=analysis.rows,
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


def _ordered_similarities(analysis, shown: tuple[int, ...]):
    def make():
        idx = np.asarray(shown)
        labels = analysis.clusters[idx] if analysis.clustered else None
        return ordered_similarities(analysis.embeddings[idx], labels)

    return analysis.memo(("ordered", shown), make)


def figures(
    analysis,
    colour_by: str | None = None,
    selection: Sequence[int] | None = None,
    *,
    point_labels: bool | None = None,
    query=None,
) -> list[go.Figure]:
    """The map and the heatmap (when one is drawn), as they go into the HTML export."""
    heat = heatmap_view(analysis, selection).figure
    fig = map_view(analysis, colour_by, point_labels=point_labels, query=query)
    return [f for f in (fig, heat) if f is not None]


def filter_columns(analysis) -> dict[str, list]:
    """What the texts can be filtered by: the input's other columns, the label, the cluster
    ("0 · 花呗 · 银行卡", or "noise")."""
    columns = {name: list(values) for name, values in analysis.columns.items()}
    if analysis.labels is not None:
        columns.setdefault(analysis.label_name, list(analysis.labels))
    if analysis.clustered:
        names = analysis.cluster_names
        columns["cluster"] = [
            f"{c} · {names.get(c, '')}" if c != NOISE else "noise"
            for c in analysis.clusters.tolist()
        ]
    return columns
