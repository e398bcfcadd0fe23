"""The cosine-similarity heatmap: texts on both axes, similar texts next to each other."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from ._style import BASE_LAYOUT, short_label, wrap_text

#: Up to this many texts, each cell shows its value.
ANNOTATE_CELLS_UP_TO = 20
#: Up to this many texts, the axes name each text (cut with an ellipsis); above it, each
#: cluster's block is named once.
SHOW_TICKS_UP_TO = 40


def similarity_heatmap(
    S: np.ndarray,
    texts: Sequence[str],
    *,
    order: np.ndarray | None = None,
    ids: Sequence[int] | None = None,
    title: str = "Cosine similarity",
    boundaries: Sequence[int] = (),
    block_names: Sequence[str] = (),
) -> go.Figure:
    """Heatmap of a similarity matrix.

    Args:
        S: ``(n_texts, n_texts)`` cosine similarities.
        texts: the texts; ticks show them shortened, hover shows both whole.
        order: a permutation to draw the texts in (see
            :func:`embedviz.similarity.similarity_order`); input order when None.
        ids: a number per text (the input row) shown in ticks and hover; 1..n by default.
        title: the figure title.
        boundaries: positions (in the drawn order) where a new cluster begins; a line is
            drawn there across the whole matrix.
        block_names: a name per cluster block (one more than the boundaries), written once
            beside its block when there are too many texts to name each.
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
    line = dict(color="#d62728", width=2)
    for b in boundaries:
        # Category axes place text k at k; a boundary sits between k - 1 and k.
        fig.add_shape(type="line", x0=b - 0.5, x1=b - 0.5, y0=-0.5, y1=n - 0.5, line=line)
        fig.add_shape(type="line", y0=b - 0.5, y1=b - 0.5, x0=-0.5, x1=n - 0.5, line=line)
    tick_font = dict(size=12 if n <= 30 else 9)
    show = n <= SHOW_TICKS_UP_TO
    if show:
        tickvals, ticktext = cats, ticks
    elif block_names and len(block_names) == len(boundaries) + 1:
        # One tick per cluster block, at its middle.
        starts = [0, *boundaries]
        ends = [*boundaries, n]
        tickvals = [cats[(a + b - 1) // 2] for a, b in zip(starts, ends, strict=True)]
        ticktext = [
            f"{short_label(name, 22)} ({b - a})"
            for name, a, b in zip(block_names, starts, ends, strict=True)
        ]
        show, tick_font = True, dict(size=11)
    else:
        tickvals, ticktext = cats, ticks
    fig.update_xaxes(
        tickvals=tickvals,
        ticktext=ticktext,
        tickangle=-45,
        showticklabels=show,
        tickfont=tick_font,
        title_text=f"{n} texts" if n > SHOW_TICKS_UP_TO else "",
    )
    fig.update_yaxes(
        tickvals=tickvals,
        ticktext=ticktext,
        autorange="reversed",
        scaleanchor="x",
        constrain="domain",
        showticklabels=show,
        tickfont=tick_font,
    )
    return fig


def cluster_heatmap(
    M: np.ndarray,
    names: Sequence[str],
    sizes: Sequence[int],
    *,
    title: str = "Mean cosine similarity between clusters",
) -> go.Figure:
    """Cluster x cluster heatmap of mean similarities (see
    :func:`embedviz.cluster.cluster_similarity`): readable at any number of texts.

    Args:
        M: ``(k, k)`` mean cosine between the texts of two clusters (the diagonal: within).
        names: a name per cluster (its keyword label).
        sizes: texts per cluster.
    """
    M = np.asarray(M, dtype=np.float32)
    k = M.shape[0]
    if M.shape != (k, k) or len(names) != k or len(sizes) != k:
        raise ValueError(f"M must be k x k with one name and size per cluster; got {M.shape}.")
    cats = [f"{short_label(name, 28)} ({size:,})" for name, size in zip(names, sizes, strict=True)]
    fig = go.Figure(
        go.Heatmap(
            z=M,
            x=cats,
            y=cats,
            zmax=1.0,
            colorscale="YlGnBu",
            colorbar=dict(title=dict(text="mean cosine")),
            texttemplate="%{z:.2f}" if k <= 30 else None,
            hovertemplate="%{y}<br>↔<br>%{x}<br><b>mean cosine %{z:.3f}</b><extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    fig.update_layout(**BASE_LAYOUT, title=dict(text=title), height=560)
    fig.update_xaxes(tickangle=-45, title_text="cluster (texts)")
    fig.update_yaxes(autorange="reversed", scaleanchor="x", constrain="domain")
    return fig
