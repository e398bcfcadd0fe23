"""Two models side by side: both maps of the same texts (B's aligned onto A's), coloured by
how much the two agree on each text's neighbours, and the tables of what moved."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import BASE_LAYOUT, PALETTE, escape, short_label, wrap_text
from .labels import place_point_labels
from .scatter import LABEL_POINTS_UP_TO, POINT_LABEL_COLUMNS, WEBGL_ABOVE, label_groups

#: Red where the models disagree on a text's neighbours, blue where they agree.
AGREEMENT_SCALE = "RdYlBu"

#: Hovering (or selecting) a text on one map shows the same text on the other. Plotly draws
#: a hover on several subplots only when asked, so the handler asks for both; points are
#: matched by their index in customdata[0], the same on both maps. {plot_id}: the div.
LINK_SCRIPT = """
var gd = document.getElementById('{plot_id}');
function twins(curve, index) {
  var here = gd.data[curve], out = [], id = here.customdata[index][0];
  gd.data.forEach(function (trace, c) {
    if (!trace.customdata) return;
    for (var p = 0; p < trace.customdata.length; p++) {
      if (trace.customdata[p][0] === id) out.push({curveNumber: c, pointNumber: p});
    }
  });
  return out;
}
gd.on('plotly_hover', function (ev) {
  // The hover this handler asks for comes back here with both points: leave it be.
  if (!ev.points.length || ev.points.length > 1) return;
  var pt = ev.points[0];
  // Plotly throttles hovers; asking from inside this one would be dropped.
  setTimeout(function () {
    Plotly.Fx.hover(gd, twins(pt.curveNumber, pt.pointNumber), ['xy', 'x2y2']);
  }, 0);
});
gd.on('plotly_selected', function (ev) {
  if (!ev || !ev.points) return;
  var ids = {};
  ev.points.forEach(function (p) { ids[gd.data[p.curveNumber].customdata[p.pointNumber][0]] = 1; });
  var picked = gd.data.map(function (trace) {
    if (!trace.customdata) return null;
    var keep = [];
    trace.customdata.forEach(function (row, p) { if (ids[row[0]]) keep.push(p); });
    return keep;
  });
  Plotly.restyle(gd, {selectedpoints: picked});
});
"""


def _hover(
    side: str,
    texts: Sequence[str],
    rows: Sequence[int],
    model_name: str,
    clusters: np.ndarray,
    names: Mapping[int, str],
    clustered: bool,
    agreement: np.ndarray,
    k: int,
    labels: Sequence[str] | None,
    label_name: str | None,
) -> list[str]:
    out = []
    for i, text in enumerate(texts):
        parts = [f"<b>row {rows[i]}</b> · {side}: {escape(model_name)}", wrap_text(text)]
        if labels is not None:
            parts.append(f"{escape(label_name)}: {escape(labels[i])}")
        if k:
            parts.append(f"shares {round(float(agreement[i]) * k)} of its {k} nearest")
        cluster = int(clusters[i])
        if clustered and cluster >= 0:
            parts.append(f"cluster under {side}: {cluster} · {escape(names.get(cluster, ''))}")
        out.append("<br>".join(parts))
    return out


def models_figure(
    *,
    texts: Sequence[str],
    rows: Sequence[int],
    names: tuple[str, str],
    coords: tuple[np.ndarray, np.ndarray],
    clusters: tuple[np.ndarray, np.ndarray],
    cluster_names: tuple[Mapping[int, str], Mapping[int, str]],
    clustered: tuple[bool, bool],
    agreement: np.ndarray,
    k: int,
    labels: Sequence[str] | None,
    label_name: str | None,
    method_label: str,
    axis_titles: Sequence[str],
    colour_by: str = "agreement",
    highlight: Sequence[int] | None = None,
) -> go.Figure:
    """A's map and B's (aligned onto A's) side by side.

    Args:
        texts, rows: the texts and their input rows, the same on both maps.
        names: the two models' names.
        coords: A's coordinates and B's, aligned onto A's: ``(n_texts, dims)`` each.
        clusters, cluster_names, clustered: each model's clusters, for the hover.
        agreement, k: the share of each text's ``k`` nearest both models name.
        labels, label_name: the user's label column, or None.
        method_label, axis_titles: the projection, for the titles.
        colour_by: ``"agreement"`` (the share of each text's nearest both models name, on
            one colour scale for both maps) or the label column's name.
        highlight: positions of texts to pick out on both maps (the rest fade).
    """
    dims = coords[0].shape[1]
    name_a, name_b = (escape(n) for n in names)
    titles = (f"A: {name_a}", f"B: {name_b} (turned to line up with A)")
    if dims == 3:
        fig = make_subplots(
            rows=1, cols=2, specs=[[{"type": "scene"}, {"type": "scene"}]], subplot_titles=titles
        )
    else:
        fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.08)
    n = len(texts)
    by_label = labels is not None and colour_by == label_name
    show_text = n <= LABEL_POINTS_UP_TO and dims == 2
    short = [short_label(t, POINT_LABEL_COLUMNS) for t in texts] if show_text else []
    for col, side in enumerate(("A", "B"), start=1):
        s = col - 1
        side_coords = coords[s]
        hover = _hover(
            side, texts, rows, names[s], clusters[s], cluster_names[s], clustered[s],
            agreement, k, labels, label_name,
        )  # fmt: skip
        placed = [None] * n
        ranges = [_range(side_coords[:, d]) for d in range(dims)]
        if dims == 2:
            # The ranges the labels were placed for, so that none is cut at the edge.
            fig.update_xaxes(range=ranges[0], row=1, col=col)
            fig.update_yaxes(range=ranges[1], row=1, col=col)
        if show_text:
            placed = place_point_labels(side_coords, [html.unescape(t) for t in short], ranges)
        groups = label_groups(labels) if by_label else [(None, None, np.arange(n))]
        for g, (label, colour, idx) in enumerate(groups):
            if by_label:
                marker = dict(color=colour or PALETTE[g % len(PALETTE)])
            else:
                marker = dict(color=agreement[idx], coloraxis="coloraxis")
            marker.update(size=5 if dims == 3 else 9, line=dict(width=0.5, color="white"))
            common = dict(
                mode="markers+text" if show_text else "markers",
                text=[short[i] if placed[i] else "" for i in idx] if show_text else None,
                textposition=[placed[i] or "top center" for i in idx] if show_text else None,
                hovertext=[hover[i] for i in idx],
                hovertemplate="%{hovertext}<extra></extra>",
                # A list, not an array: plotly.py sends arrays as binary, which the link
                # script in the page could not read back from gd.data.
                customdata=[[int(i)] for i in idx],
                name=escape(label) if label is not None else side,
                legendgroup=escape(label) if label is not None else side,
                showlegend=by_label and side == "A",
                marker=marker,
            )
            x, y = side_coords[idx, 0], side_coords[idx, 1]
            if dims == 3:
                trace = go.Scatter3d(x=x, y=y, z=side_coords[idx, 2], **common)
            else:
                cls = go.Scattergl if n > WEBGL_ABOVE else go.Scatter
                trace = cls(x=x, y=y, **common)
            if highlight is not None:
                picked = set(int(i) for i in highlight)
                trace.selectedpoints = [k_ for k_, i in enumerate(idx) if int(i) in picked]
                trace.selected = dict(marker=dict(opacity=1.0))
                trace.unselected = dict(marker=dict(opacity=0.12))
            fig.add_trace(trace, row=1, col=col)
    what = (
        f"coloured by {escape(label_name)}"
        if by_label
        else f"colour: how many of each text's {k} nearest texts both models name"
    )
    fig.update_layout(
        **{**BASE_LAYOUT, "margin": dict(l=40, r=20, t=110, b=40)},
        title=dict(
            text=f"The same {n:,} texts under two models · {method_label} {dims}-D"
            f"<br><sup>{what}; hover a text to find it on both maps</sup>"
        ),
        height=600,
        coloraxis=dict(
            colorscale=AGREEMENT_SCALE,
            cmin=0,
            cmax=1,
            colorbar=dict(title=dict(text="shared<br>nearest"), tickformat=".0%"),
        ),
        dragmode="lasso" if dims == 2 else None,
        legend=dict(title=dict(text=escape(label_name or ""))),
    )
    if dims == 2:
        for col in (1, 2):
            fig.update_xaxes(title_text=escape(axis_titles[0]), row=1, col=col, zeroline=False)
            fig.update_yaxes(title_text=escape(axis_titles[1]), row=1, col=col, zeroline=False)
    return fig


def _range(values: np.ndarray, pad: float = 0.15) -> list[float]:
    lo, hi = float(values.min()), float(values.max())
    margin = (hi - lo) * pad or 1.0
    return [lo - margin, hi + margin]


def table_figures(
    blocks: Sequence[tuple[str, Sequence[str], Sequence[Sequence], Sequence[int]]],
) -> list[go.Figure]:
    """One plotly table per block ``(title, header, columns of cells, column widths)``, for
    the offline page (the moved pairs each way, the label separation, the twins)."""
    figures = []
    for title, header, cells, widths in blocks:
        rows = max((len(col) for col in cells), default=0)
        fig = go.Figure(
            go.Table(
                header=dict(values=[escape(h) for h in header], align="left"),
                cells=dict(
                    values=[[escape(v) for v in col] for col in cells] or [["none"]],
                    align="left",
                ),
                columnwidth=widths,
            )
        )
        fig.update_layout(
            **{**BASE_LAYOUT, "margin": dict(l=20, r=20, t=50, b=10)},
            title=dict(text=escape(title)),
            height=95 + 22 * max(rows, 1),
        )
        figures.append(fig)
    return figures


def sts_figure(
    scores: np.ndarray,
    models: Sequence[tuple[str, np.ndarray, float]],
    pairs: tuple[Sequence[str], Sequence[str]] | None = None,
) -> go.Figure:
    """Each model's cosine of every pair against the human score, one panel a model.

    Args:
        scores: the human score of each pair ``(n_pairs,)``.
        models: ``(name, cosines (n_pairs,), spearman)`` per model.
        pairs: the two texts of each pair, for the hover (left out above 5,000 pairs).
    """
    n = len(scores)
    titles = [f"{escape(name)}<br><sup>Spearman {rho:.3f}</sup>" for name, _, rho in models]
    fig = make_subplots(rows=1, cols=max(1, len(models)), subplot_titles=titles)
    hover = None
    if pairs is not None and n <= 5000:
        hover = [f"{wrap_text(a)}<br>—<br>{wrap_text(b)}" for a, b in zip(*pairs, strict=True)]
    for col, (name, cosines, _) in enumerate(models, start=1):
        cls = go.Scattergl if n > WEBGL_ABOVE else go.Scatter
        fig.add_trace(
            cls(
                x=np.asarray(scores, dtype=np.float64),
                y=np.asarray(cosines, dtype=np.float64),
                mode="markers",
                marker=dict(size=5, opacity=0.5, color=PALETTE[(col - 1) % len(PALETTE)]),
                name=escape(name),
                hovertext=hover,
                hovertemplate="score %{x:g}, cosine %{y:.3f}"
                + ("<br>%{hovertext}" if hover else "")
                + "<extra></extra>",
            ),
            row=1,
            col=col,
        )
        fig.update_xaxes(title_text="human score", row=1, col=col)
        fig.update_yaxes(title_text="cosine" if col == 1 else None, row=1, col=col)
    fig.update_layout(
        **{**BASE_LAYOUT, "margin": dict(l=50, r=20, t=90, b=50)},
        title=dict(text=f"Cosine against the human score, {n:,} pairs"),
        height=420,
        showlegend=False,
    )
    return fig
