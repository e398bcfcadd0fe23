"""Project: embeddings ``(n_texts, dim)`` -> coordinates ``(n_texts, 2 or 3)``.

Three projectors with scikit-learn's shape: ``__init__`` stores parameters, ``fit(X)`` returns
``self`` and sets ``embedding_`` (float32) and ``axis_titles_``. Rows are L2-normalised first,
so every method sees cosine geometry.

Small inputs are normal (users paste four sentences): a parameter too large for the data is
lowered with a :class:`ClampWarning` that the app shows on the page, never an exception.

Example:
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(4, 16))
    >>> make_projector("tsne", n_components=2).fit_transform(X).shape  # doctest: +SKIP
    (4, 2)
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

from ._system import cpu_cores

Method = Literal["pca", "tsne", "umap"]
METHODS: tuple[Method, ...] = ("pca", "tsne", "umap")
METHOD_NAMES = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP"}
DEFAULT_RANDOM_STATE = 42
#: 2-D t-SNE of more texts than this runs on openTSNE (FFT); fewer on scikit-learn. On real
#: embeddings with 2 cores scikit-learn was as fast or faster up to 20,000 texts (61 s against
#: 72 s); openTSNE wins at 50,000 (bench/tsne_crossover.py).
OPENTSNE_ABOVE = 20_000
#: From this many texts UMAP would build its neighbour graph with pynndescent, whose numba
#: code compiles afresh in every process (~40 s); embedviz computes the exact graph in numpy
#: blocks instead and hands it over.
UMAP_PRECOMPUTED_KNN_FROM = 4096


class ClampWarning(UserWarning):
    """A parameter was too large for the data and was lowered; the message says to what."""


def _clamp_warn(message: str) -> None:
    warnings.warn(message, ClampWarning, stacklevel=3)


def check_embeddings(X) -> np.ndarray:
    """Validate and L2-normalise rows; all-zero rows stay zero.

    Returns:
        float32 array ``(n_texts, dim)``.
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"Embeddings must be a 2-D array (n_texts, dim), got shape {X.shape}.")
    if X.shape[0] == 0:
        raise ValueError("There are no texts to project. Give at least one non-empty text.")
    if not np.isfinite(X).all():
        raise ValueError("Embeddings contain NaN or infinity; re-encode the texts.")
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return np.divide(X, norms, out=np.zeros_like(X), where=norms > 0)


def _check_n_components(n_components: int) -> int:
    if n_components not in (2, 3):
        raise ValueError(f"n_components must be 2 or 3, got {n_components!r}.")
    return n_components


class _Projector:
    """Shared fit/fit_transform plumbing; subclasses implement ``_fit``."""

    method: Method
    n_components: int

    def fit(self, X, y=None):
        X = check_embeddings(X)
        _check_n_components(self.n_components)
        if X.shape[0] == 1:
            _clamp_warn(
                f"Only one text: {METHOD_NAMES[self.method]} needs at least two, so "
                "the point is drawn at the origin."
            )
            self.embedding_ = np.zeros((1, self.n_components), dtype=np.float32)
        else:
            self.embedding_ = np.asarray(self._fit(X), dtype=np.float32)
        self.fitted_X_ = X
        if not hasattr(self, "axis_titles_"):
            self.axis_titles_ = [
                f"{METHOD_NAMES[self.method]} {i + 1}" for i in range(self.n_components)
            ]
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).embedding_

    def transform(self, X) -> np.ndarray:
        """Place new texts' embeddings ``(m, dim)`` in the fitted picture ``(m, n_components)``.

        PCA and UMAP map new points with their fitted model; t-SNE has none, so a new point
        goes to the similarity-weighted mean of its nearest fitted texts
        (:attr:`transform_note` says so).
        """
        X = check_embeddings(X)
        if not hasattr(self, "embedding_"):
            raise ValueError(f"Fit the {METHOD_NAMES[self.method]} projector before transform.")
        if self.embedding_.shape[0] == 1:
            return np.zeros((X.shape[0], self.n_components), dtype=np.float32)
        return np.asarray(self._transform(X), dtype=np.float32)

    #: What the page should say about how new points are placed; None when exact.
    transform_note: str | None = None

    def _fit(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return neighbour_placement(X, self.fitted_X_, self.embedding_)

    def get_params(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}


class PCAProjector(_Projector):
    """Principal components of the normalised embeddings; axes say the variance they hold."""

    method = "pca"

    def __init__(self, n_components: int = 2, random_state: int | None = DEFAULT_RANDOM_STATE):
        self.n_components = n_components
        self.random_state = random_state

    def _fit(self, X):
        from sklearn.decomposition import PCA

        n, d = X.shape
        k = min(self.n_components, n, d)
        pca = PCA(n_components=k, svd_solver="auto", random_state=self.random_state)
        Y = pca.fit_transform(X)
        self.pca_ = pca
        ratios = list(pca.explained_variance_ratio_)
        if k < self.n_components:
            Y = np.hstack([Y, np.zeros((n, self.n_components - k), dtype=Y.dtype)])
            ratios += [0.0] * (self.n_components - k)
        self.explained_variance_ratio_ = np.asarray(ratios, dtype=np.float32)
        self.axis_titles_ = [f"PC{i + 1} ({r:.0%} of variance)" for i, r in enumerate(ratios)]
        return Y

    def _transform(self, X):
        Y = self.pca_.transform(X)
        missing = self.n_components - Y.shape[1]
        return np.hstack([Y, np.zeros((len(Y), missing))]) if missing else Y


class TSNEProjector(_Projector):
    """scikit-learn's t-SNE on cosine distances.

    ``perplexity`` above ``(n_texts - 1) / 3`` is lowered to it (at least 1), as openTSNE does.
    """

    method = "tsne"
    transform_note = (
        "t-SNE cannot place new points, so the query is drawn at the similarity-weighted "
        "mean position of its 5 most similar texts."
    )

    def __init__(
        self,
        n_components: int = 2,
        perplexity: float = 30.0,
        metric: str = "cosine",
        max_iter: int = 1000,
        random_state: int | None = DEFAULT_RANDOM_STATE,
    ):
        self.n_components = n_components
        self.perplexity = perplexity
        self.metric = metric
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit(self, X):
        from sklearn.manifold import TSNE

        n = X.shape[0]
        if self.perplexity <= 0:
            raise ValueError(f"perplexity must be positive, got {self.perplexity}.")
        perplexity = float(self.perplexity)
        highest = max(1.0, (n - 1) / 3)
        if perplexity > highest:
            _clamp_warn(
                f"t-SNE perplexity {self.perplexity:g} is too high for {n} texts; "
                f"lowered to {highest:.3g} (at most (n - 1) / 3)."
            )
            perplexity = highest
        self.perplexity_ = perplexity
        if n > OPENTSNE_ABOVE and self.n_components == 2:
            return self._fit_opentsne(X, perplexity)
        # PCA initialisation needs more points than output dimensions.
        init = "pca" if n > self.n_components else "random"
        tsne = TSNE(
            n_components=self.n_components,
            perplexity=perplexity,
            metric=self.metric,
            init=init,
            max_iter=self.max_iter,
            random_state=self.random_state,
        )
        return tsne.fit_transform(X)

    def _fit_opentsne(self, X, perplexity):
        """openTSNE's FFT-accelerated t-SNE: linear in n where scikit-learn's Barnes-Hut is
        n log n (50,000 texts here: 119 s against 217 s; bench/tsne_crossover.py)."""
        try:
            from openTSNE import TSNE
        except ImportError as err:
            raise ImportError(
                "t-SNE of many texts uses openTSNE: pip install openTSNE==1.0.4"
            ) from err
        self.backend_ = "openTSNE"
        tsne = TSNE(
            n_components=2,
            perplexity=perplexity,
            metric=self.metric,
            n_iter=self.max_iter - 250 if self.max_iter > 250 else self.max_iter,
            initialization="pca",
            n_jobs=cpu_cores(),
            random_state=self.random_state,
            verbose=False,
        )
        return np.asarray(tsne.fit(X))


class UMAPProjector(_Projector):
    """umap-learn's UMAP on cosine distances.

    ``n_neighbors`` above ``n_texts - 1`` is lowered to it; UMAP cannot place two texts, so
    for two the exact PCA layout is drawn, with a warning saying so.
    """

    method = "umap"

    def __init__(
        self,
        n_components: int = 2,
        n_neighbors: int = 15,
        min_dist: float = 0.1,
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
        if self.n_neighbors < 2:
            raise ValueError(f"n_neighbors must be at least 2, got {self.n_neighbors}.")
        if not 0.0 <= self.min_dist <= 1.0:
            raise ValueError(f"min_dist must be between 0 and 1, got {self.min_dist}.")
        if n < 3:
            _clamp_warn(
                "UMAP needs at least 3 texts to build its neighbour graph; the 2 texts "
                "are drawn at their PCA positions, which keep their distance exactly."
            )
            self.pca_fallback_ = PCAProjector(self.n_components, self.random_state)
            return self.pca_fallback_._fit(X)
        n_neighbors = self.n_neighbors
        if n_neighbors > n - 1:
            _clamp_warn(
                f"UMAP n_neighbors {self.n_neighbors} is too large for {n} texts; "
                f"lowered to {n - 1}."
            )
            n_neighbors = n - 1
        self.n_neighbors_ = n_neighbors
        try:
            import umap
        except ImportError as err:
            raise ImportError("UMAP needs umap-learn: pip install umap-learn") from err
        # Spectral initialisation needs more points than output dimensions + 1.
        init = "spectral" if n > self.n_components + 1 else "random"
        extra = {}
        if n >= UMAP_PRECOMPUTED_KNN_FROM and self.metric == "cosine":
            from .similarity import top_k_neighbours

            idx, sims = top_k_neighbours(X, n_neighbors - 1)
            # umap counts each point as its own nearest neighbour, at distance 0.
            knn_idx = np.hstack([np.arange(n)[:, None], idx])
            knn_dist = np.hstack([np.zeros((n, 1), np.float32), 1.0 - sims]).clip(0.0)
            extra["precomputed_knn"] = (knn_idx, knn_dist.astype(np.float32), None)
            self.transform_note_ = (
                f"UMAP of {n:,} texts keeps no index for new points, so the query is drawn at "
                "the similarity-weighted mean position of its 5 most similar texts."
            )
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


def neighbour_placement(X_new, X_fit, Y_fit, k: int = 5) -> np.ndarray:
    """Positions for new unit vectors: the similarity-weighted mean position of their ``k``
    most similar fitted texts (for maps that cannot transform, such as t-SNE)."""
    S = np.asarray(X_new, dtype=np.float32) @ np.asarray(X_fit, dtype=np.float32).T
    k = min(k, S.shape[1])
    near = np.argpartition(-S, k - 1, axis=1)[:, :k]
    weights = np.clip(np.take_along_axis(S, near, axis=1), 1e-6, None)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("mk,mkd->md", weights, Y_fit[near])


_PROJECTORS = {"pca": PCAProjector, "tsne": TSNEProjector, "umap": UMAPProjector}


def make_projector(method: Method, n_components: int = 2, **params) -> _Projector:
    """The projector for ``method`` with its parameters.

    Raises:
        ValueError: an unknown method or a parameter the method does not take.
    """
    key = str(method).lower().replace("-", "")
    if key not in _PROJECTORS:
        raise ValueError(f"Unknown projection {method!r}. Use one of: {', '.join(METHODS)}.")
    cls = _PROJECTORS[key]
    try:
        return cls(n_components=_check_n_components(n_components), **params)
    except TypeError as err:
        raise ValueError(
            f"{METHOD_NAMES[key]} does not take these parameters: {params}. ({err})"
        ) from err


class Projection:
    """The result of :func:`project`: coordinates and what the page should say about them.

    Attributes:
        coords: float32 ``(n_texts, n_components)``.
        axis_titles: one title per axis.
        method: ``"pca"``, ``"tsne"`` or ``"umap"``.
        params: the parameters asked for.
        warnings: the :class:`ClampWarning` messages (parameters lowered for small inputs).
    """

    def __init__(self, coords, axis_titles, method, params, warnings, projector=None):
        self.coords = coords
        self.axis_titles = axis_titles
        self.method = method
        self.params = params
        self.warnings = warnings
        self.projector = projector

    def place(self, X_new) -> tuple[np.ndarray, str | None]:
        """Coordinates for new embeddings in this picture, and a note when approximate."""
        note = getattr(self.projector, "transform_note_", self.projector.transform_note)
        return self.projector.transform(X_new), note

    @property
    def name(self) -> str:
        return METHOD_NAMES[self.method]


def project(X, method: Method = "pca", n_components: int = 2, **params) -> Projection:
    """Fit the projector for ``method`` and collect its clamp warnings for the page.

    Example:
        >>> import numpy as np
        >>> p = project(np.eye(4), "tsne", perplexity=30)
        >>> p.coords.shape, p.warnings[0][:30]
        ((4, 2), 't-SNE perplexity 30 is too hig')
    """
    projector = make_projector(method, n_components, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        coords = projector.fit_transform(X)
    messages = []
    for w in caught:
        if issubclass(w.category, ClampWarning):
            messages.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return Projection(
        coords, list(projector.axis_titles_), projector.method, params, messages, projector
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
