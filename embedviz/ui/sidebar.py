"""The sidebar: model, projection, clusters and LLM. The projection and cluster controls
loop over the registries, so a new method brings its own controls."""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from ..cluster import CLUSTER_METHODS, CLUSTER_NAMES, K
from ..cluster import REGISTRY as CLUSTERERS
from ..encoders import DEFAULT_MODEL, KNOWN_MODELS
from ..params import Param
from ..project import DEFAULT_RANDOM_STATE, METHOD_NAMES, METHODS, REGISTRY
from ..settings import is_loopback, operator_llm, operator_models
from .text import safe

OTHER_MODEL = "Other: hub name or folder"

# Short enough for the sidebar's select box; the help text says the rest.
LLM_CHOICES = {
    "none": "None",
    "bundled": "Bundled Qwen2.5 1.5B (CPU)",
    "transformers": "ChatGLM / HF folder",
    "openai": "OpenAI-compatible server",
}
LLM_HELP = (
    "None: the app works fully without an LLM. Bundled: Qwen2.5-Coder-1.5B through "
    "llama.cpp on the CPU, offline. ChatGLM / HF folder: ChatGLM-6B (int4/int8/fp16) or any "
    "chat model through transformers. OpenAI-compatible server: vLLM, Ollama, ChatGLM3's API."
)


@dataclass
class Settings:
    """What the sidebar asks for."""

    model: str
    method: str
    dims: int
    params: dict
    random_state: int
    cluster: str
    k: int | None
    cluster_params: dict = field(default_factory=dict)
    llm: str | None = None
    llm_options: tuple = ()


def param_widget(param: Param, owner: str, container=st.sidebar):
    """A slider for a declared parameter, keyed by its owner (UMAP's and PaCMAP's
    n_neighbors differ in default)."""
    low, high, step = param.ui or (param.low or 0, param.high or 100, 1)
    return container.slider(
        param.name,
        param.kind(low),
        param.kind(high),
        param.kind(param.default),
        param.kind(step),
        key=f"{owner}_{param.name}",
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
    offered = {**KNOWN_MODELS, **{spec: spec for spec in operator_models()}}
    choices = [*offered, OTHER_MODEL] if local else list(offered)
    choice = st.sidebar.selectbox(
        "Sentence-embedding model",
        choices,
        key="model_choice",
        format_func=lambda c: offered.get(c, c),
        help="The default, the multilingual Universal Sentence Encoder (32 MB), works "
        "offline. Hugging Face models (text2vec-base-chinese, any hub name or folder) load "
        "through text2vec, on the GPU when there is one.",
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
    declared = REGISTRY[method].params
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
    cluster = st.sidebar.selectbox(
        "Clustering (on the embeddings, not the map)",
        CLUSTER_METHODS,
        format_func=CLUSTER_NAMES.get,
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
    return Settings(
        model=spec,
        method=method,
        dims=dims,
        params=params,
        random_state=random_state,
        cluster=cluster,
        k=k,
        cluster_params=cluster_params,
        llm=llm,
        llm_options=llm_options,
    )


def llm_sidebar(local: bool = True) -> tuple[str | None, tuple]:
    """The LLM the user picked, as (spec, options), or (None, ()) for none. Backends whose
    address or folder is typed in the page are offered only on a local server; the
    operator's LLM (EMBEDVIZ_LLM) is offered everywhere."""
    st.sidebar.header("Local LLM")
    operator_spec, operator_options = operator_llm()
    choices = dict(LLM_CHOICES) if local else {k: LLM_CHOICES[k] for k in ("none", "bundled")}
    if operator_spec:
        choices["operator"] = f"The operator's: {operator_spec}"
    choice = st.sidebar.selectbox(
        "Explain clusters and write code with",
        list(choices),
        format_func=choices.get,
        key="llm_backend",
        help=LLM_HELP,
    )
    if choice == "operator":
        return operator_spec, operator_options
    if choice == "bundled":
        from ..llm import llamacpp

        if not llamacpp.installed():
            # Offered but not installed: say how, and keep the LLM's buttons off.
            st.sidebar.warning(f"The bundled LLM is not installed here: {llamacpp.INSTALL_HINT}")
            return None, ()
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
        if not path:
            return None, ()
        from ..llm.transformers_chat import code_fingerprint

        fingerprint = code_fingerprint(path)
        code_id = fingerprint[:12] if fingerprint else f"revision {revision or 'as on disk'}"
        # The tick is keyed by the folder and its code: another folder, or changed files,
        # start unticked.
        trust = st.sidebar.checkbox(
            f"Run this model's own code ({safe(code_id)})",
            key=f"llm_trust_{path}_{revision}_{fingerprint}",
            help="ChatGLM ships its model as Python files in its folder; tick only for code "
            "you have read and trust. The approval holds for these files as they are now.",
        )
        options = (
            ("precision", precision),
            ("revision", revision or None),
            ("trust_remote_code", trust),
            ("code_sha256", fingerprint if trust else None),
        )
        return f"transformers:{path}", options
    return None, ()
