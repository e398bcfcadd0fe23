"""embedviz in the browser: paste or upload texts, see how they relate.

Widgets and display only; every computation is a call into the embedviz package.
Run with:  streamlit run streamlit_app.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st

from embedviz.encoders import DEFAULT_MODEL, KNOWN_MODELS, ModelLoadError, load_encoder
from embedviz.export import coordinates_frame, csv_bytes, standalone_html
from embedviz.figures.view import MAX_HEATMAP_TEXTS, view_figures
from embedviz.inputs import (
    InputError,
    TextBatch,
    guess_text_column,
    read_table,
    texts_from_lines,
    texts_from_table,
)
from embedviz.project import DEFAULT_RANDOM_STATE, METHOD_NAMES, METHODS, project
from embedviz.similarity import cosine_matrix, pair_frame, similarity_order

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


@st.cache_data(show_spinner=False, max_entries=16)
def embed_texts(spec: str, texts: tuple[str, ...]) -> np.ndarray:
    # The bar is made inside the cached function so that a cache hit replays it cleanly.
    bar = st.progress(0.0, text=f"Encoding {len(texts)} texts …")
    X = get_encoder(spec).encode(
        texts,
        progress=lambda done, total: bar.progress(
            done / total, text=f"Encoding {done} / {total} texts …"
        ),
    )
    bar.empty()
    return X


@st.cache_data(show_spinner=False, max_entries=32)
def project_embeddings(X: np.ndarray, method: str, dims: int, params: tuple):
    p = project(X, method, dims, **dict(params))
    return p.coords, p.axis_titles, p.warnings, p.name


@st.cache_data(show_spinner=False, max_entries=16)
def pair_table(S: np.ndarray, texts: tuple[str, ...], rows: tuple[int, ...]):
    """Pairs by descending cosine, at most MAX_PAIRS, numbered by input row."""
    pairs = pair_frame(S, list(texts), k=MAX_PAIRS)
    index = np.asarray(rows)
    pairs = pairs.assign(row_a=index[pairs["i"]], row_b=index[pairs["j"]])
    return pairs[["rank", "row_a", "text_a", "row_b", "text_b", "cosine"]]


@st.cache_data(show_spinner=False, max_entries=16)
def similarities(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    S = cosine_matrix(X)
    return S, similarity_order(S)


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


# ---------------------------------------------------------------- page


def main() -> None:
    st.set_page_config(page_title="embedviz", layout="wide")
    st.title("embedviz")
    st.caption(
        "See how your sentences relate: embeddings projected to a map, beside their "
        "cosine similarities."
    )
    spec, method, dims, params = sidebar()

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

    X = embed_texts(spec, tuple(batch.texts))
    hint = " (the first UMAP in a new process compiles for up to a minute)" * (method == "umap")
    with st.spinner(f"Projecting with {METHOD_NAMES[method]}{hint} …"):
        coords, axis_titles, clamp_warnings, method_name = project_embeddings(
            X, method, dims, tuple(sorted(params.items()))
        )
    for message in clamp_warnings:
        st.warning(message)

    n = len(batch.texts)
    S = order = None
    if n <= MAX_HEATMAP_TEXTS:
        S, order = similarities(X)
    else:
        st.warning(
            f"{n} texts: the full similarity heatmap is drawn up to "
            f"{MAX_HEATMAP_TEXTS} texts, so it is left out."
        )
    scatter, heatmap = view_figures(
        coords=coords,
        axis_titles=axis_titles,
        method_name=method_name,
        model_name=encoder.name,
        texts=batch.texts,
        ids=batch.rows,
        S=S,
        order=order,
        labels=batch.labels,
        label_name=label_name or "label",
    )

    left, right = st.columns(2)
    left.plotly_chart(scatter, theme=None, key="scatter")
    if heatmap is not None:
        right.plotly_chart(heatmap, theme=None, key="heatmap")

    pairs = None
    if S is not None and n > 1:
        pairs = pair_table(S, tuple(batch.texts), tuple(batch.rows))
        st.subheader("Most similar pairs")
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

    st.subheader("Download")
    notes = [batch.summary(), *clamp_warnings]
    title = f"embedviz: {n} texts, {method_name} {dims}-D"
    figures = [f for f in (scatter, heatmap) if f is not None]
    coords_frame = coordinates_frame(
        batch.texts, coords, rows=batch.rows, labels=batch.labels, label_name=label_name or "label"
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
        "Coordinates (CSV)",
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


main()
