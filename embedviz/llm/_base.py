"""The LLM interface, ``chat(messages) -> str`` or a stream of text pieces, and the registry
of backends.

A message is ``{"role": "system" | "user" | "assistant", "content": str}``, as in OpenAI's
API; each backend maps it to what its model expects (ChatGLM's ``model.chat(tokenizer,
query, history)`` takes the last user turn and earlier (query, answer) pairs).

A backend is one :class:`ChatModel` subclass decorated with :func:`register`. It declares the
spec it answers to (``kind:REST``, or an alias such as ``"bundled"``), what the page asks for
to write that spec (``fields``: a folder, a URL), the options it takes besides the spec
(``options``, :class:`~embedviz.params.Param`: a precision, whether to run a folder's own
code), how it loads (:meth:`ChatModel.load`), what it needs installed (:meth:`ChatModel.missing`)
and what ``embedviz doctor`` checks for it (:meth:`ChatModel.checks`). The app's sidebar, the
command line's flags and the doctor loop over :data:`BACKENDS`: a new backend is its own file
and one import line in ``embedviz/llm/__init__.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from ..errors import LLMError
from ..params import Param, check_params

__all__ = ["BACKENDS", "ChatModel", "Check", "LLMError", "Message", "register"]

Message = dict[str, str]

#: kind -> backend class, in the order the app offers them.
BACKENDS: dict[str, type[ChatModel]] = {}


def register(cls: type[ChatModel]) -> type[ChatModel]:
    """Class decorator: offer this backend in the app, the flags and the doctor."""
    BACKENDS[cls.kind] = cls
    ordered = sorted(BACKENDS.values(), key=lambda c: c.order)
    BACKENDS.clear()
    BACKENDS.update((c.kind, c) for c in ordered)
    return cls


@dataclass
class Check:
    """One line of ``embedviz doctor``: what was checked, whether it is fine (None: does not
    apply here, no fault), what was found and the fix."""

    name: str
    ok: bool | None
    finding: str
    fix: str = ""

    def line(self) -> str:
        mark = {True: "ok", False: "!!", None: "--"}[self.ok]
        text = f"[{mark}] {self.name}: {self.finding}"
        return text + (f"\n       fix: {self.fix}" if self.fix else "")


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

    #: registry key; a spec ``kind:REST`` names this backend.
    kind: ClassVar[str] = ""
    #: specs that name it whole ("bundled").
    aliases: ClassVar[tuple[str, ...]] = ()
    #: what the page's list shows, and its help.
    label: ClassVar[str] = ""
    help: ClassVar[str] = ""
    #: what the page asks for to write the spec (a folder; a URL and a model name).
    fields: ClassVar[tuple[Param, ...]] = ()
    #: what it takes besides the spec, from the page's widgets and the command's flags.
    options: ClassVar[tuple[Param, ...]] = ()
    #: it reads a folder or an address the user types: offered only on a local app.
    typed: ClassVar[bool] = True
    #: where the app lists it (lowest first).
    order: ClassVar[int] = 100
    #: how the spec looks, for messages ("openai:MODEL@http://HOST:PORT/v1").
    example: ClassVar[str] = ""

    @classmethod
    def matches(cls, spec: str) -> bool:
        kind, _, rest = spec.partition(":")
        return spec in cls.aliases or (kind == cls.kind and bool(rest))

    @classmethod
    def spec_from(cls, values: dict) -> str | None:
        """The spec the page's ``fields`` make, or None while one is missing."""
        return cls.aliases[0] if cls.aliases and not cls.fields else None

    @classmethod
    def load(cls, spec: str, **options) -> ChatModel:
        """The chat model ``spec`` names, with ``options`` (checked against :attr:`options`)."""
        given = {k: v for k, v in options.items() if v is not None}
        checked = check_params(given, cls.options, cls.label or cls.kind)
        return cls(spec.partition(":")[2], **checked)  # type: ignore[call-arg]

    @classmethod
    def fingerprint(cls, values: dict) -> str | None:
        """What a switch among the options is bound to (the code a tick allows to run):
        the page keys such a switch by it, so that changed code starts unticked."""
        return None

    @classmethod
    def missing(cls) -> str | None:
        """How to install what this backend needs, when it is not installed; else None."""
        return None

    @classmethod
    def checks(cls) -> list[Check]:
        """What ``embedviz doctor`` checks for this backend."""
        return []

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
