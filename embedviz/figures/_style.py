"""Shared look of embedviz figures: fonts that carry Chinese, hover text wrapping, colours."""

from __future__ import annotations

import html
import unicodedata

import plotly.express as px

#: CJK-capable fonts first, so Chinese renders in the app, in exported HTML and in screenshots.
FONT_FAMILY = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
    '"WenQuanYi Zen Hei", "Hiragino Sans GB", "Helvetica Neue", Arial, sans-serif'
)
PALETTE = px.colors.qualitative.Plotly + px.colors.qualitative.Dark24
BASE_LAYOUT = dict(
    font=dict(family=FONT_FAMILY, size=13),
    template="plotly_white",
    hoverlabel=dict(font=dict(family=FONT_FAMILY), align="left"),
    margin=dict(l=40, r=20, t=60, b=40),
)


def escape(text: object) -> str:
    """A string from a user, a file or an LLM as plotly text: its HTML-like tags (plotly
    renders <a href>, <b>, <span style> in names and titles) shown, not rendered."""
    return html.escape(str(text), quote=False)


def char_width(ch: str) -> int:
    """Display columns of one character: 2 for wide (CJK) characters, else 1."""
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def wrap_text(text: str, width: int = 40) -> str:
    """Escape text for plotly's hover HTML and break it into lines of ``width`` columns.

    Latin text breaks at spaces where it can; CJK text, which has none, anywhere.
    """
    lines: list[str] = []
    line = ""
    used = 0
    for ch in text.replace("\r", "").replace("\n", " "):
        w = char_width(ch)
        if used + w > width and line:
            cut = line.rfind(" ")
            if ch != " " and cut > len(line) // 2:
                lines.append(line[:cut])
                line = line[cut + 1 :]
                used = sum(char_width(c) for c in line)
            else:
                lines.append(line.rstrip())
                line, used = "", 0
                if ch == " ":
                    continue
        line += ch
        used += w
    if line or not lines:
        lines.append(line)
    return "<br>".join(html.escape(part, quote=False) for part in lines)


def short_label(text: str, width: int = 24) -> str:
    """The first ``width`` display columns of text, with an ellipsis when cut."""
    text = " ".join(text.split())
    out, used = "", 0
    for ch in text:
        used += char_width(ch)
        if used > width - 1:
            return html.escape(out, quote=False) + "…"
        out += ch
    return html.escape(out, quote=False)
