"""The app's hook around the pipeline's stages: Streamlit's caches and a spinner for each,
so a widget change re-runs only the stages it touches (a new projection reuses the
embeddings and the clusters) and the page says what it is doing.

:func:`embedviz.pipeline.analyze` sequences the stages; :func:`app_hook` only decides, per
stage, which cache holds its result. Models and fitted projectors are resources (one per
process, shared, never hashed); arrays and tables are data. The stage itself reaches the
cached functions as ``_proceed`` (not hashed): the key is the inputs that decide the result.
"""

from __future__ import annotations

import threading

import numpy as np
import streamlit as st

from .. import pipeline
from ..llm import load_llm
from ..spec import RunSpec
from .text import safe


@st.cache_resource(show_spinner=False)
def get_encoder(spec: str, options: tuple = ()):
    """One model per process, shared by every session (encoders are read-only)."""
    return pipeline.run_stage("load", model=spec, options=dict(options))


@st.cache_resource(show_spinner=False, max_entries=2)
def get_llm(spec: str, options: tuple):
    """One LLM per process (they take GBs); a new choice replaces the oldest."""
    return load_llm(spec, **dict(options))


@st.cache_resource(show_spinner=False)
def background_warm_up() -> threading.Thread:
    """Compile UMAP's numba code once per server process, while the user reads the page."""
    thread = threading.Thread(target=pipeline.warm_up, name="embedviz-umap-warm-up", daemon=True)
    thread.start()
    return thread


@st.cache_data(show_spinner=False, max_entries=16)
def _encoded(spec: str, texts: tuple[str, ...], _proceed, _inputs: dict):
    # The bar is made inside the cached function so that a cache hit replays it cleanly.
    bar = st.progress(0.0, text=f"Encoding {len(texts):,} texts …")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"Encoding {done:,} / {total:,} texts …")

    # The disk cache outlives the process: a restart or another session skips encoding.
    out = _proceed(**{**_inputs, "progress": progress})
    bar.empty()
    return out


@st.cache_resource(show_spinner=False, max_entries=8)
def _projected(X: np.ndarray, key: tuple, _proceed, _inputs: dict):
    # A resource, not data: the fitted projector is kept to place search queries.
    return _proceed(**_inputs)


@st.cache_data(show_spinner=False, max_entries=16)
def _cached(stage: str, key: tuple, X: np.ndarray, _proceed, _inputs: dict):
    return _proceed(**_inputs)


def _projection_key(spec: RunSpec) -> tuple:
    return (spec.method, spec.dims, spec.projection, spec.random_state)


def _cluster_key(spec: RunSpec) -> tuple:
    return (spec.cluster, spec.k, spec.clustering, spec.random_state)


def app_hook(stage: str, proceed, /, **inputs):
    """Each stage through the cache that suits its result, with a spinner that says it."""
    if stage == "load":
        model = inputs["model"]
        if not isinstance(model, str):
            return proceed(**inputs)
        with st.spinner(f"Loading model {safe(model)} …"):
            return get_encoder(model, tuple(sorted(inputs.get("options", {}).items())))
    if stage == "encode":
        texts = tuple(inputs["texts"])
        return _encoded(inputs["encoder"].cache_key or "", texts, proceed, inputs)
    if stage == "project":
        spec = inputs["spec"]
        if spec.method == "umap":
            # The user's fit needs the compiled code: wait for the warm-up, not compile twice.
            warming = background_warm_up()
            if warming.is_alive():
                with st.spinner("UMAP's code is compiling (once per server start, about 10 s) …"):
                    warming.join()
        with st.spinner(f"Projecting with {spec.method_label} …"):
            return _projected(inputs["X"], _projection_key(spec), proceed, inputs)
    if stage == "cluster":
        spec = inputs["spec"]
        with st.spinner(f"Clustering with {spec.cluster_label} …"):
            return _cached(stage, _cluster_key(spec), inputs["X"], proceed, inputs)
    if stage == "keywords":
        clustering = inputs["clustering"]
        key = (tuple(inputs["texts"]), clustering.method, clustering.labels.tobytes())
        return _cached(stage, key, inputs["X"], proceed, inputs)
    if stage == "score":
        return _cached(stage, (inputs["coords"].tobytes(),), inputs["X"], proceed, inputs)
    return proceed(**inputs)


def project_with(X: np.ndarray, spec: RunSpec):
    """One projection of ``X`` through the same cache (the compare view draws them all)."""
    return pipeline.run_stage("project", [app_hook], X=X, spec=spec)


def faithfulness(X: np.ndarray, coords: np.ndarray):
    """How well a map keeps neighbours, through the same cache."""
    return pipeline.run_stage("score", [app_hook], X=X, coords=coords)
