"""An OpenAI-compatible HTTP server as the LLM: ChatGLM3/GLM-4's API demos, vLLM, Ollama
(``http://localhost:11434/v1``) and llama.cpp's server all speak it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from ..params import Param
from ._base import ChatModel, Check, LLMError, Message, check_messages, register

log = logging.getLogger(__name__)


@register
class OpenAIChat(ChatModel):
    """Chat through the ``openai`` client against ``base_url``.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000/v1``.
        model: the model name the server knows (``chatglm3-6b``, ``qwen2.5:1.5b``).
        api_key: local servers ignore it; the client needs a value.
        timeout: seconds to wait for the server.
    """

    backend = "openai"
    structured = True
    kind = "openai"
    label = "OpenAI-compatible server"
    help = "vLLM, Ollama, llama.cpp's server, ChatGLM3's or GLM-4's API demo, by its URL."
    fields = (
        Param("url", "http://127.0.0.1:8000/v1", label="Base URL"),
        Param("model", "chatglm3-6b", label="Model name"),
    )
    order = 40
    example = "openai:MODEL@http://HOST:PORT/v1"

    @classmethod
    def matches(cls, spec: str) -> bool:
        kind, _, rest = spec.partition(":")
        return kind == cls.kind and "@" in rest

    @classmethod
    def spec_from(cls, values: dict) -> str | None:
        url, model = str(values.get("url") or "").strip(), str(values.get("model") or "").strip()
        return f"openai:{model}@{url}" if url and model else None

    @classmethod
    def load(cls, spec: str, **options) -> OpenAIChat:
        model, _, base_url = spec.partition(":")[2].partition("@")
        return cls(base_url, model)

    @classmethod
    def missing(cls) -> str | None:
        from importlib.util import find_spec

        return None if find_spec("openai") else "pip install openai"

    @classmethod
    def checks(cls) -> list[Check]:
        hint = cls.missing()
        found = "the openai client is installed" if hint is None else "the openai client is missing"
        return [Check("OpenAI-compatible servers", hint is None, found, hint or "")]

    def __init__(self, base_url: str, model: str, api_key: str = "none", timeout: float = 120):
        try:
            from openai import OpenAI
        except ImportError as err:
            raise ImportError(
                "The HTTP backend needs the openai client: pip install openai"
            ) from err
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = f"{model} at {self.base_url}"
        #: False once the server has refused ``response_format`` (then the caller parses).
        self.takes_schema = True
        self._client = OpenAI(
            base_url=self.base_url, api_key=api_key, timeout=timeout, max_retries=0
        )

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.2,
        schema: dict | None = None,
    ) -> Iterator[str]:
        import openai

        request = dict(
            model=self.model,
            messages=check_messages(messages),
            max_tokens=max_tokens,
            temperature=temperature,
            stream=True,
        )
        if schema is not None and self.takes_schema:
            request["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema},
            }
        try:
            try:
                response = self._client.chat.completions.create(**request)
            except openai.BadRequestError:
                if "response_format" not in request:
                    raise
                # Servers without structured output (older Ollama, ChatGLM3's demo) refuse
                # the field: ask again without it and parse the answer leniently.
                log.info("%s refused response_format; asking without it", self.base_url)
                self.takes_schema = False
                del request["response_format"]
                response = self._client.chat.completions.create(**request)
            for chunk in response:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.APIConnectionError as err:
            raise LLMError(
                f"No answer from {self.base_url}: {str(err).rstrip('.')}. Start the server "
                "(for example `ollama serve`, or ChatGLM3's openai_api_demo) or correct the "
                "base URL."
            ) from err
        except openai.APIStatusError as err:
            raise LLMError(
                f"{self.base_url} refused the request ({err.status_code}): {err.message}. "
                f"Check that it serves a model named {self.model!r}."
            ) from err
