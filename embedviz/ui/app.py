"""The page: sidebar, texts in, the run through the cached stages, then the panels."""

from __future__ import annotations

import streamlit as st

from .. import pipeline
from ..analysis import Analysis
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
from .stages import app_hook, background_warm_up
from .state import run_key, run_state
from .text import safe


def run(source: Source, settings: Settings) -> tuple[Analysis, str, str]:
    """The analysis of the user's texts with the sidebar's settings (the pipeline's stages
    through the app's caches); and the keys of its view and of its clusters."""
    batch = source.batch
    st.info(batch.summary())
    for note in batch.notes:
        st.caption(safe(note))
    if not batch.texts:
        st.warning("There are no texts to show. Paste at least one sentence, one per line.")
        st.stop()
    own = source.embeddings is not None or batch.vectors is not None
    spec = settings.spec
    analysis = pipeline.analyze(
        batch,
        spec.replace(model=pipeline.OWN_EMBEDDINGS) if own else spec,
        embeddings=source.embeddings,
        hooks=[app_hook],
    )
    if own:
        where = source.embeddings_name or f"column {st.session_state.get('vector_column')}"
        st.caption(
            f"Embeddings: your own from {safe(where)} ({analysis.n_texts:,} x "
            f"{analysis.embeddings.shape[1]}); nothing is encoded, so search is off "
            "(embedviz does not have the model that made them)."
        )
    else:
        st.caption(f"Model: {safe(analysis.encoder.name)} on {analysis.encoder.device}.")
    data = (analysis.spec.model, batch.texts, batch.labels, analysis.embeddings if own else None)
    cluster_key = run_key(*data, spec.cluster, spec.k, spec.clustering, spec.random_state)
    view_key = run_key(cluster_key, spec.method, spec.dims, spec.projection)
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
                f"({safe(analysis.source)}): model {safe(analysis.spec.model)}, "
                f"{analysis.method_label} {analysis.dims}-D, {safe(analysis.cluster_summary)} "
                "The sidebar's model, projection and clusters apply to new texts, not to this one."
            )
        else:
            analysis, view_key, cluster_key = run(source, settings)
    except (EmbedvizError, ImportError) as err:
        st.error(safe(err))
        st.stop()

    # LLM labels, once asked for, replace the keyword labels of these same clusters (and
    # name a topic level's nodes, when the LLM was asked at that level).
    explained = run_state(cluster_key, "clusters")
    if explained.get("labels"):
        analysis = analysis.with_llm_labels(
            explained["labels"], explained["explanations"], explained.get("misfits")
        )
    # The run's result, for whoever drives the page (AppTest compares it with the CLI's).
    st.session_state["embedviz_analysis"] = analysis
    tree = analysis.tree
    if tree is not None and tree.depth > 1:
        level = st.radio(
            "Topic level",
            tree.level_names,
            index=tree.base,
            horizontal=True,
            key="topic_level",
            help="The topic tree around the clusters: coarser topics (groups of clusters), "
            "the clusters, finer topics (parts of a cluster). The map's colours, the "
            "heatmap, the filter, the tables, the LLM and the downloads work at the level "
            "picked; the map's names also follow the zoom when asked.",
        )
        if tree.level_of(level) != tree.base:
            cluster_key = run_key(cluster_key, level)
            named = run_state(cluster_key, "clusters")
            if named.get("labels"):
                analysis = analysis.with_level_names(level, named["labels"])
            analysis = analysis.at_level(level)
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
