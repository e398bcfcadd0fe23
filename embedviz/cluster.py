"""Analyse: group the texts by their embeddings (never by the 2-D picture).

Three clusterers with scikit-learn's shape (``fit(X)`` returns ``self`` and sets ``labels_``,
``n_clusters_``): k-means with k chosen by silhouette when left on auto, HDBSCAN (label -1 is
noise) and average-linkage agglomerative clustering on cosine distance. Rows are
L2-normalised first, so every method sees cosine geometry.

k-means on up to :data:`CONSENSUS_UP_TO` texts is a consensus: one run of k-means picks one
of several near-equal partitions by the luck of its seed (on the shipped labelled sets the
ARI against the topics ranged 0.62-0.91 over ten seeds), so it runs
:data:`CONSENSUS_RUNS` times and groups the texts that the runs put together most often
(evidence accumulation, Fred & Jain 2005). Auto k there comes from the deterministic
average-linkage tree's best silhouette, lowered when the consensus leaves a text alone.
``bench/cluster_stability.py`` measures both.

Cluster ids are renumbered by size, largest first (0, 1, 2, ...), so that colours and legends
are stable between methods; noise stays -1.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = np.repeat(np.eye(8)[:2], 5, axis=0) + rng.normal(scale=0.05, size=(10, 8))
    >>> cluster(X, "kmeans").n_clusters
    2
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import ClassVar, Literal

import numpy as np

from ._validation import ClampWarning, check_embeddings
from .errors import ParameterError
from .params import Param, check_params
from .project import DEFAULT_RANDOM_STATE
from .project.umap import Space, neighbourhood_space, rows_key

ClusterMethod = Literal["kmeans", "hdbscan", "agglomerative", "none"]
NOISE = -1
#: Auto k tries 2 .. this many clusters (and at most sqrt(n_texts)); in the neighbourhood
#: space, where topics separate, up to MAX_AUTO_K_SPACE (HSK's 19 topics were found as
#: 14-20 there, bench/real_corpora.py).
MAX_AUTO_K = 12
MAX_AUTO_K_SPACE = 20
#: From this many texts clusters are found in the neighbourhood space: a 5-D UMAP of the
#: embeddings (BERTopic's reduction) where each text stays beside its nearest texts. On
#: real corpora of 200 to 7,000 texts k-means there found the labels' groups at adjusted
#: Rand 0.69-0.76 where the embeddings gave 0.16-0.61 (sayings by source), and HSK's topics
#: at 0.07-0.12 against 0.01-0.04 (bench/README.md). On our 40-50-text samples both ways
#: score the same (0.91, 0.94); below, the embeddings need no UMAP fit.
CLUSTER_SPACE_FROM = 200
CLUSTER_SPACE_DIMS = 5
#: Auto k prefers partitions whose largest cluster holds at most this share of the texts.
MAX_CLUSTER_SHARE = 0.5
#: Ward's linkage holds the n x n distances up to this many texts; above, it links
#: WARD_MICRO k-means micro-clusters of the neighbourhood space.
WARD_DIRECT_UP_TO = 10_000
WARD_MICRO = 1000
#: Silhouette on a sample of this many texts above it (the exact score is O(n^2)).
SILHOUETTE_SAMPLE = 3000
#: Above this many texts auto k is chosen on a random sample of this size.
AUTO_K_SAMPLE = 4000
#: Above this many texts HDBSCAN runs on the first HDBSCAN_PCA_DIMS principal components.
HDBSCAN_PCA_ABOVE = 5000
HDBSCAN_PCA_DIMS = 50
#: The number of clusters when it is set (k-means, agglomerative); None or "auto" chooses it.
K = Param("k", 5, low=1, ui=(2, 40, 1), help="How many clusters; unset: chosen by silhouette.")
#: Agglomerative clustering holds the n x n distances; above this many texts use k-means.
MAX_AGGLOMERATIVE = 10_000
#: Up to this many texts k-means is the consensus of CONSENSUS_RUNS runs (about 3 s at
#: 1,000 texts on 2 cores); above, one k-means with KMEANS_N_INIT restarts.
CONSENSUS_UP_TO = 1000
CONSENSUS_RUNS = 100
KMEANS_N_INIT = 3
#: From this many texts k-means runs Lloyd's iterations here, a block of rows at a time,
#: from centres learned on a sample: scikit-learn's KMeans centres a copy of all the rows
#: and held 3.8 GB more than the embeddings at a million texts (bench/README.md).
KMEANS_BLOCKS_FROM = 100_000
#: The sample those centres are learned on (k-means++ with KMEANS_N_INIT restarts).
KMEANS_SAMPLE = 20_000
#: Rows per block of the blockwise k-means.
KMEANS_BLOCK = 65_536


def lloyd(
    X: np.ndarray, centres: np.ndarray, max_iter: int = 300, tol: float = 1e-4
) -> tuple[np.ndarray, np.ndarray]:
    """k-means from ``centres``, reading ``X`` a block of :data:`KMEANS_BLOCK` rows at a
    time and never copying it (it may be a read-only memory map). Lloyd's iterations as
    scikit-learn's ``KMeans(init=centres, n_init=1)`` runs them: stops when no label changes
    or the centres move (summed squared shift) less than ``tol`` times the data's mean
    variance; an emptied cluster keeps its centre. Returns (labels, centres)."""
    n, k = X.shape[0], len(centres)
    blocks = [slice(s, min(s + KMEANS_BLOCK, n)) for s in range(0, n, KMEANS_BLOCK)]
    sums, squares = np.zeros(X.shape[1]), np.zeros(X.shape[1])
    for b in blocks:
        rows = np.asarray(X[b], dtype=np.float64)
        sums += rows.sum(axis=0)
        squares += np.einsum("ij,ij->j", rows, rows)
    threshold = tol * float(np.mean(squares / n - (sums / n) ** 2))

    centres = np.asarray(centres, dtype=np.float64)
    labels = np.full(n, -1, dtype=np.int64)

    def assign() -> tuple[bool, np.ndarray]:
        """Label every row by its nearest centre, in one pass over ``X`` that also sums each
        cluster's rows; whether any label changed, and the sums."""
        changed, totals = False, np.zeros_like(centres)
        half_norms = 0.5 * np.einsum("ij,ij->i", centres, centres).astype(np.float32)
        c32 = centres.astype(np.float32)
        for b in blocks:
            rows = np.asarray(X[b], dtype=np.float32)
            new = np.argmin(half_norms - rows @ c32.T, axis=1)
            changed |= bool(np.any(new != labels[b]))
            labels[b] = new
            totals += (new[:, None] == np.arange(k)).astype(np.float32).T @ rows
        return changed, totals

    for _ in range(max_iter):
        changed, totals = assign()
        if not changed:
            break
        counts = np.bincount(labels, minlength=k)
        moved = np.where(counts[:, None] > 0, totals / np.maximum(counts, 1)[:, None], centres)
        shift = float(np.sum((moved - centres) ** 2))
        centres = moved
        if shift <= threshold:
            assign()
            break
    return labels, centres


def consensus_kmeans(X: np.ndarray, k: int, runs: int = CONSENSUS_RUNS, random_state=0):
    """Cluster ids from ``runs`` k-means runs (one k-means++ start each): texts that the runs
    put in one cluster most often end up together (average linkage on the share of runs
    that split each pair, cut into ``k`` clusters).

    Returns:
        int ``(n,)``, ids 0..k-1 (fewer when the runs never split some texts).
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform
    from sklearn.cluster import KMeans

    n = X.shape[0]
    if k >= n:
        return np.arange(n)
    rng = np.random.default_rng(random_state)
    together = np.zeros((n, n), dtype=np.int32)
    for _ in range(runs):
        seed = int(rng.integers(2**31 - 1))
        labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(X)
        together += labels[:, None] == labels[None, :]
    apart = 1.0 - together / runs
    np.fill_diagonal(apart, 0.0)
    tree = linkage(squareform(apart, checks=False), method="average")
    return fcluster(tree, t=k, criterion="maxclust") - 1


def _silhouette(
    X: np.ndarray, labels: np.ndarray, random_state, rows=None, metric: str = "cosine"
) -> float:
    """Cosine silhouette of ``labels``, the labels of ``X[rows]`` (all rows when None), on a
    seeded sample of :data:`SILHOUETTE_SAMPLE` when there are more. The sample is drawn as
    scikit-learn draws it, before any row is copied: the rows of a million texts were
    copied whole (2 GB) to read a sample of them."""
    from sklearn.metrics import silhouette_score
    from sklearn.utils import check_random_state

    n = len(labels)
    rows = np.arange(n) if rows is None else np.asarray(rows)
    if n > SILHOUETTE_SAMPLE:
        picked = check_random_state(random_state).permutation(n)[:SILHOUETTE_SAMPLE]
        rows, labels = rows[picked], labels[picked]
    return float(silhouette_score(X[rows], labels, metric=metric))


_SPACES: OrderedDict = OrderedDict()
#: Neighbourhood spaces kept per process (each ~20 MB at a million texts): switching the
#: clusterer, or the topic tree's levels, reuses the space instead of fitting UMAP again.
KEEP_SPACES = 2


def cluster_space(X: np.ndarray, random_state=DEFAULT_RANDOM_STATE) -> Space:
    """:func:`embedviz.project.umap.neighbourhood_space` of these unit rows, fitted once per
    process for the same rows and seed."""
    key = (rows_key(X), random_state)
    if key not in _SPACES:
        _SPACES[key] = neighbourhood_space(X, CLUSTER_SPACE_DIMS, random_state)
        while len(_SPACES) > KEEP_SPACES:
            _SPACES.popitem(last=False)
    _SPACES.move_to_end(key)
    return _SPACES[key]


def _largest_share(labels: np.ndarray) -> float:
    """The share of all texts in the largest cluster (noise is no cluster)."""
    kept = labels[labels != NOISE]
    return float(np.bincount(kept - kept.min()).max() / len(labels)) if kept.size else 0.0


def _by_size(labels: np.ndarray) -> np.ndarray:
    """Renumber cluster ids by size, largest first, ties by first appearance; noise stays -1."""
    ids = [c for c in dict.fromkeys(labels.tolist()) if c != NOISE]
    ids.sort(key=lambda c: -int(np.sum(labels == c)))
    mapping = {c: k for k, c in enumerate(ids)}
    return np.array([mapping.get(c, NOISE) for c in labels.tolist()], dtype=np.int64)


def _auto_k_range(n: int, most: int = MAX_AUTO_K) -> range:
    # At most sqrt(n) clusters: on a few dozen texts the silhouette otherwise favours many
    # clusters of two or three (a sentence and its paraphrase).
    return range(2, max(2, min(most, n - 1, int(np.sqrt(n)))) + 1)


SPACE = Param(
    "space",
    "auto",
    choices=("auto", "embeddings", "neighbourhoods"),
    help="Where clusters are found: 'neighbourhoods', a 5-D UMAP that keeps each text's "
    "nearest texts together (BERTopic's way); 'embeddings', the vectors themselves; 'auto' "
    f"the first from {CLUSTER_SPACE_FROM} texts, where it found the topics of real corpora "
    "far better.",
)


class _Clusterer:
    #: registry key and CLI value.
    method: ClassVar[str]
    #: what people read.
    label: ClassVar[str]
    #: whether it takes a number of clusters k ("auto": chosen by silhouette).
    takes_k: ClassVar[bool] = False
    #: its other tunable parameters.
    params: ClassVar[tuple[Param, ...]] = (SPACE,)

    space: str = "auto"

    def fit(self, X, y=None):
        X = check_embeddings(X)
        n = X.shape[0]
        self.scores_: dict[int, float] = {}
        self.silhouette_: float | None = None
        self.space_ = "embeddings"
        if n < 3:
            warnings.warn(
                f"{n} text{'s' * (n != 1)}: too few to cluster, so all are one group.",
                ClampWarning,
                stacklevel=2,
            )
            labels = np.zeros(n, dtype=np.int64)
        else:
            if self.space == "neighbourhoods" or (self.space == "auto" and n >= CLUSTER_SPACE_FROM):
                space = cluster_space(X, self._seed())
                labels = space.spread(self._fit_space(space.coords))
                if space.sampled:
                    labels = self._spread_done(X, labels)
                self.space_ = "neighbourhoods"
            else:
                labels = self._fit(X)
            labels = _by_size(np.asarray(labels, dtype=np.int64))
            clustered = labels != NOISE
            found = len(set(labels[clustered].tolist()))
            # The silhouette the page shows is the embeddings' own (cosine), whatever space
            # the clusters were found in: one meaning at every size.
            self.silhouette_ = None
            if 2 <= found < clustered.sum():
                self.silhouette_ = _silhouette(
                    X, labels[clustered], self._seed(), rows=np.flatnonzero(clustered)
                )
        self.labels_ = labels
        self.n_clusters_ = len(set(labels.tolist()) - {NOISE})
        return self

    def fit_predict(self, X, y=None) -> np.ndarray:
        return self.fit(X).labels_

    def _seed(self):
        return getattr(self, "random_state", DEFAULT_RANDOM_STATE)

    def _fit(self, X: np.ndarray) -> np.ndarray:
        """Labels found in the unit embeddings themselves (cosine geometry)."""
        raise NotImplementedError

    def _fit_space(self, R: np.ndarray) -> np.ndarray:
        """Labels found in the neighbourhood space (a low-dimensional UMAP, euclidean)."""
        raise NotImplementedError

    def _spread_done(self, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Labels of all texts once a sample's were carried to the rest (see
        :meth:`embedviz.project.umap.Space.spread`)."""
        return labels

    def _pick_k(
        self,
        X: np.ndarray,
        labels_for_k,
        sample: bool = True,
        metric: str = "cosine",
        most: int = MAX_AUTO_K,
    ) -> np.ndarray:
        """Fit every k in the auto range and keep the labels with the best silhouette (in
        ``metric``), among the partitions whose largest cluster holds at most
        :data:`MAX_CLUSTER_SHARE` of the texts when there are any such: on real corpora the
        best silhouette was often k = 2 with one cluster of 80-99 % (a small, far group
        split off the rest), a partition no reader wants.

        Above :data:`AUTO_K_SAMPLE` texts k is chosen on a fixed random sample and the final
        clustering of all texts uses that k, so auto costs one full fit, not eleven.
        """
        n = X.shape[0]
        if sample and n > AUTO_K_SAMPLE:
            rng = np.random.default_rng(self._seed())
            sample = np.sort(rng.choice(n, AUTO_K_SAMPLE, replace=False))
            self._pick_k(X[sample], labels_for_k, sample=False, metric=metric, most=most)
            if not self.scores_:
                return np.zeros(n, dtype=np.int64)
            return labels_for_k(self.chosen_k_, X)
        candidates = []
        for k in _auto_k_range(n, most):
            labels = labels_for_k(k, X)
            if len(set(labels.tolist())) < 2:
                continue
            score = _silhouette(X, labels, self._seed(), metric=metric)
            self.scores_[k] = score
            share = np.bincount(labels - labels.min()).max() / len(labels)
            candidates.append((share <= MAX_CLUSTER_SHARE, score, k, labels))
        if not candidates:
            return np.zeros(X.shape[0], dtype=np.int64)
        _, _, self.chosen_k_, best = max(candidates, key=lambda c: (c[0], c[1]))
        return best

    def _fixed_k(self, n: int) -> int:
        k = int(self.n_clusters)
        if k < 1:
            raise ValueError(f"n_clusters must be at least 1 or 'auto', got {self.n_clusters!r}.")
        if k > n:
            warnings.warn(
                f"{k} clusters asked for but there are only {n} texts; using {n}.",
                ClampWarning,
                stacklevel=4,
            )
            k = n
        return k


class KMeansClusterer(_Clusterer):
    """k-means on the neighbourhood space (from :data:`CLUSTER_SPACE_FROM` texts) or the
    normalised embeddings; ``n_clusters="auto"`` picks k by silhouette."""

    method = "kmeans"
    label = "k-means"
    takes_k = True

    def __init__(
        self,
        n_clusters: int | Literal["auto"] = "auto",
        random_state=DEFAULT_RANDOM_STATE,
        space: str = SPACE.default,
    ):
        self.n_clusters = n_clusters
        self.random_state = random_state
        self.space = space

    def _fit_space(self, R: np.ndarray) -> np.ndarray:
        from sklearn.cluster import KMeans

        def fit_k(k: int, data: np.ndarray) -> np.ndarray:
            model = KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=self.random_state)
            return model.fit_predict(data)

        if self.n_clusters == "auto":
            return self._pick_k(R, fit_k, metric="euclidean", most=MAX_AUTO_K_SPACE)
        return fit_k(self._fixed_k(len(R)), R)

    def _kmeans(self, X, k, init=None):
        """k-means labels; from ``init`` centres (one run) when given, else k-means++ with
        :data:`KMEANS_N_INIT` restarts (from :data:`KMEANS_BLOCKS_FROM` texts: on a sample,
        then :func:`lloyd` over all of them). Also keeps the centres in ``centres_``."""
        from sklearn.cluster import KMeans

        n = X.shape[0]
        if n >= KMEANS_BLOCKS_FROM:
            if init is None:  # k-means++ and its restarts on a sample, then all rows
                rng = np.random.default_rng(self.random_state)
                rows = X[np.sort(rng.choice(n, min(n, KMEANS_SAMPLE), replace=False))]
                model = KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=self.random_state)
                init = model.fit(rows).cluster_centers_
            labels, self.centres_ = lloyd(X, init)
            return labels
        if init is None:
            model = KMeans(n_clusters=k, n_init=KMEANS_N_INIT, random_state=self.random_state)
        else:
            model = KMeans(n_clusters=k, init=init, n_init=1, random_state=self.random_state)
        labels = model.fit_predict(X)
        self.centres_ = model.cluster_centers_
        return labels

    def _kmeans_for_k(self, k: int, data: np.ndarray) -> np.ndarray:
        """Auto k's fits: on the sample, keeping each k's centres; then the fit of all texts
        (more than the sample) starts from the chosen k's sample centres, one run of a few
        iterations instead of three from scratch (100,000 texts: 0.6 s, not 4.4; inertia
        within 0.2 %)."""
        if k in self._sample_centres and len(data) > AUTO_K_SAMPLE:
            return self._kmeans(data, k, init=self._sample_centres.pop(k))
        labels = self._kmeans(data, k)
        self._sample_centres[k] = self.centres_
        return labels

    def _fit(self, X):
        n = X.shape[0]
        if n > CONSENSUS_UP_TO:
            if self.n_clusters == "auto":
                self._sample_centres: dict[int, np.ndarray] = {}
                return self._pick_k(X, self._kmeans_for_k)
            return self._kmeans(X, self._fixed_k(n))
        if self.n_clusters == "auto":
            # k from the average-linkage tree's best silhouette: the same k for every seed.
            tree = AgglomerativeClusterer._tree(X)
            self._pick_k(X, lambda k, data=None: _cut(tree, k), sample=False)
            if not self.scores_:
                return np.zeros(n, dtype=np.int64)
            k = self.chosen_k_
            labels = consensus_kmeans(X, k, CONSENSUS_RUNS, self.random_state)
            # A "cluster" of one text is no group: k was too high for these texts (average
            # linkage splits off outliers first). Ask for that many fewer, once.
            alone = int(np.sum(np.bincount(labels) == 1))
            if alone and k - alone >= 2:
                labels = consensus_kmeans(X, k - alone, CONSENSUS_RUNS, self.random_state)
            return labels
        return consensus_kmeans(X, self._fixed_k(n), CONSENSUS_RUNS, self.random_state)


def _cut(tree, k: int) -> np.ndarray:
    from scipy.cluster.hierarchy import fcluster

    return fcluster(tree, t=k, criterion="maxclust") - 1


class AgglomerativeClusterer(_Clusterer):
    """Ward's linkage on the neighbourhood space (from :data:`CLUSTER_SPACE_FROM` texts; above
    :data:`WARD_DIRECT_UP_TO` on :data:`WARD_MICRO` k-means micro-clusters of it, so it holds
    at any size), or average linkage on cosine distance below; ``"auto"`` picks k by
    silhouette."""

    method = "agglomerative"
    label = "Agglomerative"
    takes_k = True

    def __init__(
        self,
        n_clusters: int | Literal["auto"] = "auto",
        random_state=DEFAULT_RANDOM_STATE,
        space: str = SPACE.default,
    ):
        self.n_clusters = n_clusters
        self.random_state = random_state
        self.space = space

    def _fit_space(self, R: np.ndarray) -> np.ndarray:
        from scipy.cluster.hierarchy import linkage

        n = len(R)
        if n > WARD_DIRECT_UP_TO:
            from sklearn.cluster import KMeans

            micro = KMeans(n_clusters=WARD_MICRO, n_init=1, random_state=self.random_state)
            parts = micro.fit_predict(R)
            tree = linkage(micro.cluster_centers_.astype(np.float64), method="ward")

            def cut(k, data=None):
                return _cut(tree, k)[parts]
        else:
            tree = linkage(R.astype(np.float64), method="ward")

            def cut(k, data=None):
                return _cut(tree, k)

        if self.n_clusters == "auto":
            return self._pick_k(R, cut, sample=False, metric="euclidean", most=MAX_AUTO_K_SPACE)
        return cut(self._fixed_k(n))

    def _fit(self, X):
        n = X.shape[0]
        if n > MAX_AGGLOMERATIVE:
            raise ValueError(
                f"Agglomerative clustering of {n:,} texts in the embeddings themselves needs "
                f"{n * n * 4 / 2**30:.1f} GiB of distances; it is offered up to "
                f"{MAX_AGGLOMERATIVE:,} texts there. Leave space on auto (it then runs on "
                "the neighbourhood space, at any size), or use k-means."
            )
        tree = self._tree(X)

        def cut(k, data=None):
            return _cut(tree, k)

        if self.n_clusters == "auto":
            # One tree gives every k cheaply: no need to choose k on a sample.
            return self._pick_k(X, cut, sample=False)
        return cut(self._fixed_k(n))

    @staticmethod
    def _tree(X: np.ndarray):
        from scipy.cluster.hierarchy import linkage

        return linkage(X.astype(np.float64), method="average", metric="cosine")


MIN_CLUSTER_SIZE = Param(
    "min_cluster_size",
    0,
    low=0,
    ui=(0, 500, 1),
    help="The fewest texts that make a cluster; 0 chooses sqrt(n) / 2 (2 to 100).",
)


MAX_NOISE = Param(
    "max_noise",
    0.3,
    low=0.0,
    high=1.0,
    ui=(0.0, 1.0, 0.05),
    help="The largest share of texts left as noise: the noise nearest a cluster joins it "
    "until no more is left; 0 puts every text in its nearest cluster, 1 keeps HDBSCAN's own.",
)


class HDBSCANClusterer(_Clusterer):
    """HDBSCAN on the neighbourhood space (from :data:`CLUSTER_SPACE_FROM` texts) or the
    normalised embeddings; texts in no dense group get label -1 (noise), at most
    ``max_noise`` of them (the noise nearest a cluster joins it).

    ``min_cluster_size`` 0 picks ``sqrt(n) / 2`` (at least 5 in the neighbourhood space,
    2 otherwise; at most 100). When its usual selection ("eom") leaves one cluster with more
    than :data:`MAX_CLUSTER_SHARE` of the texts, the finer one ("leaf") is taken. On the
    embeddings above :data:`HDBSCAN_PCA_ABOVE` texts it runs on 50 principal components.
    """

    method = "hdbscan"
    label = "HDBSCAN"
    params = (MIN_CLUSTER_SIZE, MAX_NOISE, SPACE)

    def __init__(
        self,
        min_cluster_size: int | None = MIN_CLUSTER_SIZE.default,
        max_noise: float = MAX_NOISE.default,
        space: str = SPACE.default,
        random_state=DEFAULT_RANDOM_STATE,
    ):
        self.min_cluster_size = min_cluster_size
        self.max_noise = max_noise
        self.space = space
        # HDBSCAN itself is deterministic; the neighbourhood space it runs in is seeded.
        self.random_state = random_state

    def _fit_space(self, R: np.ndarray) -> np.ndarray:
        from sklearn.cluster import HDBSCAN

        n = len(R)
        size = self.min_cluster_size or int(np.clip(round(np.sqrt(n) / 2), 5, 100))
        size = max(2, min(size, n))
        self.min_cluster_size_ = size
        labels = HDBSCAN(min_cluster_size=size, min_samples=5, copy=True).fit_predict(R)
        if _largest_share(labels) > MAX_CLUSTER_SHARE:
            finer = HDBSCAN(
                min_cluster_size=size, min_samples=5, cluster_selection_method="leaf", copy=True
            ).fit_predict(R)
            if len(set(finer.tolist()) - {NOISE}) >= 2:
                labels = finer
        return self._cap_noise(R, labels)

    def _spread_done(self, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
        # Texts whose nearest sampled texts were mostly noise are noise: the cap again, by
        # closeness in the embeddings (only the sample has a place in the space).
        return self._cap_noise(X, labels)

    def _cap_noise(self, Z: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """The noise nearest a cluster's centre joins that cluster, nearest first, until at
        most ``max_noise`` of the texts are noise."""
        noise = np.flatnonzero(labels == NOISE)
        allowed = int(np.floor(float(self.max_noise) * len(labels)))
        ids = sorted(set(labels.tolist()) - {NOISE})
        if len(noise) <= allowed or not ids:
            return labels
        centres = np.stack([Z[labels == c].mean(axis=0) for c in ids]).astype(np.float32)
        # Squared distances by products (no noise x clusters x dims array): |z|^2 is the same
        # for every cluster of a text, so it does not change which is nearest or the order.
        distance = (centres * centres).sum(axis=1)[None, :] - 2.0 * (Z[noise] @ centres.T)
        distance += np.einsum("ij,ij->i", Z[noise], Z[noise])[:, None]
        nearest = distance.argmin(axis=1)
        order = np.argsort(distance[np.arange(len(noise)), nearest], kind="stable")
        joins = order[: len(noise) - allowed]
        labels = labels.copy()
        labels[noise[joins]] = np.asarray(ids)[nearest[joins]]
        return labels

    def _fit(self, X):
        from sklearn.cluster import HDBSCAN

        n = X.shape[0]
        size = self.min_cluster_size or int(np.clip(round(np.sqrt(n) / 2), 2, 100))
        if size < 2:
            raise ValueError(f"min_cluster_size must be at least 2, got {size}.")
        size = min(size, n)
        self.min_cluster_size_ = size
        if n > HDBSCAN_PCA_ABOVE and X.shape[1] > HDBSCAN_PCA_DIMS:
            # In 512-D, HDBSCAN's neighbour search is brute force: 10,000 texts took 71 s,
            # 20,000 about 5 minutes. On 50 principal components 20,000 take 12 s.
            from sklearn.decomposition import PCA

            pca = PCA(HDBSCAN_PCA_DIMS, random_state=0).fit(X)
            X = pca.transform(X)
            warnings.warn(
                f"HDBSCAN of {n:,} texts runs on their first {HDBSCAN_PCA_DIMS} principal "
                f"components ({pca.explained_variance_ratio_.sum():.0%} of the variance), "
                "which keeps it to seconds.",
                ClampWarning,
                stacklevel=2,
            )
        # Euclidean distance between unit vectors orders pairs as cosine distance does.
        return self._cap_noise(X, HDBSCAN(min_cluster_size=size, copy=True).fit_predict(X))


#: name -> clusterer class, in the order the app offers them; "none" switches clustering off.
REGISTRY: dict[str, type[_Clusterer]] = {
    c.method: c for c in (KMeansClusterer, HDBSCANClusterer, AgglomerativeClusterer)
}
CLUSTER_METHODS: tuple[str, ...] = (*REGISTRY, "none")
CLUSTER_NAMES = {**{m: c.label for m, c in REGISTRY.items()}, "none": "No clustering"}


@dataclass
class Clustering:
    """The result of :func:`cluster`.

    Attributes:
        labels: int ``(n_texts,)``: cluster ids 0.. by size, -1 for noise.
        method: one of :data:`CLUSTER_METHODS`.
        n_clusters: clusters found (noise not counted).
        silhouette: cosine silhouette of the clustered texts, None when undefined.
        scores: silhouette per k tried on auto.
        warnings: messages for the page (too few texts, k lowered).
    """

    labels: np.ndarray
    method: str
    n_clusters: int
    silhouette: float | None = None
    scores: dict[int, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return CLUSTER_NAMES[self.method]

    @property
    def n_noise(self) -> int:
        return int(np.sum(self.labels == NOISE))

    def describe(self) -> str:
        """One line for the page, e.g. "k-means: 4 clusters (k chosen by silhouette 0.21)"."""
        if self.method == "none":
            return "No clustering."
        text = f"{self.name}: {self.n_clusters} cluster{'s' * (self.n_clusters != 1)}"
        if len(self.scores) > 1:
            low, high = min(self.scores), max(self.scores)
            text += f", k chosen by the best silhouette of k = {low}..{high}"
        if self.silhouette is not None:
            text += f" (silhouette {self.silhouette:.2f})"
        if self.n_noise:
            text += f"; {self.n_noise} texts in no cluster (noise)"
        return text + "."


def make_clusterer(method: str, n_clusters: int | Literal["auto"] = "auto", **params):
    """The clusterer for ``method``, its parameters checked against its declaration.

    Raises:
        ParameterError: an unknown method or parameter, a value out of range, or a k given to
            a method that does not take one.
    """
    if method not in REGISTRY:
        raise ParameterError(
            f"Unknown clustering {method!r}. Use one of: {', '.join(CLUSTER_METHODS)}."
        )
    cls = REGISTRY[method]
    seed = {"random_state": params.pop("random_state")} if "random_state" in params else {}
    if seed and not hasattr(cls(), "random_state"):
        seed = {}  # a deterministic method: the seed has nothing to do
    checked = {**check_params(params, cls.params, cls.label), **seed}
    if cls.takes_k:
        if n_clusters != "auto":
            n_clusters = K.check(n_clusters, cls.label)
        return cls(n_clusters=n_clusters, **checked)
    if n_clusters != "auto":
        raise ParameterError(
            f"{cls.label} finds the number of clusters itself; leave k unset "
            "(or use kmeans or agglomerative to set k)."
        )
    return cls(**checked)


def cluster(
    X, method: ClusterMethod = "kmeans", n_clusters: int | Literal["auto"] = "auto", **params
) -> Clustering:
    """Cluster the embeddings ``(n_texts, dim)`` and collect messages for the page."""
    n = np.asarray(X).shape[0]
    if method == "none":
        return Clustering(np.zeros(n, dtype=np.int64), "none", 1)
    if n_clusters is None:
        n_clusters = "auto"
    clusterer = make_clusterer(method, n_clusters, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clusterer.fit(X)
    messages = [str(w.message) for w in caught if issubclass(w.category, ClampWarning)]
    return Clustering(
        labels=clusterer.labels_,
        method=method,
        n_clusters=clusterer.n_clusters_,
        silhouette=clusterer.silhouette_,
        scores=dict(clusterer.scores_),
        warnings=messages,
    )


def adjusted_rand(labels_true, labels_pred) -> float:
    """Adjusted Rand index of the clusters against the user's labels (1 = the same groups,
    about 0 = no better than chance). Noise (-1) counts as one group."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(list(map(str, labels_true)), list(labels_pred)))


def cluster_similarity(X, labels: np.ndarray) -> tuple[np.ndarray, list[int], np.ndarray]:
    """Mean cosine between the texts of every two clusters, without an n x n matrix.

    Uses sum(u_a . u_b) = (sum u_a) . (sum u_b) for unit rows; inside a cluster the mean
    leaves out each text's similarity to itself.

    Returns:
        (M, ids, sizes): ``M`` float32 ``(k, k)``, ``ids`` the cluster ids in order (noise
        last), ``sizes`` the texts in each.
    """
    U = check_embeddings(X)
    labels = np.asarray(labels)
    ids = sorted(set(labels.tolist()), key=lambda c: (c == NOISE, c))
    sums = np.stack([U[labels == c].sum(axis=0) for c in ids]).astype(np.float64)
    sizes = np.array([int(np.sum(labels == c)) for c in ids])
    dots = sums @ sums.T
    M = dots / np.outer(sizes, sizes)
    self_sim = np.array([float(np.sum(U[labels == c].astype(np.float64) ** 2)) for c in ids])
    pairs = sizes * (sizes - 1)
    diag = np.where(pairs > 0, (np.diag(dots) - self_sim) / np.maximum(pairs, 1), 1.0)
    M[np.diag_indices_from(M)] = diag
    return np.clip(M, -1, 1).astype(np.float32), ids, sizes


def cluster_order(S: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Heatmap order: cluster by cluster (by id, noise last), and inside each cluster the
    hierarchical-clustering leaf order of its texts.

    Returns:
        (order, starts): the permutation and the position where each cluster after the
        first begins (where to draw a boundary).
    """
    from .similarity import similarity_order

    labels = np.asarray(labels)
    ids = sorted(set(labels.tolist()), key=lambda c: (c == NOISE, c))
    order, starts = [], []
    for c in ids:
        members = np.flatnonzero(labels == c)
        inner = similarity_order(S[np.ix_(members, members)])
        if order:
            starts.append(len(order))
        order.extend(members[inner].tolist())
    return np.asarray(order, dtype=np.int64), starts


def representatives(X, labels: np.ndarray, n: int = 3) -> dict[int, np.ndarray]:
    """Each cluster's ``n`` texts closest to its centroid (cosine), closest first: the texts
    that stand for the cluster in a table or an LLM prompt."""
    U = check_embeddings(X)
    labels = np.asarray(labels)
    out = {}
    for c in sorted(set(labels.tolist())):
        members = np.flatnonzero(labels == c)
        centre = U[members].mean(axis=0)
        scores = U[members] @ centre
        out[c] = members[np.argsort(-scores, kind="stable")[:n]]
    return out


def ordered_similarities(
    X, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """The full cosine matrix and the order to draw it in: by cluster with boundaries when
    there are two or more clusters, else by similarity alone.

    Returns:
        (S, order, boundaries).
    """
    from .similarity import cosine_matrix, similarity_order

    S = cosine_matrix(X)
    if labels is not None and len(set(np.asarray(labels).tolist())) > 1:
        order, starts = cluster_order(S, labels)
        return S, order, starts
    return S, similarity_order(S), []
