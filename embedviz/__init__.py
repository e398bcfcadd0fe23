"""embedviz: see what a set of sentences means.

The pipeline, one module per stage::

    inputs -> encoders -> project -> cluster / keywords / quality -> figures -> export

and :mod:`embedviz.pipeline` runs them into one :class:`Analysis` that the command line, the
app and this Python API all read:

    >>> import embedviz
    >>> a = embedviz.analyze(["如何更换花呗绑定银行卡", "花呗更改绑定银行卡",
    ...                       "如何办理银行卡", "哈里路大旋风"])  # doctest: +SKIP
    >>> a.figure().show(); a.save("seed")  # doctest: +SKIP
    >>> embedviz.load("seed").cluster_names  # doctest: +SKIP
    >>> embedviz.compare(texts, a="use-multilingual", b="path/to/model").summary()  # doctest: +SKIP

Importing embedviz is fast: models, UMAP and plotting load where they are used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._version import __version__
from .errors import EmbedvizError, InputError, LLMError, ModelLoadError, ParameterError

if TYPE_CHECKING:
    from .analysis import Analysis, load
    from .comparison import Comparison, compare
    from .pipeline import analyze
    from .spec import RunSpec
    from .sts import sts

__all__ = [
    "Analysis",
    "Comparison",
    "EmbedvizError",
    "InputError",
    "LLMError",
    "ModelLoadError",
    "ParameterError",
    "RunSpec",
    "__version__",
    "analyze",
    "compare",
    "load",
    "load_zip",
    "sts",
]


def __getattr__(name: str):
    # The pipeline pulls numpy and the stages; load it on first use, not on import.
    if name in ("Analysis", "analyze", "load", "load_zip"):
        from . import pipeline

        return getattr(pipeline, name)
    if name in ("Comparison", "compare"):
        from . import comparison as module

        return getattr(module, name)
    if name == "sts":
        from .sts import sts

        return sts
    if name == "RunSpec":
        from .spec import RunSpec

        return RunSpec
    raise AttributeError(f"module 'embedviz' has no attribute {name!r}")
