"""The "Compare models" tab: the page's model (A) against a second one (B) on the same texts,
with the same projection and clusters; everything it shows comes from a
:class:`~embedviz.comparison.Comparison`."""

from __future__ import annotations

import streamlit as st

from ..analysis import OWN_EMBEDDINGS, Analysis
from ..comparison import Comparison, compare_runs, run_like, score_file
from ..encoders.catalog import canonical_spec, offered, offline_multilingual
from ..errors import EmbedvizError
from ..settings import PLOTLY_CONFIG
from .panels import show_table
from .sidebar import OTHER_MODEL, server_is_local
from .stages import app_hook
from .state import run_key, run_state
from .text import safe

NO_TWINS = "(none)"


def offered_models(a_spec: str) -> dict[str, str]:
    """Spec -> name of the models B can be, never A's own: first the other multilingual
    model that works offline (so that the tab opens with two real choices), then every
    model that loads here, the hub's and the operator's."""
    a = canonical_spec(a_spec)
    models = {s: n for s, n in offered().items() if canonical_spec(s) != a}
    first = [s for s in offline_multilingual() if s in models][:1]
    return {**{s: models[s] for s in first}, **models}


def pick_model_b(a: Analysis) -> str | None:
    offered = offered_models(a.spec.model)
    local = server_is_local()
    choices = [*offered, OTHER_MODEL] if local else list(offered)
    choice = st.selectbox(
        "Model B",
        choices,
        key="model_b_choice",
        format_func=lambda c: offered.get(c, c),
        help="B encodes the same texts; its map uses the page's projection, parameters and "
        "clusterer. The offline models load with no network.",
    )
    if choice != OTHER_MODEL:
        return choice
    typed = st.text_input(
        "Model B: Hugging Face name or local folder",
        key="model_b_custom",
        placeholder=r"shibing624/text2vec-base-chinese or D:\models\my-finetune",
    ).strip()
    return typed or None


@st.fragment
def models_tab(a: Analysis, view_key: str) -> None:
    """Pick B, compare, then show the agreement, both maps, what moved and the downloads."""
    st.caption(
        f"A is the page's model, {safe(a.model_name)}. B encodes the same {a.n_texts:,} texts; "
        "both maps use the same projection and clusters, B's turned to line up with A's."
    )
    if a.n_texts < 2:
        st.info("Comparing two models needs at least two texts.")
        return
    spec = pick_model_b(a)
    twin_options = [NO_TWINS, *[c for c in a.columns if c != a.label_name]]
    twin_column = st.selectbox(
        "Paraphrase column (optional)",
        twin_options,
        key="twin_column",
        help="Each row's paraphrase: shows where each twin ranks among its text's neighbours "
        "under A and under B (1 = nearest). Twins must be among the texts.",
    )
    state = run_state(view_key, "models")
    key = run_key(spec, twin_column)
    if st.button("Compare A and B", key="compare_models", disabled=spec is None, type="primary"):
        try:
            state.clear()
            state[key] = compare_with(a, spec, twin_column)
        except (EmbedvizError, ImportError) as err:
            st.error(safe(err))
            return
    comparison: Comparison | None = state.get(key)
    if comparison is not None:
        show_comparison(comparison, key)
    sts_panel(a, spec, state)


def sts_panel(a: Analysis, spec_b: str | None, state: dict) -> None:
    """Both models scored on a file of text pairs with a human similarity score (STS-B's
    form), as text2vec's and MTEB's tables score models: which one agrees with people."""
    models = [m for m in (a.spec.model, spec_b) if m and m != OWN_EMBEDDINGS]
    with st.expander("Score the models on text pairs with a human score (STS)", key="sts_open"):
        st.caption(
            "A file of two text columns and a similarity score per row: STS-B's .data files "
            "(tab-separated, no header) or a CSV/TSV/XLSX/Parquet table. Each model's "
            "Spearman and Pearson of cosine against the score, as text2vec's tables report."
        )
        upload = st.file_uploader(
            "Text pairs with a human score",
            type=["data", "txt", "csv", "tsv", "xlsx", "parquet"],
            key="sts_upload",
        )
        if upload is None or not models:
            if not models:
                st.info("Name a model for A (your own embeddings have none) or pick B.")
            return
        if st.button(f"Score {len(models)} model(s) on {safe(upload.name)}", key="sts_run"):
            try:
                state["sts"] = score_file(upload.getvalue(), upload.name, models, hooks=[app_hook])
            except (EmbedvizError, ImportError) as err:
                st.error(safe(err))
                return
        scores = state.get("sts")
        if scores is None:
            return
        for note in scores.pairs.notes:
            st.caption(safe(note))
        st.dataframe(scores.frame(), hide_index=True, key="sts_table")
        st.plotly_chart(scores.figure(), theme=None, config=PLOTLY_CONFIG, key="sts_figure")


def compare_with(a: Analysis, spec: str, twin_column: str) -> Comparison:
    # B's run is A's spec with B's model, through the page's caches and spinners.
    b = run_like(a, spec, hooks=[app_hook])
    pairs = None
    if twin_column != NO_TWINS:
        pairs = [
            (text, twin)
            for text, twin in zip(a.texts, a.columns[twin_column], strict=True)
            if str(twin).strip()
        ]
    return compare_runs(a, b, pairs=pairs)


def show_comparison(c: Comparison, key: str) -> None:
    name_a, name_b = c.names
    st.caption(safe(f"A = {name_a}; B = {name_b}."))
    for note in c.notes:
        st.caption(safe(note))
    cols = st.columns(3)
    cols[0].metric(
        "Neighbourhood agreement",
        f"{c.agreement_mean:.2f}",
        help=safe(c.agreement_text()),
    )
    cols[1].metric(
        "Map disparity after aligning",
        f"{c.disparity:.2f}",
        help="0: the same map up to rotation and scale; 1: unrelated.",
    )
    if c.separation:
        measure, (va, vb) = next(iter(c.separation.items()))
        cols[2].metric(safe(f"{measure}: A / B"), f"{va:.2f} / {vb:.2f}")
    colour_options = ["agreement", *([c.a.label_name] if c.a.labels is not None else [])]
    colour_by = st.radio(
        "Colour both maps by",
        colour_options,
        key="models_colour",
        horizontal=True,
        format_func=safe,
    )
    event = st.plotly_chart(
        c.figure(colour_by=colour_by),
        theme=None,
        config=PLOTLY_CONFIG,
        key=f"models_map_{key}_{colour_by}",
        on_select="rerun",
        selection_mode=("box", "lasso", "points"),
    )
    chosen = sorted(
        {
            int(p["customdata"][0])
            for p in (event.selection.get("points", []) if event and event.selection else [])
            if p.get("customdata") is not None
        }
    )
    if chosen:
        st.subheader(f"{len(chosen):,} selected texts on both maps")
        # A second chart: redrawing the first would clear the selection it reports.
        st.plotly_chart(
            c.figure(colour_by=colour_by, highlight=chosen),
            theme=None,
            config=PLOTLY_CONFIG,
            key=f"models_selected_map_{key}",
        )
        st.caption("Their nearest texts under A and under B:")
        show_table(c.neighbours_frame(chosen), key="models_selected")
    else:
        st.caption(
            "Select texts on either map (box or lasso) to list their nearest texts under A "
            "and under B. The downloaded page also links hover across the two maps."
        )
    st.subheader("Pairs whose similarity moved most")
    st.caption(
        safe(
            "Percentile of each pair's cosine among all pairs, under A and under B (raw "
            f"cosines of two models are not comparable); {c.pairs.how}."
        )
    )
    # One above the other: the texts need the width.
    for way, what in (("closer", "More alike under B"), ("apart", "Less alike under B")):
        st.markdown(f"**{what}**")
        show_table(_pair_columns(c.moved(20, way)), key=f"models_{way}")
    separation = c.separation_frame()
    if separation is not None:
        st.subheader(safe(f"How well each model separates {c.a.label_name}"))
        st.dataframe(separation, hide_index=True, key="models_separation")
    twins = c.twins_frame()
    if twins is not None:
        st.subheader("Where each twin ranks among its text's neighbours (1 = nearest)")
        show_table(twins, key="models_twins")
    downloads = (
        ("Both maps and the tables as HTML (works offline)", c.html, "two_models.html", "html"),
        ("Moved pairs (CSV)", c.pairs_csv, "moved_pairs.csv", "pairs"),
        ("Each text under both models (CSV)", c.points_csv, "two_models_points.csv", "points"),
    )
    for column, (label, data, name, what) in zip(st.columns(3), downloads, strict=True):
        column.download_button(
            label,
            data,  # made when clicked
            file_name=f"embedviz_{name}",
            mime="text/html" if name.endswith(".html") else "text/csv",
            on_click="ignore",
            key=f"download_models_{what}",
        )


def _pair_columns(frame):
    return frame[["change", "percentile_A", "percentile_B", "text_a", "text_b"]]
