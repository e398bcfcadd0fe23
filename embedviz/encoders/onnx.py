"""A Hugging Face sentence model run by ONNX Runtime: the same mean-pooled embeddings as
``text2vec.SentenceModel``, faster on the CPU; optionally with int8 weights.

The model is exported once (torch's ONNX exporter) into the cache folder
(:func:`embedviz.cache.cache_dir`) and reused. int8 uses dynamic quantization with
per-channel weights and ``reduce_range``, which keeps the embeddings close to fp32 on CPUs
without VNNI (plain dynamic int8 loses more).

Needs ``onnxruntime``, ``onnx`` and ``onnxscript`` (``pip install -r requirements.txt``).
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np

from .._system import cpu_cores
from ._base import Encoder, ModelLoadError, register
from .hf import _load_failure, _own_code, folder_fingerprint, resolve_model_location

log = logging.getLogger(__name__)

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def export_onnx(location: str, out: Path) -> Path:
    """Export the transformer at ``location`` to ``out`` (last hidden state, dynamic shapes)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    # Never a folder's own code, and never asked about it (see hf.sentence_model).
    tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
    model = AutoModel.from_pretrained(location, trust_remote_code=False).eval()

    class LastHidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = tokenizer(["示例句子 example", "短"], padding=True, return_tensors="pt")
    if "token_type_ids" not in sample:
        sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("seq")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp.onnx")
    # The TorchScript exporter mis-traces transformers' attention masks (wrong outputs);
    # the dynamo exporter keeps them right.
    torch.onnx.export(
        LastHidden(model),
        tuple(sample[k] for k in _INPUTS),
        str(tmp),
        input_names=list(_INPUTS),
        output_names=["last_hidden_state"],
        dynamic_shapes={k: {0: batch, 1: seq} for k in _INPUTS},
        dynamo=True,
        external_data=False,
    )
    os.replace(tmp, out)
    return out


def quantize_int8(fp32: Path, out: Path) -> Path:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # The feed-forward output projection reads GELU activations, whose range is too wide for
    # 8 bits: keeping it fp32 lifts the mean cosine to fp32 from 0.988 to 0.995
    # (all-MiniLM-L6-v2) for a fifth of the speed-up.
    graph = onnx.load(str(fp32), load_external_data=False).graph
    made_by = {name: node for node in graph.node for name in node.output}
    keep_fp32 = [
        node.name
        for node in graph.node
        if node.op_type == "MatMul"
        and node.input[0] in made_by
        and (made_by[node.input[0]].op_type == "Gelu" or "gelu" in node.input[0].lower())
    ]
    tmp = out.with_suffix(".tmp.onnx")
    quantize_dynamic(
        str(fp32),
        str(tmp),
        weight_type=QuantType.QInt8,
        per_channel=True,
        reduce_range=True,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=keep_fp32,
        extra_options={"MatMulConstBOnly": True},
    )
    os.replace(tmp, out)
    return out


@register
class OnnxEncoder(Encoder):
    """Mean-pooled sentence embeddings of a Hugging Face model through ONNX Runtime.

    Args:
        name_or_path: a hub name or a local folder (as for text2vec).
        int8: quantize the weights to int8 (faster, cosine ~0.99 to fp32).
        max_seq_length: tokens read per text.
    """

    kind = "onnx"
    label = "Hugging Face model through ONNX Runtime (onnx:, onnx-int8:)"
    prefixes = ("onnx:", "onnx-int8:")
    batch_size = 32

    @classmethod
    def load(cls, spec: str, **options) -> OnnxEncoder:
        kind, _, name = spec.partition(":")
        return cls(name, int8=kind == "onnx-int8", spec=spec, **options)

    def __init__(
        self,
        name_or_path: str,
        int8: bool = False,
        max_seq_length: int = 256,
        spec: str | None = None,
    ):
        try:
            import onnxruntime as ort
            from transformers import AutoTokenizer
        except ImportError as err:
            raise ImportError(
                "The ONNX path needs onnxruntime, onnx and onnxscript: "
                "pip install -r requirements.txt"
            ) from err
        from ..cache import cache_dir

        location = resolve_model_location(name_or_path)
        code = _own_code(location)
        if code:
            raise ModelLoadError(
                f"{name_or_path} runs its own Python code ({', '.join(code)}); the ONNX path "
                "does not run it. Use 'text2vec:' with --model-trust-remote-code after reading it."
            )
        self.location = location
        key = hashlib.sha256(folder_fingerprint(location).encode()).hexdigest()[:16]
        folder = cache_dir() / "onnx" / f"{Path(location).name}-{key}"
        fp32 = folder / "model.onnx"
        try:
            if not fp32.exists():
                log.info("exporting %s to ONNX in %s", location, folder)
                export_onnx(location, fp32)
            model_file = fp32
            if int8:
                model_file = folder / "model.int8.onnx"
                if not model_file.exists():
                    quantize_int8(fp32, model_file)
        except OSError as err:
            raise ModelLoadError(
                f"Could not export {name_or_path!r} to ONNX: {err}. Use the torch path "
                f"'text2vec:{name_or_path}' instead."
            ) from err
        except Exception as err:  # transformers and torch raise many kinds; say it once
            raise ModelLoadError(_load_failure(name_or_path, err)) from err
        options = ort.SessionOptions()
        options.intra_op_num_threads = cpu_cores()
        self._session = ort.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
        self.int8 = int8
        self.max_tokens = max_seq_length
        self.spec = spec or f"{'onnx-int8' if int8 else 'onnx'}:{name_or_path}"
        self.name = f"{Path(name_or_path).name or name_or_path} (ONNX {'int8' if int8 else 'fp32'})"
        self._dim = int(self._session.get_outputs()[0].shape[-1])

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def cache_key(self) -> str:
        return f"{self.spec}|{folder_fingerprint(self.location)}|{self.max_tokens}"

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        features = self._tokenizer(
            texts, max_length=self.max_tokens, padding=True, truncation=True, return_tensors="np"
        )
        feeds = {k: features[k].astype(np.int64) for k in _INPUTS if k in features}
        feeds.setdefault("token_type_ids", np.zeros_like(feeds["input_ids"]))
        hidden = self._session.run(None, feeds)[0]
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        return (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)

    def count_truncated(self, texts) -> int:
        if not texts:
            return 0
        ids = self._tokenizer(list(texts), truncation=False)["input_ids"]
        return sum(len(i) > self.max_tokens for i in ids)
