"""The cosine-similarity heatmap: texts on both axes, similar texts next to each other."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ._style import BASE_LAYOUT, short_label, wrap_text

#: Up to this many texts, each cell shows its value.
ANNOTATE_CELLS_UP_TO = 20


def similarity_heatmap(
    S: np.ndarray,
    texts: Sequence[str],
    *,
    order: np.ndarray | None = None,
    ids: Sequence[int] | None = None,
    title: str = "Cosine similarity",
) -> go.Figure:
    """Heatmap of a similarity matrix.

    Args:
        S: ``(n_texts, n_texts)`` cosine similarities.
        texts: the texts; ticks show them shortened, hover shows both whole.
        order: a permutation to draw the texts in (see
            :func:`embedviz.similarity.similarity_order`); input order when None.
        ids: a number per text (the input row) shown in ticks and hover; 1..n by default.
        title: the figure title.
    """
    S = np.asarray(S, dtype=np.float32)
    n = S.shape[0]
    if S.shape != (n, n) or len(texts) != n:
        raise ValueError(
            f"S must be square with one row per text; got {S.shape} and {len(texts)} texts."
        )
    order = np.arange(n) if order is None else np.asarray(order)
    ids = list(ids) if ids is not None else list(range(1, n + 1))
    Z = S[np.ix_(order, order)]
    # Categories must be unique (texts may repeat), so each starts with its row number; they
    # hold the whole wrapped text for the hover while the ticks show a short form.
    cats = [f"<b>row {ids[i]}</b>: {wrap_text(texts[i], 36)}" for i in order]
    ticks = [f"{ids[i]}. {short_label(texts[i], 18)}" for i in order]
    off = Z[~np.eye(n, dtype=bool)] if n > 1 else Z.ravel()
    zmin = float(min(off.min(), 0.0)) if off.size else 0.0
    fig = go.Figure(
        go.Heatmap(
            z=Z,
            x=cats,
            y=cats,
            zmin=zmin,
            zmax=1.0,
            colorscale="YlGnBu",
            colorbar=dict(title=dict(text="cosine")),
            texttemplate="%{z:.2f}" if n <= ANNOTATE_CELLS_UP_TO else None,
            hovertemplate="%{y}<br>↔<br>%{x}<br><b>cosine %{z:.3f}</b><extra></extra>",
            xgap=1 if n <= 60 else 0,
            ygap=1 if n <= 60 else 0,
        )
    )
    fig.update_layout(**BASE_LAYOUT, title=dict(text=title), height=560)
    tick_font = dict(size=12 if n <= 30 else 9)
    show = n <= 80
    fig.update_xaxes(
        tickvals=cats,
        ticktext=ticks,
        tickangle=-45,
        showticklabels=show,
        tickfont=tick_font,
        title_text="" if show else f"{n} texts",
    )
    fig.update_yaxes(
        tickvals=cats,
        ticktext=ticks,
        autorange="reversed",
        scaleanchor="x",
        constrain="domain",
        showticklabels=show,
        tickfont=tick_font,
    )
    return fig
