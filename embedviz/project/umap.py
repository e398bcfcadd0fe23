"""UMAP on cosine distances (umap-learn), with embedviz's neighbour graph for many texts and,
for very many, a fit on a sample with the rest placed by UMAP's own transform."""

from __future__ import annotations

import functools
import hashlib
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..params import Param
from ._base import (
    DEFAULT_RANDOM_STATE,
    Projector,
    clamp_warn,
    register,
)
from .pca import PCAProjector

#: From this many texts UMAP would build its neighbour graph with pynndescent, whose numba
#: code compiles afresh in every process (~40 s); embedviz computes the graph itself (numpy
#: blocks, or an HNSW index for many texts) and hands it over.
UMAP_PRECOMPUTED_KNN_FROM = 4096
#: From this many texts a UMAP fit starts from the texts' PCA, not the spectral layout of
#: its graph. Measured (bench/README.md, "UMAP's start"): a full fit of the same 100,000
#: texts with the spectral start took 199-275 s, and past 9 minutes (stopped, still in its
#: eigensolver, ARPACK, run once per connected part of the graph) on a graph differing in
#: detail, while a PCA start took 48 s and kept neighbours as well (kNN recall among all
#: texts 0.612 against 0.613-0.615) with a better global layout (trustworthiness on the
#: page's 3,000 sample 0.865 against 0.713-0.725); at 10,000, 20,000 and 40,000 texts it was
#: as good or better and no slower. Kobak & Linderman (2021, Nature Biotechnology 39:156)
#: found that what keeps UMAP's (and t-SNE's) global structure is an informative start,
#: such as PCA or the spectral layout, not the algorithm. Below, UMAP's own default stays.
UMAP_PCA_START_FROM = 10_000

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
FIT_SAMPLE = Param(
    "fit_sample",
    20_000,
    low=0,
    ui=(0, 100_000, 5_000),
    help="For more than twice this many texts, UMAP learns the map from a random sample of "
    "this many, starts the rest beside their nearest sampled texts and refines all together: "
    "1.5x faster at 100,000 texts (a million fit in minutes), each text's neighbours kept "
    "nearly as well (bench/sampled_umap.py). 0 fits on all texts.",
)
#: Texts placed by one call of UMAP's transform (its memory grows with the batch).
TRANSFORM_BATCH = 20_000
#: Epochs over all texts after the sample's layout placed them (UMAP's own default for a
#: large fit is 200; at 100,000 texts 100 kept each text's 10 nearest as well as a full fit
#: does, bench/sampled_umap.py).
REFINE_EPOCHS = 100


class _SearchIndex:
    """What umap's ``transform`` asks of its search index (pynndescent's ``query``), answered
    by embedviz's :class:`~embedviz.similarity.NeighbourIndex` over the fitted texts.

    Built on the first large query, not before: the neighbour graph has its own index, and
    holding a second one through UMAP's layout cost 2 GB at a million texts. A few queries
    (search) are answered exactly, without building one.
    """

    _angular_trees = True  # umap reads it to pick a search epsilon we do not use
    #: Up to this many queries at once, an exact search over the fitted texts.
    EXACT_QUERIES = 64

    def __init__(self, X: np.ndarray):
        self.X = X
        self.index = None

    def query(self, X, k: int, epsilon: float | None = None):
        from ..similarity import NeighbourIndex

        if len(X) <= self.EXACT_QUERIES:
            index = NeighbourIndex(self.X, exact=True)
        else:
            if self.index is None:
                self.index = NeighbourIndex(self.X)
            index = self.index
        idx, sims = index.search(X, k)
        # umap drops neighbours at index -1 (its "disconnected" mark) itself.
        return idx.astype(np.int32), (1.0 - sims).clip(0.0).astype(np.float32)


#: Neighbour graphs kept per process, by their rows: the map's UMAP and the clusters'
#: neighbourhood space search the same texts (and the same sample of them) for the same
#: neighbours; the second asks this cache (100,000 texts: 10-15 s saved).
_GRAPHS: OrderedDict = OrderedDict()
KEEP_GRAPHS = 3


def rows_key(X: np.ndarray) -> str:
    """A name for these rows: what a cache of work on them is keyed by."""
    digest = hashlib.sha1(str(X.shape).encode())
    digest.update(np.ascontiguousarray(X).view(np.uint8))
    return digest.hexdigest()


def cached_knn(X: np.ndarray, n_neighbors: int, lean: bool = False, index=None):
    """:func:`precomputed_knn`, once per process for the same rows and settings (``index``:
    a search index of ``X`` the caller already made, used when the graph is not kept)."""
    if X.shape[0] < UMAP_PRECOMPUTED_KNN_FROM:
        return None
    key = (rows_key(X), n_neighbors, lean)
    if key not in _GRAPHS:
        _GRAPHS[key] = precomputed_knn(X, n_neighbors, index, lean=lean)
        while len(_GRAPHS) > KEEP_GRAPHS:
            _GRAPHS.popitem(last=False)
    _GRAPHS.move_to_end(key)
    return _GRAPHS[key]


def known_knn(X: np.ndarray, n_neighbors: int):
    """A neighbour graph of these rows already made in this process (lean or not), or None."""
    key = rows_key(X)
    for (rows, k, _), graph in reversed(_GRAPHS.items()):
        if rows == key and k >= n_neighbors:
            return graph
    return None


def precomputed_knn(X: np.ndarray, n_neighbors: int, index=None, lean: bool = False):
    """The cosine neighbour graph (exact up to :data:`embedviz.similarity.ANN_ABOVE` texts,
    from an HNSW index above) and a search index for ``transform``, in UMAP's
    ``precomputed_knn`` form, for :data:`UMAP_PRECOMPUTED_KNN_FROM` texts or more; None below
    (UMAP then builds its own).

    Args:
        X: unit rows ``(n_texts, dim)``.
        index: a :class:`~embedviz.similarity.NeighbourIndex` of ``X`` the caller made
            (and searches again); one is built when None.
        lean: from :data:`embedviz.similarity.HNSW_LEAN_FROM` texts, the sparser HNSW
            graph (:data:`embedviz.similarity.HNSW_LEAN`). Only for a graph that refines a
            layout already made: a fit from scratch on it lost 0.008 of kNN recall among
            100,000 texts to save 6 s of 54 (bench/README.md).
    """
    n = X.shape[0]
    if n < UMAP_PRECOMPUTED_KNN_FROM:
        return None
    from ..similarity import NeighbourIndex

    index = index if index is not None else NeighbourIndex(X, lean=lean)
    idx, sims = index.search(X, n_neighbors + 1)
    if (idx < 0).any():  # HNSW found fewer than asked: never seen here; exact is right
        from ..similarity import top_k_neighbours

        idx, sims = top_k_neighbours(X, n_neighbors - 1, exact=True)
    else:
        # Each text's own entry out (usually first; a duplicate may come before it).
        own = idx == np.arange(n)[:, None]
        own[~own.any(axis=1), -1] = True
        order = np.argsort(own, axis=1, kind="stable")[:, : n_neighbors - 1]
        idx = np.take_along_axis(idx, order, axis=1)
        sims = np.take_along_axis(sims, order, axis=1)
    # umap counts each point as its own nearest neighbour, at distance 0.
    knn_idx = np.hstack([np.arange(n)[:, None], idx])
    knn_dist = np.hstack([np.zeros((n, 1), np.float32), 1.0 - sims]).clip(0.0)
    return knn_idx, knn_dist.astype(np.float32), _SearchIndex(X)


#: umap's numba functions that it compiles afresh in every process (no ``cache=True``):
#: the neighbour graph's weights, the layout's epoch (the serial one: a seeded UMAP runs
#: serially), transform's start. ~9 s in each new process (``embedviz plot``, the app's
#: first UMAP). The parallel epoch is left alone: it shares its Python function with the
#: serial one, and numba's disk cache would not tell the two apart. Few texts: the small
#: inputs' neighbour search too.
_NUMBA_TO_CACHE = {
    "umap.umap_": ("smooth_knn_dist", "compute_membership_strengths", "init_transform",
                   "init_update"),
    "umap.layouts": ("_nb_optimize_layout_euclidean_single_epoch", "clip"),
    "umap.utils": ("tau_rand_int", "tau_rand", "fast_knn_indices"),
    "umap.distances": ("cosine",),
}  # fmt: skip


@functools.cache
def _umap_module():
    """umap-learn, with the numba functions in :data:`_NUMBA_TO_CACHE` kept on numba's disk
    cache (as its pynndescent does for its own) from now on."""
    try:
        import umap
    except ImportError as err:
        raise ImportError("UMAP needs umap-learn: pip install umap-learn") from err
    import importlib

    for module, names in _NUMBA_TO_CACHE.items():
        for name in names:
            function = getattr(importlib.import_module(module), name, None)
            if not hasattr(function, "enable_caching"):  # absent or changed in another umap
                continue
            try:
                function.enable_caching()
            except RuntimeError:  # numba found no folder it may write: compiled as before
                return umap
    return umap


def _cuml_umap():
    """cuML's UMAP class when cuML is installed and a CUDA GPU is there, else None
    (``pip install cuml-cu12`` on a CUDA 12 machine; see bench/gpu_check.py)."""
    try:
        import cupy
        from cuml.manifold import UMAP

        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None
    except Exception:  # noqa: BLE001 - absent, or present without a usable GPU/driver
        return None
    return UMAP


@register
class UMAPProjector(Projector):
    """umap-learn's UMAP on cosine distances.

    ``n_neighbors`` above ``n_texts - 1`` is lowered to it; UMAP cannot place two texts, so
    for two the exact PCA layout is drawn, with a warning saying so.
    """

    name = "umap"
    label = "UMAP"
    order = 30
    params = (N_NEIGHBORS, MIN_DIST, FIT_SAMPLE)
    requirement = "umap-learn"

    def __init__(
        self,
        n_components: int = 2,
        n_neighbors: int = N_NEIGHBORS.default,
        min_dist: float = MIN_DIST.default,
        fit_sample: int = FIT_SAMPLE.default,
        metric: str = "cosine",
        random_state: int | None = DEFAULT_RANDOM_STATE,
    ):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.fit_sample = fit_sample
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
        coords = self._on_gpu(X, n_neighbors)
        if coords is not None:
            return coords
        sample = self._sample(n)
        if sample is None:
            self.umap_ = self._umap(X, n_neighbors)
            return self.umap_.embedding_
        # Learn the layout from a sample, place the rest with UMAP's transform, then let all
        # texts settle together over the whole neighbour graph for a few epochs: the sample
        # keeps the global layout, the last step each text's nearest neighbours beside it.
        from ..similarity import NeighbourIndex

        # The graph over all texts first: the refinement's input, and it already names the
        # sampled texts nearest to most of the others (where they start).
        knn = cached_knn(X, n_neighbors, lean=True) if self.metric == "cosine" else None
        sampled = X[sample]
        sample_index = NeighbourIndex(sampled)
        self.umap_ = self._umap(sampled, n_neighbors, index=sample_index)
        start = np.empty((n, self.n_components), dtype=np.float32)
        start[sample] = self.umap_.embedding_
        rest = np.setdiff1d(np.arange(n), sample, assume_unique=True)
        start[rest] = self._start_near_sample(X, rest, sample, sample_index, n_neighbors, knn)
        del sampled, sample_index
        self.umap_ = self._umap(
            X, n_neighbors, init=start.astype(np.float64), n_epochs=REFINE_EPOCHS, knn=knn
        )
        clamp_warn(
            f"UMAP learned this map from a random {len(sample):,} of the {n:,} texts, placed "
            f"the other {len(rest):,} among their nearest sampled texts, then refined all "
            f"together for {REFINE_EPOCHS} epochs (fit_sample; 0 fits on all, slower)."
        )
        return self.umap_.embedding_

    def _start_near_sample(
        self,
        X: np.ndarray,
        rest: np.ndarray,
        sample: np.ndarray,
        sample_index,
        n_neighbors: int,
        knn=None,
    ) -> np.ndarray:
        """Where the texts not in the sample start: the mean of their nearest sampled texts'
        places, weighted by UMAP's own membership strengths, as UMAP's transform starts
        them. Its 30 epochs after that are left out, since the refinement moves every text
        anyway (bench/sampled_umap.py).

        The sampled texts among a text's ``n_neighbors`` nearest of all (``knn``, the graph
        the refinement uses) place it; a text with none among them (~1 in 25 with a
        sample of a fifth) has its ``n_neighbors`` nearest sampled texts looked up in
        ``sample_index``. A batch at a time: no copy of all the rows.
        """
        from umap.umap_ import smooth_knn_dist

        places = self.umap_.embedding_
        out = np.empty((len(rest), self.n_components), dtype=np.float32)

        def weighted_mean(dist, near, keep=None):
            sigmas, rhos = smooth_knn_dist(dist, float(dist.shape[1]), local_connectivity=1.0)
            weights = np.exp(-np.maximum(dist - rhos[:, None], 0.0) / sigmas[:, None])
            if keep is not None:  # a kept neighbour past the nearest may underflow to 0
                weights = np.where(keep, np.maximum(weights, np.finfo(weights.dtype).tiny), 0.0)
            weights /= weights.sum(axis=1, keepdims=True)
            return np.einsum("qk,qkd->qd", weights, places[near])

        todo = np.arange(len(rest))
        if knn is not None:
            position = np.full(X.shape[0], -1, dtype=np.int64)  # row -> place in the sample
            position[sample] = np.arange(len(sample))
            near = position[knn[0][rest, 1:]]
            keep = near >= 0
            found = keep.any(axis=1)
            out[found] = weighted_mean(
                knn[1][rest[found], 1:], np.where(keep, near, 0)[found], keep[found]
            )
            todo = todo[~found]
        for start in range(0, len(todo), TRANSFORM_BATCH):
            batch = todo[start : start + TRANSFORM_BATCH]
            near, sims = sample_index.search(X[rest[batch]], n_neighbors)
            out[batch] = weighted_mean((1.0 - sims).clip(0.0).astype(np.float32), near)
        return out

    def _on_gpu(self, X: np.ndarray, n_neighbors: int) -> np.ndarray | None:
        """The map from cuML's UMAP when cuML is installed and sees a GPU (every text, no
        sample: a million take seconds there); None otherwise, or when it fails (said)."""
        cuml_umap = _cuml_umap() if self.metric == "cosine" else None
        if cuml_umap is None:
            return None
        try:
            # Unit rows: euclidean distance ranks neighbours exactly as cosine does, and
            # every cuML neighbour algorithm takes it.
            self.umap_ = cuml_umap(
                n_components=self.n_components,
                n_neighbors=n_neighbors,
                min_dist=self.min_dist,
                metric="euclidean",
                init="spectral",
                random_state=self.random_state,
                output_type="numpy",
            )
            coords = np.asarray(self.umap_.fit_transform(X), dtype=np.float32)
        except Exception as err:  # noqa: BLE001 - any GPU failure: the CPU still draws it
            clamp_warn(f"cuML's UMAP failed on the GPU ({err}); UMAP ran on the CPU instead.")
            return None
        self.used_params_.pop("fit_sample", None)
        clamp_warn(
            "UMAP ran on the GPU with cuML, on every text; the standalone script runs "
            "umap-learn on the CPU, whose map differs in detail."
        )
        return coords

    def _sample(self, n: int) -> np.ndarray | None:
        """The texts the map is learned from: a seeded random ``fit_sample`` when there are
        more than twice as many texts; None for all."""
        size = int(self.fit_sample)
        if size <= 0 or n <= 2 * size:
            self.used_params_.pop("fit_sample", None)
            return None
        rng = np.random.default_rng(self.random_state)
        return np.sort(rng.choice(n, size, replace=False))

    def _umap(
        self,
        X: np.ndarray,
        n_neighbors: int,
        init=None,
        n_epochs: int | None = None,
        index=None,
        knn=None,
    ):
        """A fitted ``umap.UMAP`` of ``X``. ``knn``: :func:`precomputed_knn` of ``X`` when
        the caller has it already; else it is computed here (with ``index``, a
        :class:`~embedviz.similarity.NeighbourIndex` of ``X``, when given)."""
        umap = _umap_module()

        n = X.shape[0]
        if init is None:
            init = start_for(n, self.n_components)
        extra = {}
        if knn is None and self.metric == "cosine":
            knn = cached_knn(X, n_neighbors, index=index)
        if knn is not None:
            extra["precomputed_knn"] = knn
        reducer = umap.UMAP(
            n_components=self.n_components,
            n_neighbors=n_neighbors,
            min_dist=self.min_dist,
            metric=self.metric,
            init=init,
            n_epochs=n_epochs or getattr(self, "layout_epochs", None),
            random_state=self.random_state,
            **extra,
        )
        with warnings.catch_warnings():
            # A fixed seed makes umap single-threaded and it says so each time; we choose that.
            warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
            # Our search index is not pynndescent's; umap warns, and transform still uses it.
            warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
            reducer.fit(X)
        return reducer

    def _transform(self, X, rows: np.ndarray | None = None):
        """Places for ``X`` (or for its ``rows`` only), a batch at a time: no copy of all
        the rows at once."""
        if hasattr(self, "pca_fallback_"):
            return self.pca_fallback_._transform(X if rows is None else X[rows])
        rows = np.arange(X.shape[0]) if rows is None else rows
        out = np.empty((len(rows), self.n_components), dtype=np.float32)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
            for start in range(0, len(rows), TRANSFORM_BATCH):
                batch = rows[start : start + TRANSFORM_BATCH]
                out[start : start + len(batch)] = self.umap_.transform(X[batch])
        return out

    @classmethod
    def script(cls, n_texts, dims, params, random_state):
        if n_texts < 3:
            return PCAProjector.script(n_texts, dims, params, random_state)
        neighbours = min(int(params.get("n_neighbors", N_NEIGHBORS.default)), n_texts - 1)
        min_dist = float(params.get("min_dist", MIN_DIST.default))
        init = start_for(n_texts, dims)
        settings = (
            f"n_components={dims}, n_neighbors={neighbours}, min_dist={min_dist:g}, "
            'metric="cosine", '
        )
        size = int(params.get("fit_sample", 0))
        if size <= 0 or n_texts <= 2 * size:
            return (
                "import umap\n\n"
                f'coords = umap.UMAP({settings}init="{init}", '
                f"random_state={random_state}).fit_transform(U)\n"
            )
        return (
            "import umap\n"
            "from umap.umap_ import smooth_knn_dist\n\n"
            f"# The layout is learned from a random {size:,} texts; each other text starts at "
            f"the mean of its {neighbours} nearest\n"
            "# sampled texts' places, weighted as UMAP's transform weighs them; then all are "
            f"refined together for {REFINE_EPOCHS} epochs.\n"
            f"fit = np.sort(np.random.default_rng({random_state}).choice(len(U), {size}, "
            "replace=False))\n"
            "rest = np.setdiff1d(np.arange(len(U)), fit)\n"
            f'sample_map = umap.UMAP({settings}init="{start_for(size, dims)}", '
            f"random_state={random_state}).fit(U[fit])\n"
            f"start = np.empty((len(U), {dims}))\n"
            "start[fit] = sample_map.embedding_\n"
            "for s in range(0, len(rest), 2000):\n"
            "    batch = rest[s : s + 2000]\n"
            "    sims = U[batch] @ U[fit].T\n"
            f"    near = np.argsort(-sims, axis=1)[:, :{neighbours}]\n"
            "    dist = (1 - np.take_along_axis(sims, near, axis=1)).clip(0).astype(np.float32)\n"
            f"    sigmas, rhos = smooth_knn_dist(dist, {float(neighbours)}, "
            "local_connectivity=1.0)\n"
            "    w = np.exp(-np.maximum(dist - rhos[:, None], 0) / sigmas[:, None])\n"
            "    start[batch] = (w[..., None] * sample_map.embedding_[near]).sum(1) / "
            "w.sum(1, keepdims=True)\n"
            f"coords = umap.UMAP({settings}init=start, n_epochs={REFINE_EPOCHS}, "
            f"random_state={random_state}).fit_transform(U)\n"
        )


def start_for(n: int, dims: int) -> str:
    """How a UMAP fit of ``n`` texts starts: "pca" from :data:`UMAP_PCA_START_FROM` texts,
    else "spectral"; "random" when there are too few for a spectral layout (it needs more
    points than dimensions + 1)."""
    if n <= dims + 1:
        return "random"
    return "pca" if n >= UMAP_PCA_START_FROM else "spectral"


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


#: Epochs of the neighbourhood space's layout (UMAP's own are 500 up to 10,000 texts, 200
#: above). Clusters found after 100 scored as after UMAP's own on four real corpora
#: (k-means 0.734/0.302/0.120/0.115 against 0.733/0.302/0.120/0.115) in a fifth to a
#: half of the time (bench/README.md).
SPACE_EPOCHS: int | None = 100


@dataclass
class Space:
    """Where clusters are found: ``coords`` ``(len(rows), dims)`` for the texts at ``rows``
    (all of them, or a sample of many), and how to carry labels found there to every text
    (:meth:`spread`)."""

    coords: np.ndarray
    rows: np.ndarray
    n: int
    X: np.ndarray

    @property
    def sampled(self) -> bool:
        return len(self.rows) < self.n

    def spread(self, labels: np.ndarray, k: int = 15) -> np.ndarray:
        """Labels of all texts from those of ``rows``: each other text takes the label most
        of its ``k`` nearest sampled texts carry (-1 stays noise when most are noise). Its
        nearest come from the neighbour graph the map already made, where it holds sampled
        texts, else from a search of the sample."""
        if not self.sampled:
            return labels
        out = np.full(self.n, -1, dtype=np.int64)
        out[self.rows] = labels
        position = np.full(self.n, -1, dtype=np.int64)
        position[self.rows] = np.arange(len(self.rows))
        rest = np.setdiff1d(np.arange(self.n), self.rows, assume_unique=True)
        votes = np.full((len(rest), k), -2, dtype=np.int64)  # -2: no vote
        graph = known_knn(self.X, 1)
        todo = np.arange(len(rest))
        if graph is not None:
            near = position[graph[0][rest, 1:]]
            have = near >= 0
            found = have.any(axis=1)
            picked = np.where(have, labels[np.where(have, near, 0)], -2)[found]
            votes[found, : picked.shape[1]] = picked[:, :k]
            todo = todo[~found]
        if len(todo):
            from ..similarity import NeighbourIndex

            near, _ = NeighbourIndex(self.X[self.rows]).search(self.X[rest[todo]], k)
            votes[todo] = np.where(near >= 0, labels[np.maximum(near, 0)], -2)
        ids = np.unique(labels)
        counts = np.stack([(votes == c).sum(axis=1) for c in ids], axis=1)
        out[rest] = ids[np.argmax(counts, axis=1)]
        return out


def neighbourhood_space(
    X: np.ndarray,
    n_components: int = 5,
    random_state: int | None = DEFAULT_RANDOM_STATE,
    fit_sample: int = FIT_SAMPLE.default,
) -> Space:
    """The texts in a UMAP of ``n_components`` dimensions made for clustering, not for
    looking at (BERTopic's reduction: 15 neighbours, min_dist 0, cosine): each text stays
    beside its nearest texts and groups pull apart, which k-means, HDBSCAN and Ward find far
    better than in the raw embeddings (bench/real_corpora.py). It uses the map's machinery
    (embedviz's neighbour graph, cached; the PCA start from 10,000 texts). For more than
    twice ``fit_sample`` texts only the map's own seeded sample is placed: clusters are
    found among it and carried to the rest by their nearest sampled texts
    (:meth:`Space.spread`), which at 100,000 texts took 16 s where a space of all texts
    took 48 s."""
    X = np.asarray(X, dtype=np.float32)
    n = X.shape[0]
    projector = UMAPProjector(
        n_components=n_components,
        n_neighbors=15,
        min_dist=0.0,
        fit_sample=fit_sample,
        random_state=random_state,
    )
    projector.used_params_ = {}
    projector.layout_epochs = SPACE_EPOCHS
    rows = projector._sample(n)
    rows = np.arange(n) if rows is None else rows
    projector.fit_sample = 0  # the sample is placed whole: no second sampling inside
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its clamps are said by the map, not twice
        coords = projector._fit(X if len(rows) == n else X[rows])
    return Space(np.asarray(coords, dtype=np.float32), rows, n, X)
