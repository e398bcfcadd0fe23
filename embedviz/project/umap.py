"""UMAP on cosine distances (umap-learn), with an exact neighbour graph for many texts."""

from __future__ import annotations

import warnings

import numpy as np

from ..params import Param
from ._base import (
    DEFAULT_RANDOM_STATE,
    PLACEMENT_NOTE,
    Projector,
    clamp_warn,
    neighbour_placement,
    register,
)
from .pca import PCAProjector

#: From this many texts UMAP would build its neighbour graph with pynndescent, whose numba
#: code compiles afresh in every process (~40 s); embedviz computes the graph itself (numpy
#: blocks, or an HNSW index for many texts) and hands it over.
UMAP_PRECOMPUTED_KNN_FROM = 4096

N_NEIGHBORS = Param(
    "n_neighbors",
    15,
    low=2,
    ui=(2, 200, 1),
    help="How many neighbours shape each text's place: small keeps local detail, large the "
    "overall layout. Lowered automatically for few texts.",
)
MIN_DIST = Param(
    "min_dist",
    0.1,
    low=0.0,
    high=1.0,
    ui=(0.0, 1.0, 0.05),
    help="How tightly points may pack: 0 gives dense clumps, 1 an even spread.",
)


def precomputed_knn(X: np.ndarray, n_neighbors: int):
    """The cosine neighbour graph (exact up to :data:`embedviz.similarity.ANN_ABOVE` texts,
    from an HNSW index above) in UMAP's ``precomputed_knn`` form, for
    :data:`UMAP_PRECOMPUTED_KNN_FROM` texts or more; None below (UMAP then builds its own).

    Args:
        X: unit rows ``(n_texts, dim)``.
    """
    n = X.shape[0]
    if n < UMAP_PRECOMPUTED_KNN_FROM:
        return None
    from ..similarity import top_k_neighbours

    idx, sims = top_k_neighbours(X, n_neighbors - 1)
    # umap counts each point as its own nearest neighbour, at distance 0.
    knn_idx = np.hstack([np.arange(n)[:, None], idx])
    knn_dist = np.hstack([np.zeros((n, 1), np.float32), 1.0 - sims]).clip(0.0)
    return knn_idx, knn_dist.astype(np.float32), None


@register
class UMAPProjector(Projector):
    """umap-learn's UMAP on cosine distances.

    ``n_neighbors`` above ``n_texts - 1`` is lowered to it; UMAP cannot place two texts, so
    for two the exact PCA layout is drawn, with a warning saying so.
    """

    name = "umap"
    label = "UMAP"
    order = 30
    params = (N_NEIGHBORS, MIN_DIST)
    requirement = "umap-learn"

    def __init__(
        self,
        n_components: int = 2,
        n_neighbors: int = N_NEIGHBORS.default,
        min_dist: float = MIN_DIST.default,
        metric: str = "cosine",
        random_state: int | None = DEFAULT_RANDOM_STATE,
    ):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.random_state = random_state

    def _fit(self, X):
        n = X.shape[0]
        if n < 3:
            clamp_warn(
                "UMAP needs at least 3 texts to build its neighbour graph; the 2 texts "
                "are drawn at their PCA positions, which keep their distance exactly."
            )
            self.pca_fallback_ = PCAProjector(self.n_components, self.random_state)
            return self.pca_fallback_._fit(X)
        n_neighbors = self.n_neighbors
        if n_neighbors > n - 1:
            clamp_warn(
                f"UMAP n_neighbors {self.n_neighbors} is too large for {n} texts; "
                f"lowered to {n - 1}."
            )
            n_neighbors = n - 1
        self.n_neighbors_ = n_neighbors
        self.used_params_["n_neighbors"] = n_neighbors
        try:
            import umap
        except ImportError as err:
            raise ImportError("UMAP needs umap-learn: pip install umap-learn") from err
        # Spectral initialisation needs more points than output dimensions + 1.
        init = "spectral" if n > self.n_components + 1 else "random"
        extra = {}
        knn = precomputed_knn(X, n_neighbors) if self.metric == "cosine" else None
        if knn is not None:
            extra["precomputed_knn"] = knn
            self.transform_note_ = PLACEMENT_NOTE.format(label=f"UMAP of {n:,} texts")
        reducer = umap.UMAP(
            n_components=self.n_components,
            n_neighbors=n_neighbors,
            min_dist=self.min_dist,
            metric=self.metric,
            init=init,
            random_state=self.random_state,
            **extra,
        )
        with warnings.catch_warnings():
            # A fixed seed makes umap single-threaded and it says so each time; we choose that.
            warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
            # Handing over the graph drops umap's index for new points; transform handles it.
            warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
            Y = reducer.fit_transform(X)
        self.umap_ = reducer
        return Y

    def _transform(self, X):
        if hasattr(self, "pca_fallback_"):
            return self.pca_fallback_._transform(X)
        if hasattr(self, "transform_note_"):
            # umap keeps no search index for a graph it was handed; place by neighbours.
            return neighbour_placement(X, self.fitted_X_, self.embedding_)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
            return self.umap_.transform(X)

    @classmethod
    def script(cls, n_texts, dims, params, random_state):
        if n_texts < 3:
            return PCAProjector.script(n_texts, dims, params, random_state)
        neighbours = min(int(params.get("n_neighbors", N_NEIGHBORS.default)), n_texts - 1)
        min_dist = float(params.get("min_dist", MIN_DIST.default))
        init = "spectral" if n_texts > dims + 1 else "random"
        return (
            "import umap\n\n"
            f"coords = umap.UMAP(n_components={dims}, n_neighbors={neighbours}, "
            f'min_dist={min_dist:g}, metric="cosine", init="{init}", '
            f"random_state={random_state}).fit_transform(U)\n"
        )


def warm_up() -> float:
    """Compile UMAP's numba code now, on a tiny input, so that the user's first UMAP does not
    wait for it (the app runs this in a background thread once its first page is drawn).
    Returns seconds."""
    import time

    start = time.perf_counter()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 16)).astype(np.float32)
    for dims in (2, 3):
        UMAPProjector(n_components=dims, n_neighbors=10).fit(X)
    return time.perf_counter() - start
