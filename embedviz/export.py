"""Export: figures as one standalone HTML file (plotly.js inside, opens with no network) and
the data behind them as CSV that Excel opens with Chinese intact (UTF-8 with BOM).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .figures._style import FONT_FAMILY

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
