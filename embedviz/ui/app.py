"""The page: sidebar, texts in, the run through the cached stages, then the panels."""

from __future__ import annotations

import streamlit as st

from .. import pipeline
from ..analysis import OWN_EMBEDDINGS, Analysis
from ..errors import EmbedvizError
from .models import models_tab
from .panels import (
    clusters_tab,
    compare_tab,
    downloads,
    duplicates_tab,
    filter_panel,
    llm_tab,
    map_panel,
    pairs_tab,
)
from .sidebar import Settings, sidebar
from .sources import Source, input_panel
from .stages import (
    background_warm_up,
    cluster_embeddings,
    cluster_keywords,
    embed_texts,
    faithfulness,
    get_encoder,
    project_embeddings,
)
from .state import run_key, run_state
from .text import safe


def run(source: Source, settings: Settings) -> tuple[Analysis, str, str]:
    """The analysis of the user's texts with the sidebar's settings, stage by stage through
    the caches; and the keys of its view and of its clusters."""
    batch = source.batch
    st.info(batch.summary())
    for note in batch.notes:
        st.caption(safe(note))
    if not batch.texts:
        st.warning("There are no texts to show. Paste at least one sentence, one per line.")
        st.stop()

    encoder = None
    if source.embeddings is not None or batch.vectors is not None:
        X = pipeline.batch_vectors(batch, source.embeddings)
        where = source.embeddings_name or f"column {st.session_state.get('vector_column')}"
        model, model_name = OWN_EMBEDDINGS, OWN_EMBEDDINGS
        st.caption(
            f"Embeddings: your own from {safe(where)} ({X.shape[0]:,} x {X.shape[1]}); nothing "
            "is encoded, so search is off (embedviz does not have the model that made them)."
        )
    else:
        with st.spinner(f"Loading model {safe(settings.model)} …"):
            encoder = get_encoder(settings.model)
        model, model_name = settings.model, encoder.name
        st.caption(f"Model: {safe(encoder.name)} on {encoder.device}.")
        if encoder.max_tokens:
            truncated = encoder.count_truncated(batch.texts)
            if truncated:
                st.warning(
                    f"{truncated} texts are longer than the model's {encoder.max_tokens} "
                    "tokens; only their beginnings are encoded."
                )
        X = embed_texts(settings.model, tuple(batch.texts))

    if settings.method == "umap":
        # The user's fit needs the compiled code: wait for the warm-up rather than compile twice.
        warming = background_warm_up()
        if warming.is_alive():
            with st.spinner("UMAP's code is compiling (once per server start, about 10 s) …"):
                warming.join()
    params = tuple(sorted({**settings.params, "random_state": settings.random_state}.items()))
    with st.spinner(f"Projecting with {settings.method} …"):
        projection = project_embeddings(X, settings.method, settings.dims, params)
    cluster_params = tuple(sorted(settings.cluster_params.items()))
    with st.spinner(f"Clustering with {settings.cluster} …"):
        clustering = cluster_embeddings(
            X, settings.cluster, settings.k, cluster_params, settings.random_state
        )
    keywords = cluster_keywords(tuple(batch.texts), clustering, X)
    scores = faithfulness(X, projection.coords)
    analysis = pipeline.assemble(
        batch,
        X,
        projection,
        clustering,
        keywords,
        scores,
        model=model,
        model_name=model_name,
        dims=settings.dims,
        k=settings.k,
        cluster_params=dict(cluster_params),
        own_embeddings=encoder is None,
        encoder=encoder,
    )
    data = (model, batch.texts, batch.labels, X if encoder is None else None)
    cluster_key = run_key(
        *data, settings.cluster, settings.k, cluster_params, settings.random_state
    )
    view_key = run_key(cluster_key, settings.method, settings.dims, params)
    return analysis, view_key, cluster_key


def main() -> None:
    st.set_page_config(page_title="embedviz", layout="wide")
    st.title("embedviz")
    st.caption(
        "See how your sentences relate: embeddings projected to a map, beside their "
        "cosine similarities, grouped into clusters."
    )
    try:
        settings = sidebar()
        source = input_panel()
        if source.saved is not None:
            analysis = source.saved
            view_key = cluster_key = run_key("saved", analysis.texts, analysis.coords)
            st.info(
                f"Reopened a saved analysis of {analysis.n_texts:,} texts "
                f"({safe(analysis.source)}): model {safe(analysis.params['model'])}, "
                f"{analysis.method_label} {analysis.dims}-D, {safe(analysis.cluster_summary)} "
                "The sidebar's model, projection and clusters apply to new texts, not to this one."
            )
        else:
            analysis, view_key, cluster_key = run(source, settings)
    except (EmbedvizError, ImportError) as err:
        st.error(safe(err))
        st.stop()

    # LLM labels, once asked for, replace the keyword labels of these same clusters.
    explained = run_state(cluster_key, "clusters")
    if explained.get("labels"):
        analysis = analysis.with_llm_labels(
            explained["labels"], explained["explanations"], explained.get("misfits")
        )
    # The run's result, for whoever drives the page (AppTest compares it with the CLI's).
    st.session_state["embedviz_analysis"] = analysis
    for message in analysis.warnings:
        st.warning(safe(message))

    whole, whole_key = analysis, view_key
    analysis = filter_panel(analysis, cluster_key)
    # A filter is part of the view: a new one starts without the old selection.
    view_key = run_key(view_key, analysis.view_note)
    map_panel(analysis, view_key)
    tabs = st.tabs(
        [
            "Clusters",
            "Most similar pairs",
            "Near-duplicates",
            "Compare projections",
            "Compare models",
            "Ask the LLM",
        ]
    )
    with tabs[0]:
        clusters_tab(analysis)
    with tabs[1]:
        pairs_tab(analysis)
    with tabs[2]:
        duplicates_tab(analysis)
    with tabs[3]:
        compare_tab(analysis)
    with tabs[4]:
        # Two models are compared on the whole run, whatever the filter shows.
        models_tab(whole, whole_key)
    with tabs[5]:
        llm_tab(analysis, settings.llm, settings.llm_options, view_key, cluster_key)
    downloads(analysis, view_key)
    # Started once the page is drawn, so the first page is not slowed by it.
    background_warm_up()
