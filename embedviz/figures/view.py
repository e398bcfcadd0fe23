"""The pair of figures a user sees for one run: the projection scatter and the heatmap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ._style import escape
from .heatmap import cluster_heatmap, similarity_heatmap
from .scatter import OTHER_COLOUR, projection_scatter


def scatter_title(method_name: str, n_texts: int, dims: int, model_name: str) -> str:
    return f"{method_name} {dims}-D map of {n_texts:,} texts · model: {escape(model_name)}"


def heatmap_title(n_texts: int, by_cluster: bool = False, what: str = "texts") -> str:
    how = (
        "ordered by cluster (red lines between clusters), similar texts together inside each"
        if by_cluster
        else "ordered so that similar texts sit together"
    )
    return f"Cosine similarity of {n_texts:,} {what}<br><sup>{how}</sup>"


def cluster_point_labels(labels: np.ndarray, names: Mapping[int, str]) -> list[str]:
    """A legend entry per text: "0 · 银行卡 · 绑定 · 还款", or "noise"."""
    return [names[c] if c == -1 else f"{c} · {names[c]}" for c in np.asarray(labels).tolist()]


NOISE_COLOURS = {"noise": OTHER_COLOUR}


def map_figure(
    *,
    coords: np.ndarray,
    axis_titles: Sequence[str],
    method_name: str,
    model_name: str,
    texts: Sequence[str],
    ids: Sequence[int],
    labels: Sequence[str] | None = None,
    label_name: str = "label",
    values: np.ndarray | None = None,
    value_name: str = "value",
    point_labels: bool | None = None,
    group_names: Mapping[str, str] | None = None,
) -> go.Figure:
    """The projection scatter with a title that says method, size and model; noise in grey.

    Args:
        labels, label_name: what to colour points by (clusters or the user's label column).
        values, value_name: colour on a scale instead (e.g. neighbourhood kept).
        point_labels, group_names: text on the map (see
            :func:`embedviz.figures.scatter.projection_scatter`).
    """
    n, dims = np.asarray(coords).shape
    return projection_scatter(
        coords,
        texts,
        labels=labels,
        label_name=label_name,
        ids=ids,
        title=scatter_title(method_name, n, dims, model_name),
        axis_titles=axis_titles,
        colours=NOISE_COLOURS,
        values=values,
        value_name=value_name,
        point_labels=point_labels,
        group_names=group_names,
    )


def heatmap_figure(
    *,
    texts: Sequence[str],
    ids: Sequence[int],
    S: np.ndarray | None,
    order: np.ndarray | None = None,
    boundaries: Sequence[int] = (),
    cluster_summary: tuple[np.ndarray, Sequence[str], Sequence[int]] | None = None,
    what: str = "texts",
    full_up_to: int | None = None,
    block_names: Sequence[str] = (),
) -> go.Figure | None:
    """The full heatmap when ``S`` is given, else the cluster x cluster summary, else None.

    Args:
        S, order, boundaries: the similarity matrix, the order to draw it in and the cluster
            boundaries in that order (None when the summary is drawn instead).
        cluster_summary: ``(M, names, sizes)`` from
            :func:`embedviz.cluster.cluster_similarity`.
        what: what the texts are, for the title ("texts", "selected texts").
        full_up_to: up to how many texts the full heatmap is drawn, for the summary's title.
    """
    n = len(texts)
    if S is not None:
        title = heatmap_title(n, by_cluster=bool(boundaries), what=what)
        return similarity_heatmap(
            S,
            texts,
            order=order,
            ids=ids,
            title=title,
            boundaries=boundaries,
            block_names=block_names,
        )
    if cluster_summary is not None:
        M, names, sizes = cluster_summary
        return cluster_heatmap(
            M,
            names,
            sizes,
            title=f"Mean cosine similarity between {len(names)} clusters of {n:,} texts"
            + (
                f"<br><sup>the full {n:,} x {n:,} heatmap is drawn up to {full_up_to:,} "
                "texts; select points to see theirs</sup>"
                if full_up_to
                else ""
            ),
        )
    return None
