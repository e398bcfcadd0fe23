"""The encoder interface, ``encode(texts) -> float32 ndarray (n_texts, dim)``, and the
registry of encoder kinds.

An encoder kind is one :class:`Encoder` subclass decorated with :func:`register`: it says
which specs it answers to (``aliases`` such as ``"use-multilingual"``, ``prefixes`` such as
``"onnx:"``, or any folder or hub name as the ``fallback``), which options it takes beyond
the spec (:class:`~embedviz.params.Param`: a device, a precision), how it loads
(:meth:`Encoder.load`) and the code the standalone script needs (:meth:`Encoder.script_for`).
:func:`embedviz.encoders.load_encoder` and the script generator read the registry; a new kind
is its own file and one import line in ``embedviz/encoders/__init__.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np

from ..errors import ModelLoadError
from ..params import Param

__all__ = ["REGISTRY", "Encoder", "ModelLoadError", "Progress", "register"]

#: kind name -> encoder class, in the order specs are matched (the fallback last).
REGISTRY: dict[str, type[Encoder]] = {}


def register(cls: type[Encoder]) -> type[Encoder]:
    """Class decorator: offer this encoder kind wherever a model spec is read."""
    REGISTRY[cls.kind] = cls
    ordered = sorted(REGISTRY.values(), key=lambda c: c.fallback)
    REGISTRY.clear()
    REGISTRY.update((c.kind, c) for c in ordered)
    return cls


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
        batch_workers: batches encoded at once, on threads. Above 1 only for models whose
            batch call is thread-safe and spends its time outside the GIL (numpy's BLAS).
    """

    spec: str
    name: str
    max_tokens: int | None = None
    device: str = "cpu"
    batch_size: int = 64
    batch_workers: int = 1

    #: registry key: "use", "text2vec", "onnx".
    kind: ClassVar[str] = ""
    #: what people read about this kind of model.
    label: ClassVar[str] = ""
    #: spec names it answers to, in any case ("use-multilingual").
    aliases: ClassVar[tuple[str, ...]] = ()
    #: spec prefixes it answers to ("onnx:"); the rest of the spec names the model.
    prefixes: ClassVar[tuple[str, ...]] = ()
    #: answers to every other spec (a folder, a hub name): one kind only.
    fallback: ClassVar[bool] = False
    #: what it takes besides the spec (device, precision), checked when it loads.
    options: ClassVar[tuple[Param, ...]] = ()

    @classmethod
    def matches(cls, spec: str) -> bool:
        """Whether this kind answers to ``spec``."""
        return spec.lower() in cls.aliases or spec.startswith(cls.prefixes)

    @classmethod
    def load(cls, spec: str, **options) -> Encoder:
        """The encoder ``spec`` names, with ``options`` (checked against :attr:`options`)."""
        return cls(spec, **options)  # type: ignore[call-arg]

    @classmethod
    def script_for(cls, spec: str) -> str:
        """The standalone script's ``encode(texts)`` for ``spec``, without loading the model
        (the script loads it)."""
        name = spec
        for prefix in cls.prefixes:
            if spec.startswith(prefix):
                name = spec[len(prefix) :]
        return text2vec_script(name)

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
        batches = [by_length[start : start + size] for start in range(0, total, size)]
        out: np.ndarray | None = None  # its width comes with the first batch
        done = 0
        for idx, vectors in self._run_batches(texts, batches):
            vectors = np.asarray(vectors, dtype=np.float32)
            if out is None:
                out = np.empty((total, vectors.shape[1]), dtype=np.float32)
            out[idx] = vectors
            done += len(idx)
            if progress is not None:
                progress(done, total)
        return out

    def _run_batches(self, texts: list[str], batches: list[np.ndarray]):
        """``(rows, vectors)`` for each batch in order; up to :attr:`batch_workers` batches
        at once, with at most twice that many waiting (memory stays a few batches)."""
        if self.batch_workers <= 1 or len(batches) < 2:
            for idx in batches:
                yield idx, self._encode_batch([texts[i] for i in idx])
            return
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(self.batch_workers, thread_name_prefix="embedviz-encode") as pool:
            pending: deque = deque()
            for idx in batches:
                pending.append((idx, pool.submit(self._encode_batch, [texts[i] for i in idx])))
                if len(pending) > 2 * self.batch_workers:
                    head, future = pending.popleft()
                    yield head, future.result()
            while pending:
                head, future = pending.popleft()
                yield head, future.result()

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

    def script(self) -> str:
        """Python defining ``encode(texts) -> ndarray`` with this model, for the standalone
        script (it calls the model's own package, not embedviz)."""
        return text2vec_script(getattr(self, "location", self.spec))


def text2vec_script(name_or_folder: str) -> str:
    """The standalone script's ``encode`` for a Hugging Face model through text2vec."""
    return (
        "def encode(texts):\n"
        '    """A Hugging Face sentence model through text2vec (mean pooling)."""\n'
        "    from text2vec import SentenceModel\n\n"
        f"    model = SentenceModel({name_or_folder!r})\n"
        "    return np.asarray(model.encode(list(texts)), dtype=np.float32)\n"
    )


#: The standalone script's ``encode`` when the user brought the embeddings: it reads them.
OWN_EMBEDDINGS_SCRIPT = (
    "def encode(texts):\n"
    '    """Your own embeddings, saved next to this script as embeddings.npy (one row per '
    'text)."""\n'
    '    return np.load("embeddings.npy")\n'
)


class ObjectEncoder(Encoder):
    """A user's own model: any object with ``encode(texts) -> array (n_texts, dim)``
    (a sentence-transformers model, a function wrapper), as BERTopic's ``select_backend``
    accepts one. Its embeddings are not cached on disk: embedviz cannot tell when the object
    changes.
    """

    cache_key = None  # type: ignore[assignment]

    def __init__(self, model):
        if not callable(getattr(model, "encode", None)):
            raise ModelLoadError(
                f"{type(model).__name__} has no encode(texts) method. Give a model spec "
                "string, or an object whose encode(list_of_texts) returns an (n, dim) array."
            )
        self._model = model
        self.name = type(model).__name__
        self.spec = f"python:{type(model).__module__}.{type(model).__qualname__}"
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(np.asarray(self._model.encode(["dim"])).shape[1])
        return self._dim

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        X = np.asarray(self._model.encode(texts), dtype=np.float32)
        if X.ndim != 2 or X.shape[0] != len(texts):
            raise ModelLoadError(
                f"{self.name}.encode returned shape {X.shape} for {len(texts)} texts; it must "
                "return one row per text, (n_texts, dim)."
            )
        self._dim = X.shape[1]
        return X

    def script(self) -> str:
        return OWN_EMBEDDINGS_SCRIPT
