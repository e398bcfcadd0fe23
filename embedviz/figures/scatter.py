"""The projection scatter: one point per text, the whole sentence in its hover."""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ..settings import lean_map_above
from ._style import BASE_LAYOUT, PALETTE, escape, short_label, wrap_text
from .labels import place_group_labels, place_point_labels

#: Up to this many texts, each point carries its text on the map by default (a switch in the
#: app turns them on for more; those that would overlap are left to the hover).
LABEL_POINTS_UP_TO = 12
#: Above this many texts, point labels are not offered at all.
POINT_LABELS_AT_MOST = 500
#: Columns of a point label and of a cluster label on the map.
POINT_LABEL_COLUMNS = 20
GROUP_LABEL_COLUMNS = 22
#: Above this many points, 2-D scatters draw with WebGL.
WEBGL_ABOVE = 3000
#: Above this many points the map is lean: coordinates and each point's [row, position] go
#: as binary arrays and no text is shipped per point (hover text was ~80 of a point's ~95
#: bytes). The standalone page looks the text under the cursor up in one packed copy of all
#: texts (:func:`lean_hover_script`); the app fetches it (embedviz.ui.lean_map). The
#: operator may set it (EMBEDVIZ_LEAN_MAP_ABOVE).
LEAN_MAP_ABOVE = lean_map_above(50_000)
#: At most this many colours; rarer labels share one grey group (hover still names each).
MAX_COLOURED_LABELS = 20
OTHER_COLOUR = "#b0b0b0"


def label_groups(labels: Sequence[str]) -> list[tuple[str, str | None, np.ndarray]]:
    """(legend name, colour or None, indices) per label, most frequent first.

    Beyond :data:`MAX_COLOURED_LABELS` labels the rarer ones share one grey group named for
    how many labels it holds.
    """
    values = np.asarray(labels, dtype=object)
    counts = Counter(labels).most_common()
    groups = [(lab, None, np.flatnonzero(values == lab)) for lab, _ in counts]
    if len(groups) <= MAX_COLOURED_LABELS:
        return groups
    keep = MAX_COLOURED_LABELS - 1
    rest = np.sort(np.concatenate([idx for _, _, idx in groups[keep:]]))
    name = f"{len(groups) - keep} other labels"
    return [*groups[:keep], (name, OTHER_COLOUR, rest)]


def _padded_range(values: np.ndarray, pad: float = 0.15) -> list[float]:
    lo, hi = float(values.min()), float(values.max())
    margin = (hi - lo) * pad or 1.0
    return [lo - margin, hi + margin]


def projection_scatter(
    coords: np.ndarray,
    texts: Sequence[str],
    *,
    labels: Sequence[str] | None = None,
    label_name: str = "label",
    ids: Sequence[int] | None = None,
    title: str = "",
    axis_titles: Sequence[str] | None = None,
    colours: Mapping[str, str] | None = None,
    values: np.ndarray | None = None,
    value_name: str = "value",
    point_labels: bool | None = None,
    group_names: Mapping[str, str] | None = None,
) -> go.Figure:
    """Scatter of projected texts, coloured by label when labels are given, or on a colour
    scale by ``values``.

    Args:
        coords: ``(n_texts, 2)`` or ``(n_texts, 3)`` coordinates.
        texts: the texts, hover shows each one whole (wrapped).
        labels: one label per text; one coloured trace per label.
        label_name: what the labels are (the legend's title).
        ids: a number per text shown in the hover (the input row); 1..n by default.
        title: the figure title.
        axis_titles: one title per axis.
        colours: a fixed colour for some labels (noise in grey).
        values: a number per text in [0, 1] to colour by instead of labels (NaN: grey,
            "not scored"); one trace with a colour bar.
        value_name: what the values are (the colour bar's title and the hover).
        point_labels: write each point's text beside it (those that would overlap another
            are left out); by default up to :data:`LABEL_POINTS_UP_TO` texts.
        group_names: a short name per label to write once at the centre of its points
            (cluster names), when point labels are off; no two overlap.

    Returns:
        The figure; its traces carry ``customdata[:, 0]`` = id, ``customdata[:, 1]`` = the
        wrapped text, ``customdata[:, 2]`` = label, ``customdata[:, 3]`` = the text's position
        in ``texts`` (what a selection event reports back). A lean map (more than
        :data:`LEAN_MAP_ABOVE` points) carries only ``[id, position]``, as int32.
    """
    coords = np.asarray(coords, dtype=np.float32)
    n, dims = coords.shape
    if len(texts) != n:
        raise ValueError(f"{n} coordinates but {len(texts)} texts.")
    if dims not in (2, 3):
        raise ValueError(f"coords must have 2 or 3 columns, got {dims}.")
    ids = list(ids) if ids is not None else list(range(1, n + 1))
    axis_titles = list(axis_titles or [f"dimension {i + 1}" for i in range(dims)])
    if values is not None:
        values = np.asarray(values, dtype=np.float64)
        scored = ~np.isnan(values)
        groups = [(None, None, np.flatnonzero(scored))]
        if not scored.all():
            groups.append(
                (f"not scored ({int((~scored).sum()):,})", OTHER_COLOUR, np.flatnonzero(~scored))
            )
    elif labels is None:
        groups = [(None, None, np.arange(n))]
    else:
        groups = label_groups(labels)
    if point_labels is None:
        point_labels = n <= LABEL_POINTS_UP_TO
    show_text = bool(point_labels) and n <= POINT_LABELS_AT_MOST
    if dims == 3:
        show_text = show_text and n <= LABEL_POINTS_UP_TO  # no overlap check while it turns
    ranges = [_padded_range(coords[:, 0]), _padded_range(coords[:, 1])]
    short = [short_label(t, POINT_LABEL_COLUMNS) for t in texts] if show_text else []
    if show_text and dims == 2:
        placed = place_point_labels(coords[:, :2], [html.unescape(t) for t in short], ranges)
    else:
        placed = ["top center"] * n if show_text else [None] * n
    trace_cls = go.Scatter3d if dims == 3 else (go.Scattergl if n > WEBGL_ABOVE else go.Scatter)
    lean = n > LEAN_MAP_ABOVE
    id_array = np.asarray(ids, dtype=np.int64) if lean else None

    fig = go.Figure()
    for k, (label, colour, idx) in enumerate(groups):
        head = "<b>row %{customdata[0]}</b>"
        if lean:
            custom = np.column_stack([id_array[idx], idx]).astype(np.int32)
            if label is not None and values is None:
                head += f" · {escape(label_name)}: {escape(label)}"
        else:
            custom = np.array(
                [
                    [ids[i], wrap_text(texts[i]), "" if labels is None else escape(labels[i]), i]
                    for i in idx
                ],
                dtype=object,
            ).reshape(len(idx), 4)
            if label is not None and values is None:
                head += f" · {escape(label_name)}: %{{customdata[2]}}"
        continuous = values is not None and colour is None
        if continuous:
            head += f" · {escape(value_name)}: %{{marker.color:.2f}}"
        common = dict(
            mode="markers+text" if show_text else "markers",
            text=[short[i] if placed[i] else "" for i in idx] if show_text else None,
            customdata=custom,
            hovertemplate=head + ("" if lean else "<br>%{customdata[1]}") + "<extra></extra>",
            # Labels come from the user's file or an LLM: plotly renders a little HTML
            # (links among it) in names, so they go in escaped.
            name=escape(label) if label is not None else "texts",
            showlegend=label is not None,
            marker=dict(
                size=3 if lean else 5 if dims == 3 else 9,
                color=(colours or {}).get(label) or colour or PALETTE[k % len(PALETTE)],
                opacity=0.85,
                line=dict(width=0) if dims == 3 or lean else dict(width=0.5, color="white"),
            ),
        )
        if continuous:
            common["marker"].update(
                color=values[idx],
                colorscale="RdYlGn",
                cmin=0.0,
                cmax=1.0,
                colorbar=dict(title=dict(text=escape(value_name)), len=0.7),
            )
        xyz = dict(x=coords[idx, 0], y=coords[idx, 1])
        if dims == 3:
            xyz["z"] = coords[idx, 2]
        else:
            common["textposition"] = [placed[i] or "top center" for i in idx]
            common["textfont"] = dict(size=11)
            if trace_cls is go.Scatter:
                common["cliponaxis"] = False  # labels of edge points may reach the margin
        fig.add_trace(trace_cls(**xyz, **common))

    if group_names and not show_text:
        add_group_labels(fig, coords, groups, group_names, ranges)
    fig.update_layout(
        **BASE_LAYOUT,
        title=dict(text=title),
        height=560 + 22 * ((len(groups) + 1) // 2 if len(groups) > 1 else 0),
        # Below the plot, so that the map keeps the column's whole width.
        legend=dict(
            title=dict(text=escape(label_name)), orientation="h", yanchor="top", y=-0.12, x=0
        ),
    )
    if dims == 3:
        # The camera stands back far enough for the axis titles to stay inside the view.
        fig.update_layout(
            scene=dict(
                xaxis_title=axis_titles[0],
                yaxis_title=axis_titles[1],
                zaxis_title=axis_titles[2],
                camera=dict(eye=dict(x=1.7, y=1.7, z=1.1)),
            ),
            margin=dict(l=0, r=0, t=60, b=0),
        )
    else:
        # Padding keeps the labels of the outermost points inside the plot.
        fig.update_xaxes(title_text=axis_titles[0], zeroline=False, range=ranges[0])
        fig.update_yaxes(title_text=axis_titles[1], zeroline=False, range=ranges[1])
    return fig


def add_group_labels(fig, coords, groups, group_names: Mapping[str, str], ranges) -> None:
    """One label per named group at the median of its points, larger for larger groups,
    largest first; in 2-D none covers another (see :mod:`embedviz.figures.labels`)."""
    named = [(label, idx) for label, _, idx in groups if label in group_names and len(idx)]
    named.sort(key=lambda g: -len(g[1]))
    if not named:
        return
    biggest = len(named[0][1])
    names = [
        html.unescape(short_label(group_names[label], GROUP_LABEL_COLUMNS)) for label, _ in named
    ]
    fonts = [12 + 5 * np.sqrt(len(idx) / biggest) for _, idx in named]
    centres = np.array([np.median(coords[idx], axis=0) for _, idx in named])
    style = dict(showarrow=False, bgcolor="rgba(255,255,255,0.75)", borderpad=1)
    if coords.shape[1] == 3:
        fig.update_layout(
            scene_annotations=[
                dict(x=c[0], y=c[1], z=c[2], text=escape(name), font=dict(size=f), **style)
                for c, name, f in zip(centres, names, fonts, strict=True)
            ]
        )
        return
    spots = place_group_labels(centres[:, :2], names, fonts, ranges)
    for spot, name, font in zip(spots, names, fonts, strict=True):
        if spot is not None:
            fig.add_annotation(
                x=spot[0],
                y=spot[1],
                text=escape(name),
                font=dict(size=font, color="#222"),
                name="cluster label",
                **style,
            )


#: Run once a lean map is drawn: the text of the point under the cursor, from one gzip-packed
#: JSON copy of all texts unpacked on the first hover, shown as text (never markup) in a box
#: by the cursor. {plot_id} is the map's div; PACKED is replaced by the base64 blob.
LEAN_HOVER_SCRIPT = """
(function () {
  var gd = document.getElementById('{plot_id}'), packed = 'PACKED', texts = null, loading = null;
  function load() {
    if (!loading) {
      var bytes = Uint8Array.from(atob(packed), function (c) { return c.charCodeAt(0); });
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
      loading = new Response(stream).text().then(function (t) { texts = JSON.parse(t); });
    }
    return loading;
  }
  var box = document.createElement('div');
  box.className = 'embedviz-hover-text';
  box.style.cssText = 'position:fixed;display:none;pointer-events:none;z-index:10;' +
    'max-width:420px;padding:6px 8px;background:#fff;border:1px solid #888;' +
    'border-radius:4px;font-size:13px;white-space:pre-wrap;box-shadow:0 1px 4px #0003';
  document.body.appendChild(box);
  gd.on('plotly_hover', function (ev) {
    var point = ev.points[0], custom = point.customdata;
    if (!custom || custom.length !== 2) return;
    var x = ev.event ? ev.event.clientX : 0, y = ev.event ? ev.event.clientY : 0;
    load().then(function () {
      box.textContent = texts[custom[1]];
      box.style.left = (x + 18) + 'px';
      box.style.top = (y + 18) + 'px';
      box.style.display = 'block';
    });
  });
  gd.on('plotly_unhover', function () { box.style.display = 'none'; });
})();
"""


def lean_hover_script(texts: Sequence[str]) -> str:
    """The post_script of a lean map's standalone page (see :data:`LEAN_HOVER_SCRIPT`)."""
    import base64
    import gzip
    import json

    blob = gzip.compress(json.dumps(list(texts), ensure_ascii=False).encode("utf-8"), 6)
    return LEAN_HOVER_SCRIPT.replace("PACKED", base64.b64encode(blob).decode("ascii"))


def is_lean(fig: go.Figure) -> bool:
    """Whether the map ships no text per point (more than :data:`LEAN_MAP_ABOVE` points)."""
    return sum(len(t.x) for t in fig.data if t.x is not None) > LEAN_MAP_ABOVE


def ring_points(
    fig: go.Figure,
    coords: np.ndarray,
    texts: Sequence[str],
    ids: Sequence[int],
    positions: Sequence[int],
    name: str,
    *,
    dim_others: bool = True,
    colour: str = "black",
    symbol: str = "circle-open",
) -> go.Figure:
    """Ring some points (search hits; texts an LLM says do not fit) and, by default, dim
    every other: one more trace, drawn on top. ``positions``: where the points are in the
    map's texts (what a selection reports)."""
    coords = np.asarray(coords, dtype=np.float32)
    if dim_others:
        for trace in fig.data:
            trace.opacity = 0.3
    custom = np.array(
        [[i, wrap_text(t), "", p] for i, t, p in zip(ids, texts, positions, strict=True)],
        dtype=object,
    ).reshape(len(texts), 4)
    common = dict(
        mode="markers",
        name=name,
        customdata=custom,
        hovertemplate="<b>row %{customdata[0]}</b><br>%{customdata[1]}<extra></extra>",
        showlegend=True,
    )
    if coords.shape[1] == 3:
        fig.add_trace(
            go.Scatter3d(
                x=coords[:, 0],
                y=coords[:, 1],
                z=coords[:, 2],
                marker=dict(size=8, color="rgba(0,0,0,0)", line=dict(width=3, color=colour)),
                **common,
            )
        )
    else:
        fig.add_trace(
            go.Scatter(
                x=coords[:, 0],
                y=coords[:, 1],
                marker=dict(size=15, symbol=symbol, color=colour, line=dict(width=2.5)),
                **common,
            )
        )
    return fig


def add_query_point(fig: go.Figure, coords: np.ndarray, text: str) -> go.Figure:
    """Mark a search query in a scatter with a star (a diamond in 3-D)."""
    coords = np.asarray(coords, dtype=np.float32).reshape(-1)
    common = dict(
        mode="markers+text",
        name="query",
        text=[short_label(text, 24)],
        textposition="top center",
        hovertemplate="<b>query</b><br>" + wrap_text(text) + "<extra></extra>",
        showlegend=True,
    )
    if len(coords) == 3:
        fig.add_trace(
            go.Scatter3d(
                x=coords[:1],
                y=coords[1:2],
                z=coords[2:3],
                marker=dict(size=9, color="black", symbol="diamond"),
                **common,
            )
        )
    else:
        fig.add_trace(
            go.Scatter(
                x=coords[:1],
                y=coords[1:2],
                marker=dict(size=18, color="black", symbol="star"),
                cliponaxis=False,
                **common,
            )
        )
        # The axes' ranges were fixed around the texts; widen them when the query falls outside.
        for axis, value in ((fig.layout.xaxis, coords[0]), (fig.layout.yaxis, coords[1])):
            if axis.range is not None:
                lo, hi = axis.range
                margin = (hi - lo) * 0.05
                axis.range = [min(lo, value - margin), max(hi, value + margin)]
    return fig


#: Names that follow the zoom, on a drawn map with topic levels (the exported page; the app's
#: zoomable map): the names of the finest level whose zoom the view has reached, those
#: inside the view. The levels ride in ``layout.meta.embedviz_zoom_labels``
#: (see :func:`add_zoom_labels`).
ZOOM_LABELS_FUNCTION = """
window.embedvizZoomLabels = function (gd) {
  var shown = null, busy = false;
  function update() {
    var meta = gd.layout && gd.layout.meta && gd.layout.meta.embedviz_zoom_labels;
    if (!meta || busy || !gd.layout.xaxis || !gd.layout.xaxis.range) return;
    var xr = gd.layout.xaxis.range, yr = gd.layout.yaxis.range, full = meta.full;
    var zoom = Math.min((full[0][1] - full[0][0]) / (xr[1] - xr[0]),
                        (full[1][1] - full[1][0]) / (yr[1] - yr[0]));
    var level = 0;
    meta.layers.forEach(function (layer, k) { if (zoom >= layer.zoom * 0.999) level = k; });
    var visible = meta.layers[level].annotations.filter(function (a) {
      return a.x >= xr[0] && a.x <= xr[1] && a.y >= yr[0] && a.y <= yr[1];
    });
    var key = level + '|' + visible.map(function (a) { return a.text; }).join('|');
    if (key === shown) return;
    shown = key;
    var keep = (gd.layout.annotations || []).filter(function (a) {
      return a.name !== 'zoom label';
    });
    busy = true;
    Plotly.relayout(gd, {annotations: keep.concat(visible)}).then(function () { busy = false; });
  }
  gd.on('plotly_relayout', update);
  update();
  return update;
};
"""
#: The exported page's post_script: the function above, on the map's div.
ZOOM_LABELS_SCRIPT = (
    ZOOM_LABELS_FUNCTION + "\nwindow.embedvizZoomLabels(document.getElementById('{plot_id}'));\n"
)
#: How much closer the view must be before each finer level's names show (coarse first).
LEVEL_ZOOMS = {2: (1.0, 3.0), 3: (1.0, 2.5, 6.0)}


def add_zoom_labels(
    fig: go.Figure,
    coords: np.ndarray,
    levels: Sequence[np.ndarray],
    names: Sequence[Mapping[int, str]],
    ranges,
) -> None:
    """Names of every topic level on a 2-D map: the coarsest written now, each finer level
    kept in ``layout.meta`` with the zoom it shows from, placed so that no two overlap at
    that zoom or closer (:data:`ZOOM_LABELS_SCRIPT` switches them as the view zooms)."""
    zooms = LEVEL_ZOOMS.get(len(levels), tuple(2.0**k for k in range(len(levels))))
    layers = []
    for labels, named, zoom in zip(levels, names, zooms, strict=True):
        ids = [c for c in sorted(set(np.asarray(labels).tolist())) if c >= 0 and c in named]
        ids.sort(key=lambda c: -int(np.sum(labels == c)))
        if not ids:
            layers.append({"zoom": zoom, "annotations": []})
            continue
        biggest = int(np.sum(labels == ids[0]))
        texts = [html.unescape(short_label(named[c], GROUP_LABEL_COLUMNS)) for c in ids]
        fonts = [12 + 5 * np.sqrt(np.sum(labels == c) / biggest) for c in ids]
        centres = np.array([np.median(coords[labels == c][:, :2], axis=0) for c in ids])
        spots = place_group_labels(centres, texts, fonts, ranges, zoom=zoom)
        annotations = [
            dict(
                x=float(spot[0]),
                y=float(spot[1]),
                text=escape(text),
                font=dict(size=float(font), color="#222"),
                name="zoom label",
                showarrow=False,
                bgcolor="rgba(255,255,255,0.75)",
                borderpad=1,
            )
            for spot, text, font in zip(spots, texts, fonts, strict=True)
            if spot is not None
        ]
        layers.append({"zoom": zoom, "annotations": annotations})
    keep = [a for a in fig.layout.annotations if a.name != "cluster label"]
    # Assigned, not update_layout: that merges a list into the old one by index.
    fig.layout.annotations = [*keep, *layers[0]["annotations"]]
    fig.layout.meta = {
        "embedviz_zoom_labels": {"full": [list(r) for r in ranges], "layers": layers}
    }


def has_zoom_labels(fig: go.Figure) -> bool:
    meta = fig.layout.meta
    return isinstance(meta, dict) and "embedviz_zoom_labels" in meta
