"""Strings from users, files, manifests and LLMs reach Streamlit's message boxes (st.info,
st.caption, st.error ...) as text, never as Markdown: a file name such as
``![x](http://host/leak.png)`` must not make the browser fetch an image."""

from __future__ import annotations

import re

#: Links and images need brackets, autolinks and HTML need angle brackets, Streamlit's
#: directives (":red[...]") need brackets: escaping these (and the backslash) leaves every
#: other character to show as typed.
_MARKDOWN = re.compile(r"([\\\[\]<>])")
#: GitHub's Markdown also links bare addresses ("http://...", "www."), even with an escaped
#: character inside: a zero-width space (invisible) inside them stops that.
_BARE_LINK = re.compile(r"(?i)(://|www\.)")
_ZWSP = "\u200b"


def safe(text: object) -> str:
    """``text`` with the characters that make links, images, HTML and directives escaped,
    so it shows as written.

    Example:
        >>> safe("![x](http://a/b.png)")
        '!\\\\[x\\\\](http:/\\u200b/a/b.png)'
    """
    escaped = _MARKDOWN.sub(r"\\\1", str(text))
    return _BARE_LINK.sub(lambda m: m.group(0)[:-1] + _ZWSP + m.group(0)[-1], escaped)
