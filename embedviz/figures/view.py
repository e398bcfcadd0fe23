"""The pair of figures a user sees for one run: the projection scatter and the heatmap."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .heatmap import similarity_heatmap
from .scatter import projection_scatter

#: Above this many texts the full heatmap is not drawn: a million cells is already ~6 MB of
#: HTML and slow to draw.
MAX_HEATMAP_TEXTS = 1000


def scatter_title(method_name: str, n_texts: int, dims: int, model_name: str) -> str:
    return f"{method_name} {dims}-D map of {n_texts} texts · model: {model_name}"


def heatmap_title(n_texts: int) -> str:
    return (
        f"Cosine similarity of {n_texts} texts"
        "<br><sup>ordered so that similar texts sit together</sup>"
    )


def view_figures(
    *,
    coords: np.ndarray,
    axis_titles: Sequence[str],
    method_name: str,
    model_name: str,
    texts: Sequence[str],
    ids: Sequence[int],
    S: np.ndarray | None,
    order: np.ndarray | None,
    labels: Sequence[str] | None = None,
    label_name: str = "label",
) -> tuple[go.Figure, go.Figure | None]:
    """Scatter and heatmap with titles that say what they show.

    The heatmap is None when ``S`` is None (more than :data:`MAX_HEATMAP_TEXTS` texts).
    """
    n, dims = np.asarray(coords).shape
    scatter = projection_scatter(
        coords,
        texts,
        labels=labels,
        label_name=label_name,
        ids=ids,
        title=scatter_title(method_name, n, dims, model_name),
        axis_titles=axis_titles,
    )
    heatmap = None
    if S is not None:
        heatmap = similarity_heatmap(S, texts, order=order, ids=ids, title=heatmap_title(n))
    return scatter, heatmap
