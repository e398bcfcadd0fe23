"""The encoder interface: ``encode(texts) -> float32 ndarray (n_texts, dim)``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np

#: progress(done, total) is called after each batch.
Progress = Callable[[int, int], None]


class Encoder(ABC):
    """A sentence-embedding model behind one method.

    Subclasses implement :meth:`_encode_batch`; batching, progress and the output contract
    (float32, shape ``(n_texts, dim)``, input order) live here.

    Attributes:
        spec: the model spec string it was loaded from (see :func:`embedviz.encoders.load_encoder`).
        name: a short human-readable name for titles and legends.
        max_tokens: the longest input, in model tokens, that is encoded whole; ``None`` when
            the model reads texts of any length.
        device: where it runs (``"cpu"``, ``"cuda"``).
    """

    spec: str
    name: str
    max_tokens: int | None = None
    device: str = "cpu"
    batch_size: int = 64

    @abstractmethod
    def _encode_batch(self, texts: list[str]) -> np.ndarray: ...

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        progress: Progress | None = None,
    ) -> np.ndarray:
        """Embed texts.

        Args:
            texts: the texts, in order.
            batch_size: texts per model call; the encoder's default when None.
            progress: called as ``progress(done, total)`` after each batch.

        Returns:
            float32 array of shape ``(len(texts), dim)``, row i the embedding of texts[i].

        Example:
            >>> enc = load_encoder("use-multilingual")  # doctest: +SKIP
            >>> enc.encode(["如何办理银行卡", "哈里路大旋风"]).shape  # doctest: +SKIP
            (2, 512)
        """
        texts = [str(t) for t in texts]
        size = batch_size or self.batch_size
        if size < 1:
            raise ValueError(f"batch_size must be at least 1, got {size}.")
        total = len(texts)
        if not total:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Texts of similar length share a batch, so little of each batch is padding; the rows
        # go back to input order at the end.
        by_length = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((total, self.dim), dtype=np.float32)
        for start in range(0, total, size):
            idx = by_length[start : start + size]
            out[idx] = np.asarray(self._encode_batch([texts[i] for i in idx]), dtype=np.float32)
            if progress is not None:
                progress(min(start + size, total), total)
        return out

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @property
    def cache_key(self) -> str:
        """What identifies this model's embeddings in the disk cache (the spec by default;
        encoders loaded from a folder add what changes when the folder does)."""
        return self.spec

    def count_truncated(self, texts: Sequence[str]) -> int:
        """How many texts are longer than the model reads (their tail is ignored)."""
        return 0


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message says what to give instead."""
