"""Two models side by side: both maps of the same texts (B's aligned onto A's), coloured by
how much the two agree on each text's neighbours, and the tables of what moved."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import BASE_LAYOUT, PALETTE, escape, short_label, wrap_text
from .labels import place_point_labels
from .scatter import LABEL_POINTS_UP_TO, POINT_LABEL_COLUMNS, WEBGL_ABOVE, label_groups

if TYPE_CHECKING:
    from ..comparison import Comparison

#: Pairs each way in the figure's table (the CSV has them all).
TABLE_PAIRS = 10
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


def _hover(c: Comparison, side: str) -> list[str]:
    run = c.a if side == "A" else c.b
    names = run.cluster_names
    out = []
    for i, text in enumerate(c.texts):
        parts = [f"<b>row {c.a.rows[i]}</b> · {side}: {escape(run.model_name)}", wrap_text(text)]
        if c.a.labels is not None:
            parts.append(f"{escape(c.a.label_name)}: {escape(c.a.labels[i])}")
        if c.k:
            parts.append(f"shares {round(float(c.agreement[i]) * c.k)} of its {c.k} nearest")
        cluster = int(run.clusters[i])
        if run.clustered and cluster >= 0:
            parts.append(f"cluster under {side}: {cluster} · {escape(names.get(cluster, ''))}")
        out.append("<br>".join(parts))
    return out


def models_figure(
    c: Comparison, colour_by: str = "agreement", highlight: Sequence[int] | None = None
) -> go.Figure:
    """A's map and B's (aligned onto A's) side by side.

    Args:
        c: the comparison.
        colour_by: ``"agreement"`` (the share of each text's nearest both models name, on
            one colour scale for both maps) or the label column's name.
        highlight: positions of texts to pick out on both maps (the rest fade).
    """
    dims = c.a.dims
    name_a, name_b = (escape(n) for n in c.names)
    titles = (f"A: {name_a}", f"B: {name_b} (turned to line up with A)")
    if dims == 3:
        fig = make_subplots(
            rows=1, cols=2, specs=[[{"type": "scene"}, {"type": "scene"}]], subplot_titles=titles
        )
    else:
        fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.08)
    n = c.n_texts
    by_label = c.a.labels is not None and colour_by == c.a.label_name
    show_text = n <= LABEL_POINTS_UP_TO and dims == 2
    short = [short_label(t, POINT_LABEL_COLUMNS) for t in c.texts] if show_text else []
    for col, (side, coords) in enumerate((("A", c.a.coords), ("B", c.aligned)), start=1):
        hover = _hover(c, side)
        placed = [None] * n
        ranges = [_range(coords[:, d]) for d in range(dims)]
        if dims == 2:
            # The ranges the labels were placed for, so that none is cut at the edge.
            fig.update_xaxes(range=ranges[0], row=1, col=col)
            fig.update_yaxes(range=ranges[1], row=1, col=col)
        if show_text:
            placed = place_point_labels(coords, [html.unescape(t) for t in short], ranges)
        groups = label_groups(c.a.labels) if by_label else [(None, None, np.arange(n))]
        for g, (label, colour, idx) in enumerate(groups):
            if by_label:
                marker = dict(color=colour or PALETTE[g % len(PALETTE)])
            else:
                marker = dict(color=c.agreement[idx], coloraxis="coloraxis")
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
            if dims == 3:
                trace = go.Scatter3d(x=coords[idx, 0], y=coords[idx, 1], z=coords[idx, 2], **common)
            else:
                cls = go.Scattergl if n > WEBGL_ABOVE else go.Scatter
                trace = cls(x=coords[idx, 0], y=coords[idx, 1], **common)
            if highlight is not None:
                picked = set(int(i) for i in highlight)
                trace.selectedpoints = [k for k, i in enumerate(idx) if int(i) in picked]
                trace.selected = dict(marker=dict(opacity=1.0))
                trace.unselected = dict(marker=dict(opacity=0.12))
            fig.add_trace(trace, row=1, col=col)
    what = (
        f"coloured by {escape(c.a.label_name)}"
        if by_label
        else f"colour: how many of each text's {c.k} nearest texts both models name"
    )
    fig.update_layout(
        **{**BASE_LAYOUT, "margin": dict(l=40, r=20, t=110, b=40)},
        title=dict(
            text=f"The same {n:,} texts under two models · {c.a.method_label} {dims}-D"
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
        legend=dict(title=dict(text=escape(c.a.label_name or ""))),
    )
    if dims == 2:
        titles = c.a.axis_titles
        for col in (1, 2):
            fig.update_xaxes(title_text=escape(titles[0]), row=1, col=col, zeroline=False)
            fig.update_yaxes(title_text=escape(titles[1]), row=1, col=col, zeroline=False)
    return fig


def _range(values: np.ndarray, pad: float = 0.15) -> list[float]:
    lo, hi = float(values.min()), float(values.max())
    margin = (hi - lo) * pad or 1.0
    return [lo - margin, hi + margin]


def models_tables(c: Comparison, n: int = TABLE_PAIRS) -> list[go.Figure]:
    """The pairs that moved most each way, and (with labels or twins) the label separation
    and the twins' ranks: one plotly table each, for the offline page."""
    blocks = []
    for way, what in (("closer", "more alike under B"), ("apart", "less alike under B")):
        frame = c.moved(n, way)
        blocks.append(
            (
                f"Pairs {what} (percentile of their similarity among all pairs, A → B)",
                ["text", "text", "A", "B", "change"],
                [
                    list(frame["text_a"]),
                    list(frame["text_b"]),
                    [f"{v:.1f}" for v in frame["percentile_A"]],
                    [f"{v:.1f}" for v in frame["percentile_B"]],
                    [f"{v:+.1f}" for v in frame["change"]],
                ],
                [4, 4, 1, 1, 1],
            )
        )
    sep = c.separation_frame()
    if sep is not None:
        blocks.append(
            (
                f"How well each model separates the values of {c.a.label_name}",
                ["measure", "A", "B", "better"],
                [list(sep[col].astype(str)) for col in sep.columns],
                [5, 1, 1, 1],
            )
        )
    twins = c.twins_frame()
    if twins is not None:
        blocks.append(
            (
                "Where each twin ranks among its text's neighbours (1 = nearest)",
                ["text", "twin", "rank A", "rank B"],
                [list(twins[col].astype(str)) for col in twins.columns],
                [4, 4, 1, 1],
            )
        )
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
