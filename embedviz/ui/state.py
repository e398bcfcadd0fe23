"""State that belongs to one run: kept while the texts and the view stay, cleared when they
change, so that nothing on the page outlives the texts it was about.

A run is named by a key made of what produced it (texts, model, method, parameters,
clustering). Widgets whose value only makes sense for one run (the picked pair, the
map's selection) carry that key in their own ``key``, so Streamlit drops them with the run.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

_SLOT = "embedviz_run"


def run_key(*parts) -> str:
    """A short, stable name for a run from what produced it (texts, arrays, settings)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            h.update(str(part.shape).encode())
            h.update(np.ascontiguousarray(part).tobytes())
        elif isinstance(part, (list, tuple)):
            for item in part:
                h.update(repr(item).encode("utf-8"))
                h.update(b"\x1f")
        else:
            h.update(repr(part).encode("utf-8"))
        h.update(b"\x1e")
    return h.hexdigest()[:16]


def run_state(key: str, scope: str = "view") -> dict:
    """The state dict of run ``key`` in ``scope``; a new run starts with an empty one.

    Scopes let state live as long as what it is about: "view" (a selection: any change of
    texts, model, projection or clusters clears it), "clusters" (LLM labels: they survive a
    new projection of the same clusters).
    """
    name = f"{_SLOT}_{scope}"
    slot = st.session_state.get(name)
    if slot is None or slot[0] != key:
        slot = (key, {})
        st.session_state[name] = slot
    return slot[1]
