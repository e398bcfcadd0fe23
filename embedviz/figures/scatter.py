"""The projection scatter: one point per text, the whole sentence in its hover."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ._style import BASE_LAYOUT, PALETTE, short_label, wrap_text

#: Up to this many texts, each point also carries a short label on the plot.
LABEL_POINTS_UP_TO = 30
#: Above this many points, 2-D scatters draw with WebGL.
WEBGL_ABOVE = 3000


def projection_scatter(
    coords: np.ndarray,
    texts: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    label_name: str = "label",
    ids: Sequence[int] | None = None,
    title: str = "",
    axis_titles: Sequence[str] | None = None,
) -> go.Figure:
    """Scatter of projected texts, coloured by label when labels are given.

    Args:
        coords: ``(n_texts, 2)`` or ``(n_texts, 3)`` coordinates.
        texts: the texts, hover shows each one whole (wrapped).
        labels: one label per text; one coloured trace per label.
        label_name: what the labels are (the legend's title).
        ids: a number per text shown in the hover (the input row); 1..n by default.
        title: the figure title.
        axis_titles: one title per axis.

    Returns:
        The figure; its traces carry ``customdata[:, 0]`` = id, ``customdata[:, 1]`` = the
        wrapped text.
    """
    coords = np.asarray(coords, dtype=np.float32)
    n, dims = coords.shape
    if len(texts) != n:
        raise ValueError(f"{n} coordinates but {len(texts)} texts.")
    if dims not in (2, 3):
        raise ValueError(f"coords must have 2 or 3 columns, got {dims}.")
    ids = list(ids) if ids is not None else list(range(1, n + 1))
    axis_titles = list(axis_titles or [f"dimension {i + 1}" for i in range(dims)])
    groups = (
        [(None, np.arange(n))]
        if labels is None
        else [
            (lab, np.flatnonzero(np.asarray(labels, dtype=object) == lab))
            for lab, _ in Counter(labels).most_common()
        ]
    )
    show_text = n <= LABEL_POINTS_UP_TO
    trace_cls = go.Scatter3d if dims == 3 else (go.Scattergl if n > WEBGL_ABOVE else go.Scatter)

    fig = go.Figure()
    for k, (label, idx) in enumerate(groups):
        custom = np.array(
            [[ids[i], wrap_text(texts[i]), "" if label is None else label] for i in idx],
            dtype=object,
        ).reshape(len(idx), 3)
        head = "<b>row %{customdata[0]}</b>"
        if label is not None:
            head += f" · {label_name}: %{{customdata[2]}}"
        common = dict(
            mode="markers+text" if show_text else "markers",
            text=[short_label(texts[i], 20) for i in idx] if show_text else None,
            customdata=custom,
            hovertemplate=head + "<br>%{customdata[1]}<extra></extra>",
            name=str(label) if label is not None else "texts",
            showlegend=label is not None,
            marker=dict(
                size=5 if dims == 3 else 9,
                color=PALETTE[k % len(PALETTE)],
                opacity=0.85,
                line=dict(width=0) if dims == 3 else dict(width=0.5, color="white"),
            ),
        )
        xyz = dict(x=coords[idx, 0], y=coords[idx, 1])
        if dims == 3:
            xyz["z"] = coords[idx, 2]
        else:
            common["textposition"] = "top center"
        fig.add_trace(trace_cls(**xyz, **common))

    fig.update_layout(
        **BASE_LAYOUT, title=dict(text=title), height=560, legend=dict(title=dict(text=label_name))
    )
    if dims == 3:
        fig.update_layout(
            scene=dict(
                xaxis_title=axis_titles[0], yaxis_title=axis_titles[1], zaxis_title=axis_titles[2]
            )
        )
    else:
        fig.update_xaxes(title_text=axis_titles[0], zeroline=False)
        fig.update_yaxes(title_text=axis_titles[1], zeroline=False)
    return fig
