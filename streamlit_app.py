"""embedviz in the browser: paste or upload texts, see how they relate.

Widgets and display only; every computation is a call into the embedviz package.
Run with:  streamlit run streamlit_app.py
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import streamlit as st

from embedviz.cache import cached_encode
from embedviz.cluster import (
    CLUSTER_METHODS,
    CLUSTER_NAMES,
    NOISE,
    Clustering,
    adjusted_rand,
    cluster,
    cluster_similarity,
    ordered_similarities,
    representatives,
)
from embedviz.codegen import View, revise_script, run_script, template_script
from embedviz.encoders import DEFAULT_MODEL, KNOWN_MODELS, ModelLoadError, load_encoder
from embedviz.explain import explain_clusters
from embedviz.export import coordinates_frame, csv_bytes, named_pairs, standalone_html
from embedviz.figures.scatter import add_query_point
from embedviz.figures.view import (
    MAX_HEATMAP_TEXTS,
    cluster_point_labels,
    heatmap_figure,
    map_figure,
)
from embedviz.inputs import (
    InputError,
    TextBatch,
    guess_text_column,
    read_table,
    texts_from_lines,
    texts_from_table,
)
from embedviz.keywords import keyword_labels
from embedviz.llm import LLMError, load_llm
from embedviz.llm.llamacpp import INSTALL_HINT
from embedviz.project import (
    DEFAULT_RANDOM_STATE,
    METHOD_NAMES,
    METHODS,
    Projection,
    project,
    warm_up,
)
from embedviz.quality import NeighbourhoodScores, neighbourhood_scores
from embedviz.similarity import pair_cosine, pair_frame, pairs_above, rank_by_query

DATA_DIR = Path(__file__).parent / "data"
SEED_TEXTS = "如何更换花呗绑定银行卡\n花呗更改绑定银行卡\n如何办理银行卡\n哈里路大旋风"
OTHER_MODEL = "Other: a Hugging Face name or a local folder"
NO_LABEL = "(none)"
TOP_PAIRS = 20
#: The pairs CSV holds at most this many pairs (all of them for up to ~450 texts).
MAX_PAIRS = 100_000


# ---------------------------------------------------------------- cached stages


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
    X, _ = cached_encode(
        get_encoder(spec),
        texts,
        progress=lambda done, total: bar.progress(
            done / total, text=f"Encoding {done:,} / {total:,} texts …"
        ),
    )
    bar.empty()
    return X


@st.cache_resource(show_spinner=False, max_entries=8)
def project_embeddings(X: np.ndarray, method: str, dims: int, params: tuple) -> Projection:
    # A resource, not data: the fitted projector is kept to place search queries.
    return project(X, method, dims, **dict(params))


@st.cache_data(show_spinner=False, max_entries=16)
def cluster_embeddings(X: np.ndarray, method: str, k, params: tuple) -> Clustering:
    return cluster(X, method, k, **dict(params))


@st.cache_data(show_spinner=False, max_entries=16)
def cluster_names(texts: tuple[str, ...], labels: np.ndarray) -> dict[int, str]:
    return keyword_labels(list(texts), labels)


@st.cache_data(show_spinner=False, max_entries=16)
def faithfulness(X: np.ndarray, coords: np.ndarray) -> NeighbourhoodScores:
    return neighbourhood_scores(X, coords)


@st.cache_data(show_spinner=False, max_entries=16)
def pair_table(S: np.ndarray, texts: tuple[str, ...], rows: tuple[int, ...]):
    """Pairs by descending cosine, at most MAX_PAIRS, numbered by input row."""
    pairs = pair_frame(S, list(texts), k=MAX_PAIRS)
    index = np.asarray(rows)
    pairs = pairs.assign(row_a=index[pairs["i"]], row_b=index[pairs["j"]])
    return pairs[["rank", "row_a", "text_a", "row_b", "text_b", "cosine"]]


@st.cache_data(show_spinner=False, max_entries=16)
def near_duplicates(X: np.ndarray, threshold: float, texts: tuple[str, ...], rows: tuple):
    pairs, total = pairs_above(X, threshold, limit=MAX_PAIRS)
    return named_pairs(pairs, texts, rows), total


@st.cache_data(show_spinner=False, max_entries=16)
def heatmap_inputs(X: np.ndarray, labels: np.ndarray | None):
    return ordered_similarities(X, labels)


@st.cache_data(show_spinner=False, max_entries=16)
def summary_inputs(X: np.ndarray, labels: np.ndarray):
    return cluster_similarity(X, labels)


# ---------------------------------------------------------------- widgets


def sidebar() -> tuple[str, str, int, dict]:
    st.sidebar.header("Model")
    choices = [*KNOWN_MODELS, OTHER_MODEL]
    choice = st.sidebar.selectbox(
        "Sentence-embedding model",
        choices,
        key="model_choice",
        format_func=lambda c: KNOWN_MODELS.get(c, c),
        help="The default works offline. Hugging Face models load through text2vec, on the "
        "GPU when there is one.",
    )
    spec = choice
    if choice == OTHER_MODEL:
        spec = st.sidebar.text_input(
            "Hugging Face name or local folder",
            key="model_custom",
            placeholder=r"shibing624/text2vec-base-chinese or D:\models\text2vec-base-chinese",
            help="A hub name or folder runs through text2vec (torch). Put onnx: or onnx-int8: "
            "in front to run it with ONNX Runtime (about 1.6x / 2.3x faster on the CPU).",
        )
        spec = spec.strip() or DEFAULT_MODEL

    st.sidebar.header("Projection")
    method = st.sidebar.radio(
        "Method", METHODS, format_func=METHOD_NAMES.get, key="method", horizontal=True
    )
    dims = st.sidebar.radio(
        "Dimensions", (2, 3), format_func=lambda d: f"{d}-D", key="dims", horizontal=True
    )
    params: dict = {}
    with st.sidebar.expander("Parameters", expanded=method != "pca"):
        if method == "tsne":
            params["perplexity"] = st.slider(
                "perplexity",
                2.0,
                100.0,
                30.0,
                1.0,
                key="perplexity",
                help="Lowered automatically for few texts.",
            )
        elif method == "umap":
            params["n_neighbors"] = st.slider(
                "n_neighbors",
                2,
                200,
                15,
                key="n_neighbors",
                help="Lowered automatically for few texts.",
            )
            params["min_dist"] = st.slider("min_dist", 0.0, 1.0, 0.1, 0.05, key="min_dist")
        params["random_state"] = int(
            st.number_input(
                "random_state",
                value=DEFAULT_RANDOM_STATE,
                step=1,
                key="random_state",
                help="The same texts and seed give the same picture.",
            )
        )
    return spec, method, dims, params


def colour_by_new_label() -> None:
    """Picking a label column colours the map by it; clearing it goes back to the default."""
    label = st.session_state["label_column"]
    if label == NO_LABEL:
        st.session_state.pop("colour_by", None)
    else:
        st.session_state["colour_by"] = label


def table_batch(data: bytes, name: str) -> tuple[TextBatch, str | None]:
    header = st.checkbox("First row names the columns", value=True, key="header")
    table = read_table(data, name, header=header)
    columns = list(table.frame.columns)
    if len(columns) == 1:
        return texts_from_table(table, columns[0]), None
    guess = guess_text_column(table.frame)
    left, right = st.columns(2)
    column = left.selectbox("Text column", columns, index=columns.index(guess), key="text_column")
    label = right.selectbox(
        "Colour by (optional label column)",
        [NO_LABEL, *[c for c in columns if c != column]],
        key="label_column",
        on_change=colour_by_new_label,
    )
    label = None if label == NO_LABEL else label
    return texts_from_table(table, column, label_column=label), label


def input_batch() -> tuple[TextBatch, str | None]:
    source = st.radio(
        "Texts from", ["Paste", "Upload a file", "Sample dataset"], horizontal=True, key="source"
    )
    if source == "Paste":
        text = st.text_area("One text per line", SEED_TEXTS, height=170, key="texts")
        return texts_from_lines(text), None
    if source == "Upload a file":
        upload = st.file_uploader(
            "A .txt file (one text a line) or a .csv / .tsv / .xlsx table with a text column",
            type=["txt", "csv", "tsv", "xlsx"],
            key="upload",
        )
        if upload is None:
            st.info("Choose a file to see its texts.")
            st.stop()
        return table_batch(upload.getvalue(), upload.name)
    samples = sorted(p.name for p in DATA_DIR.glob("*") if p.suffix in (".csv", ".txt"))
    name = st.selectbox("Sample dataset", samples, key="sample")
    return table_batch((DATA_DIR / name).read_bytes(), name)


def cluster_sidebar() -> tuple[str, object, dict]:
    st.sidebar.header("Clusters")
    method = st.sidebar.selectbox(
        "Clustering (on the embeddings, not the map)",
        CLUSTER_METHODS,
        format_func=CLUSTER_NAMES.get,
        key="cluster_method",
    )
    k: object = "auto"
    params: dict = {}
    if method in ("kmeans", "agglomerative"):
        auto = st.sidebar.checkbox(
            "Choose the number of clusters by silhouette", value=True, key="auto_k"
        )
        if not auto:
            k = st.sidebar.slider("Number of clusters k", 2, 40, 5, key="k")
    elif method == "hdbscan":
        size = st.sidebar.number_input(
            "min_cluster_size (0: chosen from the number of texts)",
            min_value=0,
            value=0,
            step=1,
            key="min_cluster_size",
        )
        params["min_cluster_size"] = int(size) or None
    return method, k, params


LLM_CHOICES = {
    "none": "None (the app works fully without one)",
    "bundled": "Bundled: Qwen2.5-Coder-1.5B on the CPU (llama.cpp)",
    "transformers": "ChatGLM / Hugging Face folder (transformers)",
    "openai": "OpenAI-compatible server (vLLM, Ollama, ChatGLM3 API)",
}


def llm_sidebar() -> tuple[str | None, tuple]:
    """The LLM the user picked, as (spec, options), or (None, ()) for none."""
    st.sidebar.header("Local LLM")
    choice = st.sidebar.selectbox(
        "Explain clusters and write code with",
        list(LLM_CHOICES),
        format_func=LLM_CHOICES.get,
        key="llm_backend",
    )
    if choice == "bundled":
        return "bundled", ()
    if choice == "openai":
        url = st.sidebar.text_input("Base URL", "http://127.0.0.1:8000/v1", key="llm_url")
        model = st.sidebar.text_input("Model name", "chatglm3-6b", key="llm_model")
        return f"openai:{model.strip()}@{url.strip()}", ()
    if choice == "transformers":
        path = st.sidebar.text_input(
            "Folder or hub name",
            key="llm_path",
            placeholder=r"D:\models\chatglm-6b-int4 or THUDM/chatglm-6b",
        ).strip()
        precision = st.sidebar.selectbox(
            "Precision",
            ("auto", "fp16", "int8", "int4", "fp32"),
            key="llm_precision",
            help="auto: fp16 on a GPU, fp32 on the CPU. int8/int4 use ChatGLM's quantize(). "
            "ChatGLM-6B needs about 13 / 8 / 5.5 GB of GPU memory at fp16 / int8 / int4.",
        )
        revision = st.sidebar.text_input("Revision (hub only)", key="llm_revision").strip()
        trust = st.sidebar.checkbox(
            f"Run this model's own code (revision: {revision or 'as on disk'})",
            key="llm_trust",
            help="ChatGLM ships its model as Python files in its folder; tick only for code "
            "you trust.",
        )
        if not path:
            return None, ()
        options = (
            ("precision", precision),
            ("revision", revision or None),
            ("trust_remote_code", trust),
        )
        return f"transformers:{path}", options
    return None, ()


def selected_positions(event) -> list[int]:
    """Positions in the texts of the points a box, lasso or click selected."""
    if not event or not event.selection:
        return []
    chosen = []
    for point in event.selection.get("points", []):
        custom = point.get("customdata")
        if custom is not None and len(custom) > 3:
            chosen.append(int(custom[3]))
    return sorted(set(chosen))


def text_choice(rows, texts, i) -> str:
    return f"row {rows[i]}: {texts[i][:60]}"


# ---------------------------------------------------------------- page


def main() -> None:
    st.set_page_config(page_title="embedviz", layout="wide")
    st.title("embedviz")
    st.caption(
        "See how your sentences relate: embeddings projected to a map, beside their "
        "cosine similarities, grouped into clusters."
    )
    spec, method, dims, params = sidebar()
    cluster_method, k, cluster_params = cluster_sidebar()
    llm_spec, llm_options = llm_sidebar()

    try:
        batch, label_name = input_batch()
    except InputError as err:
        st.error(str(err))
        st.stop()
    st.info(batch.summary())
    for note in batch.notes:
        st.caption(note)
    if not batch.texts:
        st.warning("There are no texts to show. Paste at least one sentence, one per line.")
        st.stop()

    try:
        with st.spinner(f"Loading model {spec} …"):
            encoder = get_encoder(spec)
    except (ModelLoadError, ImportError) as err:
        st.error(str(err))
        st.stop()
    st.caption(f"Model: {encoder.name} on {encoder.device}.")
    if encoder.max_tokens:
        truncated = encoder.count_truncated(batch.texts)
        if truncated:
            st.warning(
                f"{truncated} texts are longer than the model's {encoder.max_tokens} "
                "tokens; only their beginnings are encoded."
            )

    texts, rows, n = batch.texts, batch.rows, len(batch.texts)
    X = embed_texts(spec, tuple(texts))
    if method == "umap":
        # The user's fit needs the compiled code: wait for the warm-up rather than compile twice.
        warming = background_warm_up()
        if warming.is_alive():
            with st.spinner("UMAP's code is compiling (once per server start, about 10 s) …"):
                warming.join()
    with st.spinner(f"Projecting with {METHOD_NAMES[method]} …"):
        projection = project_embeddings(X, method, dims, tuple(sorted(params.items())))
    with st.spinner(f"Clustering with {CLUSTER_NAMES[cluster_method]} …"):
        try:
            clustering = cluster_embeddings(
                X, cluster_method, k, tuple(sorted(cluster_params.items()))
            )
        except ValueError as err:
            st.error(str(err))
            st.stop()
    for message in [*projection.warnings, *clustering.warnings]:
        st.warning(message)
    clustered = cluster_method != "none" and clustering.n_clusters > 1
    names = cluster_names(tuple(texts), clustering.labels) if clustered else {}
    # LLM labels, once asked for, replace the keyword labels of these same clusters.
    explained_key = (
        spec,
        tuple(texts),
        cluster_method,
        str(k),
        tuple(sorted(cluster_params.items())),
    )
    explained = st.session_state.get("explanations")
    if clustered and explained and explained[0] == explained_key:
        names = {**names, **{e.cluster: e.label for e in explained[1]}}
    scores = faithfulness(X, projection.coords)

    # -- search: the query's nearest texts, and where it falls on the map
    q_col, k_col = st.columns([4, 1])
    query = q_col.text_input(
        "Search: type a sentence to find the most similar texts and place it on the map",
        key="query",
    ).strip()
    top_k = k_col.number_input("Top k", 1, 1000, 10, key="top_k")
    hits = query_xy = None
    if query:
        q = embed_texts(spec, (query,))
        top, cosines = rank_by_query(X, q[0], top_k=int(top_k))
        hits = [(rows[i], texts[i], float(c)) for i, c in zip(top, cosines, strict=True)]
        query_xy, placement_note = projection.place(q)
        if placement_note:
            st.caption(placement_note)

    # -- the map and the heatmap
    # The user's own label column first when they picked one, then the clusters.
    colour_options = [label_name] if batch.labels is not None else []
    if clustered:
        colour_options.append("cluster")
    colour_options.append("neighbourhood kept")
    colour_by = st.radio("Colour points by", colour_options, horizontal=True, key="colour_by")
    labels = values = None
    if colour_by == "cluster":
        labels = cluster_point_labels(clustering.labels, names)
    elif colour_by == label_name:
        labels = batch.labels
    else:
        values = scores.per_point
    left, right = st.columns(2)
    heatmap_slot = right.empty()
    colouring = dict(
        labels=labels,
        label_name=colour_by,
        values=values,
        value_name=f"share of {scores.k} nearest kept",
    )
    scatter = map_figure(
        coords=projection.coords,
        axis_titles=projection.axis_titles,
        method_name=projection.name,
        model_name=encoder.name,
        texts=texts,
        ids=rows,
        **colouring,
    )
    if query_xy is not None:
        add_query_point(scatter, query_xy[0], query)
    if dims == 2:
        scatter.update_layout(dragmode="select")  # a drag selects points; zoom from the bar
    event = left.plotly_chart(
        scatter,
        theme=None,
        key="scatter",
        on_select="rerun",
        selection_mode=("box", "lasso", "points"),
    )
    left.caption(
        "Drag a box or lasso over points to list them and see their heatmap; "
        "double-click the map to clear the selection."
    )
    selection = selected_positions(event)

    shown = selection if selection else list(range(n))
    what = "selected texts" if selection else "texts"
    heatmap = None
    if len(shown) <= MAX_HEATMAP_TEXTS:
        idx = np.asarray(shown)
        sub_labels = clustering.labels[idx] if clustered else None
        S, order, boundaries = heatmap_inputs(X[idx], sub_labels)
        heatmap = heatmap_figure(
            texts=[texts[i] for i in shown],
            ids=[rows[i] for i in shown],
            S=S,
            order=order,
            boundaries=boundaries,
            what=what,
        )
        heatmap_note = (
            f"The heatmap shows the {len(selection):,} selected texts."
            if selection
            else "The heatmap shows all texts."
        )
    elif clustered:
        M, ids, sizes = summary_inputs(X, clustering.labels)
        heatmap = heatmap_figure(
            texts=texts,
            ids=rows,
            S=None,
            cluster_summary=(M, [names[c] for c in ids], sizes),
        )
        heatmap_note = (
            f"{len(shown):,} texts: the heatmap shows the mean similarity between clusters "
            f"(the full heatmap is drawn up to {MAX_HEATMAP_TEXTS:,} texts; select fewer "
            "points to see theirs)."
        )
    else:
        heatmap_note = (
            f"{len(shown):,} texts: no heatmap is drawn above {MAX_HEATMAP_TEXTS:,} texts. "
            "Turn on clustering for the cluster summary, or select fewer points."
        )
    if heatmap is not None:
        heatmap_slot.plotly_chart(heatmap, theme=None, key="heatmap")
    right.caption(heatmap_note)

    # -- how far to trust the picture, how well the clusters match the user's labels
    cols = st.columns(4)
    if scores.trustworthiness is not None:
        cols[0].metric(
            "Trustworthiness",
            f"{scores.trustworthiness:.2f}",
            help="1.0: texts that look close on the map are close in the embedding space.",
        )
        cols[1].metric(
            f"kNN recall (k = {scores.k})",
            f"{scores.knn_recall:.2f}",
            help="The share of each text's nearest neighbours (cosine) that stay among its "
            "nearest on the map.",
        )
    if clustering.silhouette is not None:
        cols[2].metric("Silhouette", f"{clustering.silhouette:.2f}")
    ari = None
    if batch.labels is not None and clustered:
        ari = adjusted_rand(batch.labels, clustering.labels)
        cols[3].metric(
            f"Clusters vs {label_name} (ARI)",
            f"{ari:.2f}",
            help="Adjusted Rand index: 1 = the clusters are the label groups, 0 = chance.",
        )
    st.caption(f"{clustering.describe()} Map: {scores.describe()}.")

    if hits:
        st.subheader(f"Most similar to “{query}”")
        st.dataframe(
            {
                "row": [h[0] for h in hits],
                "text": [h[1] for h in hits],
                "cosine": [round(h[2], 4) for h in hits],
            },
            hide_index=True,
            key="hits",
        )

    if selection:
        st.subheader(f"{len(selection):,} selected texts")
        st.dataframe(
            {
                "row": [rows[i] for i in selection],
                "text": [texts[i] for i in selection],
                **(
                    {"cluster": [labels_or(names, clustering.labels[i]) for i in selection]}
                    if clustered
                    else {}
                ),
            },
            hide_index=True,
            key="selected",
        )

    # -- any two texts side by side (heatmap cells cannot be clicked: streamlit#8933)
    if len(shown) > 1:
        with st.expander("Compare two texts"):
            a_col, b_col = st.columns(2)
            a = a_col.selectbox(
                "Text A", shown, format_func=lambda i: text_choice(rows, texts, i), key="pick_a"
            )
            b = b_col.selectbox(
                "Text B",
                shown,
                index=1,
                format_func=lambda i: text_choice(rows, texts, i),
                key="pick_b",
            )
            cosine = pair_cosine(X, a, b)
            a_col.write(texts[a])
            b_col.write(texts[b])
            st.metric("cosine", f"{cosine:.3f}")

    tabs = st.tabs(
        ["Clusters", "Most similar pairs", "Near-duplicates", "Compare projections", "Ask the LLM"]
    )
    with tabs[0]:
        clusters_tab(X, texts, clustering if clustered else None, names)
    with tabs[1]:
        pairs = pairs_tab(X, texts, rows)
    with tabs[2]:
        duplicates_tab(X, texts, rows)
    with tabs[3]:
        compare_tab(X, texts, rows, encoder.name, colouring, params["random_state"])
    with tabs[4]:
        llm_panel(
            llm_spec,
            llm_options,
            texts=texts,
            X=X,
            clustering=clustering if clustered else None,
            keywords=cluster_names(tuple(texts), clustering.labels) if clustered else {},
            selection=selection,
            explained_key=explained_key,
            view=View(
                texts=texts,
                model_spec=spec,
                method=method,
                dims=dims,
                params=params,
                labels=labels,
                label_name=colour_by,
            ),
        )

    st.subheader("Download")
    notes = [
        batch.summary(),
        *projection.warnings,
        clustering.describe(),
        f"Map: {scores.describe()}.",
    ]
    if ari is not None:
        notes.append(f"Adjusted Rand index of the clusters against {label_name}: {ari:.2f}.")
    title = f"embedviz: {n:,} texts, {projection.name} {dims}-D"
    figures = [f for f in (scatter, heatmap) if f is not None]
    extra = {}
    if clustered:
        extra = {
            "cluster": clustering.labels,
            "cluster_keywords": [labels_or(names, c) for c in clustering.labels],
        }
    coords_frame = coordinates_frame(
        texts,
        projection.coords,
        rows=rows,
        labels=batch.labels,
        label_name=label_name or "label",
        extra={**extra, f"neighbours_kept_of_{scores.k}": np.round(scores.per_point, 3)},
    )
    # Callables: the files are built when a button is clicked, not on every rerun.
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "Figures as HTML (works offline)",
        lambda: standalone_html(figures, title=title, notes=notes),
        file_name=f"embedviz_{method}_{dims}d.html",
        mime="text/html",
        on_click="ignore",
        key="download_html",
    )
    c2.download_button(
        "Coordinates and clusters (CSV)",
        lambda: csv_bytes(coords_frame),
        file_name=f"embedviz_{method}_{dims}d_coordinates.csv",
        mime="text/csv",
        on_click="ignore",
        key="download_coords",
    )
    if pairs is not None:
        label = "Pair similarities (CSV)"
        if len(pairs) < n * (n - 1) // 2:
            label = f"The {len(pairs):,} most similar pairs (CSV)"
        c3.download_button(
            label,
            lambda: csv_bytes(pairs),
            file_name="embedviz_pairs.csv",
            mime="text/csv",
            on_click="ignore",
            key="download_pairs",
        )
    # Started once the page is drawn, so the first page is not slowed by it.
    background_warm_up()


def clusters_tab(X, texts, clustering, names) -> None:
    """Each cluster: its keywords, size and the texts closest to its centre."""
    if clustering is not None:
        reps = representatives(X, clustering.labels, n=3)
        ids = sorted(names, key=lambda c: (c == NOISE, c))
        st.dataframe(
            {
                "cluster": [c for c in ids],
                "keywords": [names[c] for c in ids],
                "texts": [int(np.sum(clustering.labels == c)) for c in ids],
                "closest to the centre": [" / ".join(texts[i] for i in reps[c]) for c in ids],
            },
            hide_index=True,
            key="cluster_table",
        )
    else:
        st.write("Pick a clustering in the sidebar to group the texts.")


def pairs_tab(X, texts, rows):
    """The most similar pairs (up to MAX_HEATMAP_TEXTS texts); returns them for the CSV."""
    n = len(texts)
    pairs = None
    if 1 < n <= MAX_HEATMAP_TEXTS:
        S_all, _, _ = heatmap_inputs(X, None)
        pairs = pair_table(S_all, tuple(texts), tuple(rows))
        st.dataframe(
            pairs.head(TOP_PAIRS),
            hide_index=True,
            key="pairs",
            column_config={
                "cosine": st.column_config.ProgressColumn(
                    "cosine", min_value=-1.0, max_value=1.0, format="%.3f"
                )
            },
        )
    elif n > MAX_HEATMAP_TEXTS:
        st.write("Use Near-duplicates to list the most similar pairs of many texts.")
    return pairs


def duplicates_tab(X, texts, rows) -> None:
    """Every pair above a threshold the user slides, counted, with its CSV."""
    threshold = st.slider(
        "List every pair with cosine at least", 0.50, 1.00, 0.90, 0.01, key="dup_threshold"
    )
    dups, total = near_duplicates(X, threshold, tuple(texts), tuple(rows))
    exact = int(np.sum(dups["cosine"] >= 0.9999)) if len(dups) else 0
    message = (
        f"{total:,} pairs with cosine ≥ {threshold:.2f} "
        f"({exact:,} of them identical in meaning, ≥ 0.9999)."
    )
    if total > len(dups):
        message += (
            f" The table and CSV hold the {len(dups):,} most similar; raise the "
            "threshold to list every pair."
        )
    st.write(message)
    st.dataframe(dups.head(1000), hide_index=True, key="dups")
    st.download_button(
        "These pairs (CSV)",
        lambda: csv_bytes(dups),
        file_name=f"embedviz_pairs_above_{threshold:.2f}.csv",
        mime="text/csv",
        on_click="ignore",
        key="download_dups",
    )


def compare_tab(X, texts, rows, model_name, colouring, random_state) -> None:
    """PCA, t-SNE and UMAP side by side, each titled with its trustworthiness and kNN recall."""
    if st.toggle("Draw PCA, t-SNE and UMAP side by side with their scores", key="compare"):
        compare_cols = st.columns(3)
        for col, m in zip(compare_cols, METHODS, strict=True):
            with st.spinner(f"{METHOD_NAMES[m]} …"):
                p = project_embeddings(X, m, 2, (("random_state", random_state),))
                sc = faithfulness(X, p.coords)
            fig = map_figure(
                coords=p.coords,
                axis_titles=p.axis_titles,
                method_name=p.name,
                model_name=model_name,
                texts=texts,
                ids=rows,
                **colouring,
            )
            fig.update_layout(title_text=f"{p.name}: {sc.describe()}", showlegend=False, height=420)
            col.plotly_chart(fig, theme=None, key=f"compare_{m}")


def llm_panel(spec, options, *, texts, X, clustering, keywords, selection, explained_key, view):
    """Explain the clusters (or the selection against the rest) and write the plot's code."""
    if spec is None:
        st.info(
            "No LLM is active: pick one under **Local LLM** in the sidebar. The bundled model "
            f"works offline on the CPU once installed ({INSTALL_HINT}); a ChatGLM folder loads "
            "through transformers; a running vLLM / Ollama / ChatGLM3 API server through its URL."
        )
    else:
        st.caption(f"LLM: {spec} " + " ".join(f"{k}={v}" for k, v in options if v))

    st.markdown("**Explain the groups**")
    if selection:
        labels = np.where(np.isin(np.arange(len(texts)), selection), 0, 1)
        keywords = None  # made when asked for, not on every rerun
        what = f"the {len(selection)} selected texts against the rest"
    elif clustering is not None:
        labels = clustering.labels
        what = f"the {clustering.n_clusters} clusters"
    else:
        labels = None
        what = ""
    if labels is None:
        st.write("Cluster the texts (sidebar) or select points on the map to explain them.")
    elif st.button(f"Explain {what}", key="explain", disabled=spec is None):
        try:
            with st.status(f"Asking the LLM about {what} …", expanded=True) as status:
                llm = get_llm(spec, options)
                if keywords is None:
                    keywords = keyword_labels(texts, labels)
                live = st.empty()
                found = explain_clusters(
                    llm,
                    texts,
                    X,
                    labels,
                    keywords,
                    on_text=lambda text: live.code(text[-1500:], language="json"),
                )
                live.empty()
                status.update(label=f"{llm.name} answered", state="complete")
        except (LLMError, ImportError) as err:
            st.error(str(err))
        else:
            if not selection:
                st.session_state["explanations"] = (explained_key, found)
            st.session_state["explained_view"] = found
            if not selection:
                st.rerun()  # the map's legend takes the new labels
    for e in st.session_state.get("explained_view", []):
        st.markdown(f"**{e.cluster} · {e.label}**  \n{e.explanation}")

    st.markdown("**The code that draws this view**")
    script = template_script(view)
    # The script holds every text: shown on request above a few hundred, never re-sent unasked.
    if st.toggle(
        "Show the standalone Python script (same texts, model, projection and seed)",
        value=len(texts) <= 300,
        key="show_script",
    ):
        st.code(script, language="python")
    c1, c2 = st.columns(2)
    c1.download_button(
        "Download the script",
        lambda: script,
        file_name="embedviz_view.py",
        mime="text/x-python",
        on_click="ignore",
        key="download_script",
    )
    if c2.button("Run it to check (separate process)", key="run_script"):
        with st.spinner("Running the script in its own process …"):
            result = run_script(script)
        show_run(result)
    request = st.text_input(
        "Ask the LLM to change it",
        placeholder="给图加一个中文标题 / colour the points by text length",
        key="code_request",
    ).strip()
    if st.button("Change, run and check", key="revise", disabled=spec is None or not request):
        try:
            with st.status("The LLM is rewriting the script …", expanded=True) as status:
                live = st.empty()
                revision = revise_script(
                    get_llm(spec, options),
                    script,
                    request,
                    on_text=lambda text: live.code(text[-1500:], language="python"),
                )
                live.empty()
                status.update(label="Rewritten, run and checked", state="complete")
        except (LLMError, ImportError) as err:
            st.error(str(err))
        else:
            tries = "first try" if revision.attempts == 1 else "after one fix of its error"
            st.caption(f"Script {'works' if revision.result.ok else 'still fails'} ({tries}).")
            st.code(revision.code, language="python")
            show_run(revision.result)


def show_run(result) -> None:
    if result.ok:
        st.success(f"The script ran in {result.seconds:.1f} s and wrote its figure.")
        st.components.v1.html(result.html, height=660, scrolling=True)
    else:
        st.error("The script failed:")
        st.code(result.output or "(no output)")


def labels_or(names: dict[int, str], c) -> str:
    return names.get(int(c), str(c))


main()
