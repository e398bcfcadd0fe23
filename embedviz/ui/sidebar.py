"""The sidebar: model, projection, clusters and LLM. The projection and cluster controls
loop over the registries, so a new method brings its own controls."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from ..encoders.catalog import DEFAULT_MODEL, offered
from ..llm import BACKENDS
from ..settings import is_loopback, operator_llm
from ..spec import CLUSTERERS, DEFAULT_RANDOM_STATE, PROJECTORS, K, RunSpec
from .text import safe

OTHER_MODEL = "Other: hub name or folder"
NO_LLM = "none"


@dataclass
class Settings:
    """What the sidebar asks for: the run, and the LLM (None: no LLM)."""

    spec: RunSpec
    llm: str | None = None
    llm_options: tuple = ()


def param_widget(param, owner: str, container=st.sidebar, key: str | None = None, **fmt):
    """The widget for a declared :class:`~embedviz.params.Param`, keyed by its owner (UMAP's
    and PaCMAP's n_neighbors differ in default): a slider for a number, a select box for a
    choice, a checkbox for a switch, a text box for text."""
    key = key or f"{owner}_{param.name}"
    label = (param.label or param.name).format(**fmt) if fmt else (param.label or param.name)
    if param.choices:
        return container.selectbox(label, param.choices, key=key, help=param.help or None)
    if param.kind is bool:
        return container.checkbox(label, value=param.default, key=key, help=param.help or None)
    if param.kind is str:
        placeholder = param.help.removeprefix("e.g. ") if param.help.startswith("e.g.") else None
        value = container.text_input(
            label, param.default, key=key, placeholder=placeholder, help=param.help or None
        )
        return value.strip()
    low, high, step = param.ui or (param.low or 0, param.high or 100, 1)
    return container.slider(
        label,
        param.kind(low),
        param.kind(high),
        param.kind(param.default),
        param.kind(step),
        key=key,
        help=param.help,
    )


def server_is_local() -> bool:
    """Whether only this machine reaches the app (server.address is a loopback address)."""
    return is_loopback(st.get_option("server.address"))


def sidebar() -> Settings:
    local = server_is_local()
    if not local:
        st.sidebar.info(
            "This app is reachable from the network, so models and LLM servers come from its "
            "operator's settings (EMBEDVIZ_MODELS, EMBEDVIZ_LLM); typing a folder or a server "
            "address works only when the app runs locally."
        )
    st.sidebar.header("Model")
    models = offered()
    choices = [*models, OTHER_MODEL] if local else list(models)
    choice = st.sidebar.selectbox(
        "Sentence-embedding model",
        choices,
        key="model_choice",
        format_func=lambda c: models.get(c, c),
        help="The default, the multilingual Universal Sentence Encoder (32 MB), works "
        "offline and is fast at any size; multilingual-e5-small (offline) reads Chinese "
        "better but encodes about 30x slower (`embedviz models` lists them all). Hugging "
        "Face models (text2vec-base-chinese, any hub name or folder) load through text2vec, "
        "on the GPU when there is one.",
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
        "Method",
        list(PROJECTORS),
        format_func=lambda m: PROJECTORS[m].label,
        key="method",
        horizontal=True,
    )
    dims = st.sidebar.radio(
        "Dimensions", (2, 3), format_func=lambda d: f"{d}-D", key="dims", horizontal=True
    )
    declared = PROJECTORS[method].params
    params: dict = {}
    with st.sidebar.expander("Parameters", expanded=bool(declared)):
        for param in declared:
            params[param.name] = param_widget(param, method, st)
        random_state = int(
            st.number_input(
                "random_state",
                value=DEFAULT_RANDOM_STATE,
                step=1,
                key="random_state",
                help="The same texts and seed give the same picture.",
            )
        )

    st.sidebar.header("Clusters")
    choices = [*CLUSTERERS, "none"]
    cluster = st.sidebar.selectbox(
        "Clustering (of the texts, not of the map)",
        choices,
        format_func=lambda c: CLUSTERERS[c].label if c in CLUSTERERS else "No clustering",
        key="cluster_method",
    )
    k = None
    cluster_params: dict = {}
    if cluster in CLUSTERERS:
        if CLUSTERERS[cluster].takes_k and not st.sidebar.checkbox(
            "Choose the number of clusters by silhouette", value=True, key="auto_k"
        ):
            k = param_widget(K, "cluster")
        for param in CLUSTERERS[cluster].params:
            cluster_params[param.name] = param_widget(param, cluster)
    llm, llm_options = llm_sidebar(local)
    run = RunSpec(
        model=spec,
        method=method,
        dims=dims,
        projection=params,
        cluster=cluster,
        k=k,
        clustering=cluster_params,
        random_state=random_state,
    )
    return Settings(spec=run, llm=llm, llm_options=llm_options)


def llm_sidebar(local: bool = True) -> tuple[str | None, tuple]:
    """The LLM the user picked, as (spec, options), or (None, ()) for none. Each registered
    backend brings its own fields and options; those that read a typed folder or address
    are offered only on a local server; the operator's LLM (EMBEDVIZ_LLM) everywhere."""
    st.sidebar.header("Local LLM")
    operator_spec, operator_options = operator_llm()
    choices = {NO_LLM: "None"}
    choices.update({k: b.label for k, b in BACKENDS.items() if local or not b.typed})
    if operator_spec:
        choices["operator"] = f"The operator's: {operator_spec}"
    choice = st.sidebar.selectbox(
        "Explain clusters and write code with",
        list(choices),
        format_func=choices.get,
        key="llm_backend",
        help="None: the app works fully without an LLM. "
        + " ".join(f"{b.label}: {b.help}" for b in BACKENDS.values()),
    )
    if choice == "operator":
        return operator_spec, operator_options
    if choice == NO_LLM:
        return None, ()
    backend = BACKENDS[choice]
    hint = backend.missing()
    if hint:
        # Offered but not installed: say how, and keep the LLM's buttons off.
        st.sidebar.warning(f"{backend.label} is not installed here: {hint}")
        return None, ()
    values = {f.name: param_widget(f, "llm", key=f"llm_{f.name}") for f in backend.fields}
    spec = backend.spec_from(values)
    if spec is None:
        return None, ()
    fingerprint = backend.fingerprint(values)
    code = fingerprint[:12] if fingerprint else "as on disk"
    options = {}
    for option in backend.options:
        # A switch is keyed by what it allows (the folder and its code): another folder, or
        # changed files, start unticked.
        key = f"llm_{option.name}"
        if option.kind is bool:
            key += f"_{spec}_{fingerprint}"
        options[option.name] = param_widget(option, choice, key=key, code=safe(code))
    if options.get("trust_remote_code"):
        options["code_sha256"] = fingerprint
    return spec, tuple((k, v if v != "" else None) for k, v in options.items())
