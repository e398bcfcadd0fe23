"""t-SNE on cosine distances: scikit-learn up to 20,000 texts, openTSNE (FFT) above."""

from __future__ import annotations

import numpy as np

from ..params import Param
from ._base import DEFAULT_RANDOM_STATE, Projector, clamp_warn, register
from .pca import PCAProjector

#: 2-D t-SNE of more texts than this runs on openTSNE (FFT); fewer on scikit-learn. On real
#: embeddings with 2 cores scikit-learn was as fast or faster up to 20,000 texts (61 s against
#: 72 s); openTSNE wins at 50,000 (bench/tsne_crossover.py).
OPENTSNE_ABOVE = 20_000

PERPLEXITY = Param(
    "perplexity",
    30.0,
    low=1.0,
    ui=(2.0, 100.0, 1.0),
    help="About how many neighbours each text balances; lowered automatically for few texts.",
)


def highest_perplexity(n_texts: int) -> float:
    """The largest perplexity ``n_texts`` support: ``(n - 1) / 3``, at least 1 (openTSNE's rule)."""
    return max(1.0, (n_texts - 1) / 3)


@register
class TSNEProjector(Projector):
    """scikit-learn's t-SNE on cosine distances.

    ``perplexity`` above ``(n_texts - 1) / 3`` is lowered to it (at least 1), as openTSNE does.
    """

    name = "tsne"
    label = "t-SNE"
    order = 20
    params = (PERPLEXITY,)
    transform_note = (
        "t-SNE cannot place new points, so the query is drawn at the similarity-weighted "
        "mean position of its 5 most similar texts."
    )

    def __init__(
        self,
        n_components: int = 2,
        perplexity: float = PERPLEXITY.default,
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
        n = X.shape[0]
        perplexity = float(self.perplexity)
        highest = highest_perplexity(n)
        if perplexity > highest:
            clamp_warn(
                f"t-SNE perplexity {self.perplexity:g} is too high for {n} texts; "
                f"lowered to {highest:.3g} (at most (n - 1) / 3)."
            )
            perplexity = highest
        self.perplexity_ = perplexity
        self.used_params_["perplexity"] = perplexity
        if n > OPENTSNE_ABOVE and self.n_components == 2:
            return self._fit_opentsne(X, perplexity)
        from sklearn.manifold import TSNE

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
        from .._system import cpu_cores

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

    @classmethod
    def script(cls, n_texts, dims, params, random_state):
        if n_texts < 2:
            return PCAProjector.script(n_texts, dims, params, random_state)
        perplexity = min(
            float(params.get("perplexity", PERPLEXITY.default)), highest_perplexity(n_texts)
        )
        init = "pca" if n_texts > dims else "random"
        return (
            "from sklearn.manifold import TSNE\n\n"
            f'coords = TSNE(n_components={dims}, perplexity={perplexity:g}, metric="cosine", '
            f'init="{init}", random_state={random_state}).fit_transform(U)\n'
        )
