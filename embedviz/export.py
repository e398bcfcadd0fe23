"""Export: figures as one standalone HTML file (plotly.js inside, opens with no network) and
the data behind them as CSV that Excel opens with Chinese intact (UTF-8 with BOM).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .cluster import NOISE, representatives
from .figures._style import FONT_FAMILY
from .figures.scatter import is_lean, lean_hover_script
from .settings import PLOTLY_CONFIG
from .similarity import cosine_matrix, pair_frame, pairs_above
from .views import LEAN_NOTE, ZOOM_LABELS_SCRIPT, figures, has_zoom_labels

#: Said on an exported page whose map names the topic tree's levels by zoom.
ZOOM_NOTE = (
    "The map names the coarsest topics when zoomed out; zoom in (drag a box, or scroll) and "
    "the clusters' names, then the finer topics', take their place."
)

_PAGE = """<!DOCTYPE html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<script type="text/javascript">{plotlyjs}</script>
<style>
body {{ font-family: {font}; margin: 24px; color: #222; }}
h1 {{ font-size: 20px; }} p.notes {{ color: #555; font-size: 14px; }}
.figure {{ margin-bottom: 24px; }}
</style>
</head>
<body>
<h1>{title}</h1>
{notes}
{figures}
</body>
</html>
"""


def standalone_html(
    figures: Sequence[go.Figure],
    title: str,
    notes: Sequence[str] = (),
    post_scripts: Sequence[str | None] = (),
) -> str:
    """One HTML page holding every figure, with plotly.js inlined once.

    The page references nothing outside itself, so it opens offline; it declares UTF-8 and
    asks for CJK fonts, so Chinese renders. ``post_scripts[k]`` is JavaScript run once figure
    ``k`` is drawn (``{plot_id}`` in it names that figure's div).
    """
    from plotly.offline import get_plotlyjs

    divs = [
        '<div class="figure">'
        + fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            config=PLOTLY_CONFIG,
            post_script=post_scripts[k] if k < len(post_scripts) else None,
        )
        + "</div>"
        for k, fig in enumerate(figures)
    ]
    notes_html = "".join(f'<p class="notes">{html.escape(n)}</p>' for n in notes)
    return _PAGE.format(
        title=html.escape(title),
        plotlyjs=get_plotlyjs(),
        font=FONT_FAMILY,
        notes=notes_html,
        figures="\n".join(divs),
    )


def coordinates_frame(
    texts: Sequence[str],
    coords: np.ndarray,
    *,
    rows: Sequence[int],
    axis_names: Sequence[str] = ("x", "y", "z"),
    labels: Sequence[str] | None = None,
    label_name: str = "label",
    extra: dict[str, Sequence] | None = None,
) -> pd.DataFrame:
    """One row per text: input row, text, label (when any), the ``extra`` columns (cluster,
    its keywords, neighbours kept) and the coordinates."""
    coords = np.asarray(coords)
    frame = pd.DataFrame({"row": list(rows), "text": list(texts)})
    if labels is not None:
        frame[label_name] = list(labels)
    for name, column in (extra or {}).items():
        frame[name] = list(column)
    for k in range(coords.shape[1]):
        frame[axis_names[k]] = np.round(coords[:, k].astype(np.float64), 5)
    return frame


#: A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """A text cell that a spreadsheet shows as text: OWASP's rule for CSV injection, a
    leading ``'`` before a cell that would start a formula. Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV as UTF-8 with BOM (Excel on Chinese Windows reads it without mojibake), with every
    text cell that would start a formula made inert (see :func:`inert`)."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(inert)
    safe.columns = [inert(str(c)) for c in safe.columns]
    return safe.to_csv(index=False).encode("utf-8-sig")


def named_pairs(pairs: pd.DataFrame, texts: Sequence[str], rows: Sequence[int]) -> pd.DataFrame:
    """Pairs given by position (columns ``i, j, cosine``) as a table a person reads: rank, the
    input row and text of both sides, and the cosine."""
    index = np.asarray(rows)
    i, j = pairs["i"].to_numpy(), pairs["j"].to_numpy()
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(pairs) + 1),
            "row_a": index[i] if len(i) else [],
            "text_a": [texts[a] for a in i],
            "row_b": index[j] if len(j) else [],
            "text_b": [texts[b] for b in j],
            "cosine": pairs["cosine"].to_numpy(),
        }
    )


# ---------------------------------------------------------------- an analysis


def analysis_html(analysis, colour_by=None, selection=None, point_labels=None, query=None) -> str:
    """One standalone HTML page of an :class:`~embedviz.analysis.Analysis` (plotly.js
    inside, opens offline): the view as the app shows it, a line that says what it shows,
    and the notes."""
    notes = [f"This view: {analysis.describe()}", *analysis.notes]
    if selection:
        notes.insert(1, f"The heatmap shows the {len(selection):,} selected texts.")
    if query is not None:
        notes.insert(1, f"Search: {query.query!r}, its {len(query.positions)} nearest ringed.")
    shown = figures(analysis, colour_by, selection, point_labels=point_labels, query=query)
    script = ""
    if is_lean(shown[0]):
        notes.insert(1, LEAN_NOTE.format(n=analysis.n_texts))
        script = lean_hover_script(analysis.texts)
    if has_zoom_labels(shown[0]):
        notes.insert(1, ZOOM_NOTE)
        script += ZOOM_LABELS_SCRIPT
    scripts = [script] if script else []
    return standalone_html(shown, title=analysis.title(), notes=notes, post_scripts=scripts)


def points_frame(analysis) -> pd.DataFrame:
    """One row per text: input row, text, the input's other columns, cluster and its name,
    the neighbourhood score, and the coordinates. The CSV and the saved Parquet table are
    this frame."""
    frame = pd.DataFrame({"row": analysis.rows, "text": analysis.texts})
    for name, values in analysis.columns.items():
        if name not in frame:
            frame[name] = values
    if analysis.labels is not None and analysis.label_name not in frame:
        frame[analysis.label_name] = analysis.labels
    frame["cluster"] = analysis.clusters.astype(np.int64)
    names = analysis.cluster_names
    frame["cluster_name"] = [names.get(int(c), "") for c in analysis.clusters]
    tree = analysis.tree
    if tree is not None:  # one column per other level of the topic tree: "3 · 股票 · 基金"
        for k, level in enumerate(tree.level_names):
            if k != tree.base:
                frame[f"topic_{level}"] = topic_column(tree.levels[k], tree.named(k))
    frame[neighbourhood_column(analysis)] = np.round(analysis.neighbourhood.astype(np.float64), 3)
    if analysis.misfits:
        odd = set(analysis.misfit_positions)
        frame["llm_misfit"] = [i in odd for i in range(analysis.n_texts)]
    for k, axis in enumerate("xyz"[: analysis.dims]):
        frame[axis] = analysis.coords[:, k].astype(np.float64)
    return frame


def topic_column(labels: np.ndarray, names: dict[int, str]) -> list[str]:
    """A tree level's column: "id · name" per text, "noise" for noise."""
    return [f"{c} · {names.get(c, '')}" if c >= 0 else "noise" for c in labels.tolist()]


def topic_ids(column) -> np.ndarray:
    """The ids of a :func:`topic_column` read back."""
    return np.array(
        [int(str(v).split(" · ", 1)[0]) if str(v) != "noise" else -1 for v in column],
        dtype=np.int64,
    )


def neighbourhood_column(analysis) -> str:
    """The points table's column of neighbours kept: ``neighbours_kept_of_10``."""
    return f"neighbours_kept_of_{analysis.scores.get('k', 0)}"


def points_csv(analysis) -> bytes:
    """:func:`points_frame` as CSV, UTF-8 with BOM (Excel reads the Chinese)."""
    frame = points_frame(analysis)
    for axis in "xyz"[: analysis.dims]:
        frame[axis] = frame[axis].round(5)
    return csv_bytes(frame)


def cluster_frame(analysis, n_closest: int = 3) -> pd.DataFrame:
    """Each cluster: its name, keywords, size, the texts closest to its centre and (when an
    LLM explained it) the explanation."""
    reps = representatives(analysis.embeddings, analysis.clusters, n=n_closest)
    names = analysis.cluster_names
    sizes = analysis.cluster_sizes()
    ids = sorted(names, key=lambda c: (c == NOISE, c))
    table = {
        "cluster": ids,
        "name": [names[c] for c in ids],
        "keywords": [analysis.keywords.get(c, "") for c in ids],
        "texts": [sizes.get(c, 0) for c in ids],
        "closest to the centre": [" / ".join(analysis.texts[i] for i in reps[c]) for c in ids],
    }
    if analysis.explanations:
        table["explanation (LLM)"] = [analysis.explanations.get(c, "") for c in ids]
    return pd.DataFrame(table)


def top_pairs(analysis, limit: int) -> pd.DataFrame:
    """The ``limit`` most similar pairs of texts (all of them when fewer), by descending
    cosine, numbered by input row: rank, row and text of each side, cosine."""
    pairs = pair_frame(cosine_matrix(analysis.embeddings), list(analysis.texts), k=limit)
    index = np.asarray(analysis.rows)
    pairs = pairs.assign(row_a=index[pairs["i"]], row_b=index[pairs["j"]])
    return pairs[["rank", "row_a", "text_a", "row_b", "text_b", "cosine"]]


def pairs_at_least(analysis, threshold: float, limit: int) -> tuple[pd.DataFrame, int]:
    """Every pair with cosine at least ``threshold`` (the ``limit`` most similar kept), as
    :func:`named_pairs`, and how many there are in all."""
    pairs, total = pairs_above(analysis.embeddings, threshold, limit=limit)
    return named_pairs(pairs, analysis.texts, analysis.rows), total
