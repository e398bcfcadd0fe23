"""The app's own map component: plotly draws it in the browser, its topic names follow the zoom
(coarse when zoomed out, finer as you zoom in), and for a map of very many points (a lean
map: no text per point) the text of the point under the cursor is fetched from this server,
a file of :data:`CHUNK` texts at a time, never shipped for all. A box, lasso or click sends
the selected positions back, as ``st.plotly_chart`` does.

The component's folder (its page, plotly.js, the texts) is made once per server process in
a temporary folder, served by Streamlit's component route and removed at exit. A map's
texts sit under a name derived from a secret of this process and the texts themselves:
only a page this server drew knows it.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import secrets
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go

from ..analysis import ZOOM_LABELS_FUNCTION
from ..settings import PLOTLY_CONFIG

#: Texts per file the page fetches: a 1,000-text file of short texts is ~40 KB.
CHUNK = 1000
#: Where the page lives in the package.
PAGE = Path(__file__).with_name("lean_map") / "index.html"
_SALT = secrets.token_bytes(16)


@functools.cache
def _root() -> Path:
    """The component's folder: its page and plotly.js (from the installed plotly, so the
    map needs no network), and ``texts/`` below."""
    from plotly.offline import get_plotlyjs

    root = Path(tempfile.mkdtemp(prefix="embedviz-lean-map-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    shutil.copyfile(PAGE, root / "index.html")
    (root / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")
    (root / "zoom.js").write_text(ZOOM_LABELS_FUNCTION, encoding="utf-8")
    (root / "texts").mkdir()
    return root


@functools.cache
def _component():
    import streamlit.components.v1 as components

    return components.declare_component("embedviz_lean_map", path=str(_root()))


def publish_texts(texts: Sequence[str]) -> str:
    """Write the texts as files of :data:`CHUNK` (JSON lists) for the page to fetch; the
    same texts are written once. Returns their folder, relative to the page."""
    digest = hashlib.sha256(_SALT)
    for text in texts:
        digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
    name = digest.hexdigest()[:32]
    folder = _root() / "texts" / name
    if not folder.exists():
        # Whole or not at all, and two sessions may publish the same texts at once.
        staging = Path(tempfile.mkdtemp(prefix=name, suffix=".part", dir=folder.parent))
        for k, start in enumerate(range(0, len(texts), CHUNK)):
            chunk = [str(t) for t in texts[start : start + CHUNK]]
            (staging / f"{k}.json").write_text(json.dumps(chunk, ensure_ascii=False), "utf-8")
        try:
            staging.rename(folder)
        except OSError:  # the other session's copy landed first
            shutil.rmtree(staging, ignore_errors=True)
    return f"texts/{name}/"


def lean_map(fig: go.Figure, texts: Sequence[str], key: str) -> list[int] | None:
    """Draw a lean map; the positions (in ``texts``) of the points selected in it, ``[]``
    when a selection was cleared, None before any."""
    spec = fig.to_json()
    value = _component()(
        figure=spec,
        figure_id=hashlib.sha1(spec.encode("utf-8")).hexdigest(),
        texts_at=publish_texts(texts),
        chunk=CHUNK,
        config=PLOTLY_CONFIG,
        height=int(fig.layout.height or 600),
        key=key,
        default=None,
    )
    if not value:
        return None
    return sorted({int(p) for p in value.get("positions", [])})
