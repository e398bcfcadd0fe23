"""The pipeline's stages behind Streamlit's caches, so a widget change re-runs only the
stages it touches (a new projection reuses the embeddings and the clusters).

Models and fitted projectors are resources (one per process, shared, never hashed); arrays
and tables are data. Each wrapper calls the stage function of :mod:`embedviz.pipeline`.
"""

from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from .. import pipeline
from ..cluster import Clustering
from ..encoders import load_encoder
from ..llm import load_llm
from ..project import Projection, warm_up
from ..quality import NeighbourhoodScores


@st.cache_resource(show_spinner=False)
def get_encoder(spec: str):
    """One model per process, shared by every session (encoders are read-only)."""
    return load_encoder(spec)


@st.cache_resource(show_spinner=False, max_entries=2)
def get_llm(spec: str, options: tuple):
    """One LLM per process (they take GBs); a new choice replaces the oldest."""
    return load_llm(spec, **dict(options))


@st.cache_resource(show_spinner=False)
def background_warm_up() -> threading.Thread:
    """Compile UMAP's numba code once per server process, while the user reads the page."""
    thread = threading.Thread(target=warm_up, name="embedviz-umap-warm-up", daemon=True)
    thread.start()
    return thread


@st.cache_data(show_spinner=False, max_entries=16)
def embed_texts(spec: str, texts: tuple[str, ...]) -> np.ndarray:
    # The bar is made inside the cached function so that a cache hit replays it cleanly.
    bar = st.progress(0.0, text=f"Encoding {len(texts):,} texts …")
    # The disk cache outlives the process: a restart or another session skips encoding.
    X, _ = pipeline.encode_stage(
        texts,
        get_encoder(spec),
        progress=lambda done, total: bar.progress(
            done / total, text=f"Encoding {done:,} / {total:,} texts …"
        ),
    )
    bar.empty()
    return X


@st.cache_resource(show_spinner=False, max_entries=8)
def project_embeddings(X: np.ndarray, method: str, dims: int, params: tuple) -> Projection:
    # A resource, not data: the fitted projector is kept to place search queries.
    return pipeline.project_stage(X, method, dims, dict(params))


@st.cache_data(show_spinner=False, max_entries=16)
def cluster_embeddings(
    X: np.ndarray, method: str, k, params: tuple, random_state: int
) -> Clustering:
    return pipeline.cluster_stage(X, method, k, dict(params), random_state)


@st.cache_data(show_spinner=False, max_entries=16)
def cluster_keywords(
    texts: tuple[str, ...], clustering: Clustering, X: np.ndarray
) -> dict[int, str]:
    return pipeline.keyword_stage(texts, clustering, X)


@st.cache_data(show_spinner=False, max_entries=16)
def faithfulness(X: np.ndarray, coords: np.ndarray) -> NeighbourhoodScores:
    return pipeline.score_stage(X, coords)
