"""Strings from users, files, manifests and LLMs reach Streamlit's Markdown-rendering elements
(st.info, st.caption, st.error, a radio's options, a metric's label ...) as text, never as
Markdown: a file name such as ``![x](http://host/leak.png)`` must not make the browser fetch
an image, and one such as ``**bold** x.csv`` must not show bold."""

from __future__ import annotations

import re

#: Every ASCII character Markdown (CommonMark, GitHub's tables and strikethrough,
#: Streamlit's ``:emoji:``, ``:red[...]`` and ``$math$``) gives a meaning to: emphasis, code,
#: headings, lists, quotes, links, images, HTML, entities, tables, directives, maths.
#: CommonMark lets any ASCII punctuation be escaped with a backslash, which then shows as
#: the character alone.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^\"'])")
#: GitHub's Markdown also links bare addresses ("http://...", "www."), even with an escaped
#: character inside: a zero-width space (invisible) inside them stops that.
_BARE_LINK = re.compile(r"(?i)(:/|www\\?\.)")
_ZWSP = "\u200b"
#: Line breaks would start new blocks (a heading, a list, an indented code block).
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
_INDENT = re.compile(r"^[ \t]+")


def safe(text: object) -> str:
    """``text`` with every character that Markdown would act on escaped, on one line, so it
    shows as written.

    Example:
        >>> safe("**LBL** x.csv")
        '\\\\*\\\\*LBL\\\\*\\\\* x\\\\.csv'
    """
    flat = _LINE_BREAKS.sub(" ", str(text))
    # Indentation at the start would make a code block: keep it, as spaces that do not.
    flat = _INDENT.sub(lambda m: "\u00a0" * len(m.group(0).expandtabs(4)), flat)
    escaped = _MARKDOWN.sub(r"\\\1", flat)
    return _BARE_LINK.sub(lambda m: m.group(0)[0] + _ZWSP + m.group(0)[1:], escaped)
