"""A local Hugging Face chat model through transformers: ChatGLM-6B the way its users run it
(``AutoModel.from_pretrained(path, trust_remote_code=True)``, ``.half().cuda()`` or
``.quantize(4)``, ``model.chat(tokenizer, query, history)``), or any model with a chat
template (``generate``).

Remote code (a model folder's own ``modeling_*.py``) runs only when the caller passes
``trust_remote_code=True``; the app asks the user, showing the revision.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Literal

from ..params import Param, check_params
from ._base import (
    ChatModel,
    Check,
    LLMError,
    Message,
    check_messages,
    register,
    to_query_history,
)
from .faults import check_cpm_kernels, check_openmp, explain_fault

log = logging.getLogger(__name__)

Precision = Literal["auto", "fp32", "fp16", "int8", "int4"]
PRECISIONS: tuple[Precision, ...] = ("auto", "fp16", "int8", "int4", "fp32")

PRECISION = Param(
    "precision",
    "auto",
    choices=PRECISIONS,
    label="Precision",
    help="auto: fp16 on a GPU, fp32 on the CPU. int8/int4 use ChatGLM's quantize(). "
    "ChatGLM-6B needs about 13 / 8 / 5.5 GB of GPU memory at fp16 / int8 / int4.",
)
REVISION = Param(
    "revision", "", label="Revision (hub only)", help="The hub revision to pin remote code to."
)
TRUST = Param(
    "trust_remote_code",
    False,
    label="Run this model's own code ({code})",
    help="ChatGLM ships its model as Python files in its folder; tick only for code you have "
    "read and trust. The approval holds for these files as they are now.",
)


def remote_code_files(location: str) -> list[str]:
    """The Python files a model folder asks transformers to run (its config's auto_map)."""
    config = Path(location) / "config.json"
    if not config.exists():
        return []
    auto_map = json.loads(config.read_text(encoding="utf-8")).get("auto_map") or {}
    return sorted({ref.split(".")[0] + ".py" for ref in auto_map.values() if isinstance(ref, str)})


def code_fingerprint(location: str) -> str | None:
    """sha256 over the folder's own Python files (names and contents), or None when it has
    none: what an approval of its remote code is bound to."""
    folder = Path(location)
    if not folder.is_dir():
        return None
    files = sorted(folder.glob("*.py"))
    if not files and not remote_code_files(location):
        return None
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@register
class TransformersChat(ChatModel):
    """ChatGLM-6B or any Hugging Face chat model through transformers.

    Args:
    path: a local folder or a hub name (the hub only with network; offline, a folder).
    precision: ``auto`` (fp16 on a GPU, fp32 on the CPU), ``fp16``, ``int8``, ``int4``
        (through the model's own ``quantize(bits)``, as ChatGLM has), ``fp32``.
    device: ``cuda`` or ``cpu``; the GPU when torch sees one.
    trust_remote_code: run the folder's own model code (ChatGLM needs it).
    code_sha256: the :func:`code_fingerprint` the user approved; loading refuses a folder
        whose code no longer matches it.
    revision: the hub revision to pin remote code to (shown to the user).
    """

    backend = "transformers"
    kind = "transformers"
    label = "ChatGLM / HF folder"
    help = "ChatGLM-6B (int4/int8/fp16) or any chat model through transformers."
    fields = (
        Param(
            "path",
            "",
            label="Folder or hub name",
            help=r"e.g. D:\models\chatglm-6b-int4 or THUDM/chatglm-6b",
        ),
    )
    options = (PRECISION, REVISION, TRUST)
    order = 30
    example = "transformers:FOLDER"

    @classmethod
    def spec_from(cls, values: dict) -> str | None:
        path = str(values.get("path") or "").strip()
        return f"transformers:{path}" if path else None

    @classmethod
    def fingerprint(cls, values: dict) -> str | None:
        path = str(values.get("path") or "").strip()
        return code_fingerprint(path) if path else None

    @classmethod
    def load(cls, spec: str, **options) -> TransformersChat:
        # The fingerprint the page approved is no option a person types.
        code_sha256 = options.pop("code_sha256", None)
        device = options.pop("device", None)
        given = {k: v for k, v in options.items() if v is not None}
        checked = check_params(given, cls.options, cls.label)
        checked["revision"] = checked.get("revision") or None
        return cls(spec.partition(":")[2], device=device, code_sha256=code_sha256, **checked)

    @classmethod
    def missing(cls) -> str | None:
        from importlib.util import find_spec

        return None if find_spec("transformers") else "pip install -r requirements.txt"

    @classmethod
    def checks(cls) -> list[Check]:
        return [*check_cpm_kernels(), check_openmp()]

    def __init__(
        self,
        path: str,
        precision: Precision = "auto",
        device: str | None = None,
        trust_remote_code: bool = False,
        revision: str | None = None,
        code_sha256: str | None = None,
    ):
        if precision not in PRECISIONS:
            raise ValueError(
                f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}."
            )
        try:
            import torch
            import transformers
        except ImportError as err:
            raise ImportError("The transformers backend needs torch and transformers.") from err
        from ..encoders._base import ModelLoadError
        from ..encoders.hf import pick_device, resolve_model_location

        try:
            location = resolve_model_location(path)
        except ModelLoadError as err:
            raise LLMError(str(err)) from err
        code = remote_code_files(location)
        if trust_remote_code and code_sha256 and code_fingerprint(location) != code_sha256:
            raise LLMError(
                f"The Python files in {path} changed since their code was allowed to run "
                "(the approval is for the code as it was). Read them again and re-allow."
            )
        if code and not trust_remote_code:
            raise LLMError(
                f"{path} runs its own Python code ({', '.join(code)}). Read it, then allow "
                f"remote code (--trust-remote-code; revision {revision or 'as on disk'}) "
                "to load it."
            )
        self.device = pick_device(device)
        cuda = self.device.startswith("cuda")
        if precision == "auto":
            precision = "fp16" if cuda else "fp32"
        self.precision = precision
        self.revision = revision
        options = dict(trust_remote_code=trust_remote_code, revision=revision)
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(location, **options)
            config = transformers.AutoConfig.from_pretrained(location, **options)
            auto_map = getattr(config, "auto_map", None) or {}
            # ChatGLM-6B registers its model for AutoModel, not AutoModelForCausalLM.
            loader = (
                transformers.AutoModel
                if "AutoModel" in auto_map and "AutoModelForCausalLM" not in auto_map
                else transformers.AutoModelForCausalLM
            )
            dtype = torch.float16 if cuda and precision != "fp32" else torch.float32
            model = loader.from_pretrained(location, dtype=dtype, **options)
            if precision in ("int8", "int4"):
                if not hasattr(model, "quantize"):
                    raise LLMError(
                        f"{path} has no quantize(); int8/int4 come from ChatGLM's own code. "
                        "Load a model saved quantized (e.g. THUDM/chatglm-6b-int4) at fp16, or "
                        "choose fp16/fp32."
                    )
                bits = 8 if precision == "int8" else 4
                model = model.half().quantize(bits) if cuda else model.quantize(bits)
            model = model.half().cuda() if cuda and precision != "fp32" else model.to(self.device)
            if not cuda:
                model = model.float()
        except LLMError:
            raise
        except Exception as err:  # what ChatGLM's code raises is not ours to enumerate
            fix = explain_fault(str(err))
            raise LLMError(
                f"Could not load {path} ({precision} on {self.device}): {err}"
                + (f" -- {fix}" if fix else "")
            ) from err
        self.model = model.eval()
        self.name = f"{Path(location).name} ({precision} on {self.device})"

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.2,
        schema: dict | None = None,
    ) -> Iterator[str]:
        # No grammar here (``schema`` is ignored): the caller parses the answer leniently.
        messages = check_messages(messages)
        if hasattr(self.model, "chat"):
            yield from self._chatglm(messages, max_tokens, temperature)
        else:
            yield from self._generate(messages, max_tokens, temperature)

    def _chatglm(self, messages, max_tokens, temperature) -> Iterator[str]:
        """ChatGLM's own API: the last user turn and (query, answer) pairs before it."""
        import torch

        query, history = to_query_history(messages)
        with torch.inference_mode():
            if hasattr(self.model, "stream_chat"):
                shown = ""
                for response, _ in self.model.stream_chat(self.tokenizer, query, history=history):
                    yield response[len(shown) :]
                    shown = response
            else:
                response, _ = self.model.chat(self.tokenizer, query, history=history)
                yield response

    def _generate(self, messages, max_tokens, temperature) -> Iterator[str]:
        import torch
        from transformers import TextIteratorStreamer

        if not getattr(self.tokenizer, "chat_template", None):
            raise LLMError(
                f"{self.name} has neither model.chat nor a chat template; use an instruction-"
                "tuned (chat) model."
            )
        inputs = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(self.model.device)
        inputs.pop("token_type_ids", None)  # BERT-style tokenizers add them; decoders reject them
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        sampling = dict(do_sample=True, temperature=temperature) if temperature > 0 else {}
        errors: list[BaseException] = []

        def run():
            try:
                with torch.inference_mode():
                    self.model.generate(
                        **inputs, max_new_tokens=max_tokens, streamer=streamer, **sampling
                    )
            except BaseException as err:  # surfaced in the caller's thread below
                errors.append(err)
                streamer.end()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        yield from streamer
        thread.join()
        if errors:
            raise LLMError(f"{self.name} failed while answering: {errors[0]}") from errors[0]
