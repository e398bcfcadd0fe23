"""Project: embeddings ``(n_texts, dim)`` -> coordinates ``(n_texts, 2 or 3)``.

One module per method, each a :class:`Projector` registered in :data:`REGISTRY`: PCA,
t-SNE, UMAP and PaCMAP, with scikit-learn's shape (``fit(X)`` returns ``self`` and sets
``embedding_``). Rows are L2-normalised first, so every method sees cosine geometry.

Small inputs are normal (users paste four sentences): a parameter too large for the data is
lowered with a :class:`ClampWarning` that the app shows on the page, never an exception.

Example:
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(4, 16))
    >>> make_projector("tsne", n_components=2).fit_transform(X).shape  # doctest: +SKIP
    (4, 2)
"""

from .._validation import ClampWarning, check_embeddings
from ._base import (
    DEFAULT_RANDOM_STATE,
    REGISTRY,
    Projection,
    Projector,
    make_projector,
    neighbour_placement,
    project,
    projector_class,
    register,
)
from .pacmap import PaCMAPProjector  # each import registers its method
from .pca import PCAProjector
from .tsne import OPENTSNE_ABOVE, TSNEProjector
from .umap import UMAP_PRECOMPUTED_KNN_FROM, UMAPProjector, warm_up

#: The method names, in the registry's order.
METHODS: tuple[str, ...] = tuple(REGISTRY)
#: name -> what people read.
METHOD_NAMES: dict[str, str] = {name: cls.label for name, cls in REGISTRY.items()}

__all__ = [
    "DEFAULT_RANDOM_STATE",
    "METHODS",
    "METHOD_NAMES",
    "OPENTSNE_ABOVE",
    "REGISTRY",
    "UMAP_PRECOMPUTED_KNN_FROM",
    "ClampWarning",
    "PCAProjector",
    "PaCMAPProjector",
    "Projection",
    "Projector",
    "TSNEProjector",
    "UMAPProjector",
    "check_embeddings",
    "make_projector",
    "neighbour_placement",
    "project",
    "projector_class",
    "register",
    "warm_up",
]
