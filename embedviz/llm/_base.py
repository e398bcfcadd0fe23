"""The LLM interface: ``chat(messages) -> str``, or a stream of text pieces.

A message is ``{"role": "system" | "user" | "assistant", "content": str}``, as in OpenAI's
API; each backend maps it to what its model expects (ChatGLM's ``model.chat(tokenizer,
query, history)`` takes the last user turn and earlier (query, answer) pairs).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence

from ..errors import LLMError

__all__ = ["ChatModel", "LLMError", "Message"]

Message = dict[str, str]


class ChatModel(ABC):
    """A local chat model behind one method.

    Attributes:
        backend: ``"transformers"``, ``"openai"`` or ``"llama.cpp"``.
        name: what the page shows ("chatglm-6b-int4 on cuda, int4").
    """

    backend: str
    name: str

    #: whether :meth:`stream` can hold the model to a JSON schema (the others ignore it and
    #: the caller parses leniently).
    structured: bool = False

    @abstractmethod
    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.2,
        schema: dict | None = None,
    ) -> Iterator[str]:
        """Yield the answer in pieces as the model writes it. ``schema``: a JSON schema the
        answer must follow, where the backend can enforce one (see :attr:`structured`)."""

    def chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.2,
        schema: dict | None = None,
    ) -> str:
        """The whole answer."""
        return "".join(
            self.stream(messages, max_tokens=max_tokens, temperature=temperature, schema=schema)
        )


def check_messages(messages: Sequence[Message]) -> list[Message]:
    out = []
    for m in messages:
        role, content = m.get("role"), m.get("content")
        if role not in ("system", "user", "assistant") or not isinstance(content, str):
            raise ValueError(
                f"Each message needs a role of system/user/assistant and a text content; got {m!r}."
            )
        out.append({"role": role, "content": content})
    if not out or out[-1]["role"] != "user":
        raise ValueError("The last message must be the user's question.")
    return out


def to_query_history(messages: Sequence[Message]) -> tuple[str, list[tuple[str, str]]]:
    """ChatGLM-6B's ``chat(tokenizer, query, history)`` form: it has no system role, so a
    system message is put in front of the first question."""
    messages = check_messages(messages)
    system = "\n".join(m["content"] for m in messages if m["role"] == "system")
    turns = [m for m in messages if m["role"] != "system"]
    history: list[tuple[str, str]] = []
    pending = None
    for m in turns[:-1]:
        if m["role"] == "user":
            pending = m["content"]
        elif pending is not None:
            history.append((pending, m["content"]))
            pending = None
    query = turns[-1]["content"]
    if system:
        if history:
            history[0] = (f"{system}\n\n{history[0][0]}", history[0][1])
        else:
            query = f"{system}\n\n{query}"
    return query, history
