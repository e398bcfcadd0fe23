"""PCA: the principal components of the normalised embeddings; axes say the variance held."""

from __future__ import annotations

import numpy as np

from ._base import DEFAULT_RANDOM_STATE, Projector, register


@register
class PCAProjector(Projector):
    """Principal components; exact, fast at any size, and it places new points exactly."""

    name = "pca"
    label = "PCA"
    order = 10

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

    @classmethod
    def script(cls, n_texts, dims, params, random_state):
        return (
            "from sklearn.decomposition import PCA\n\n"
            f"k = min({dims}, len(U), U.shape[1])\n"
            f"coords = PCA(n_components=k, random_state={random_state}).fit_transform(U) "
            "if len(U) > 1 else np.zeros((1, k))\n"
            f"coords = np.hstack([coords, np.zeros((len(U), {dims} - coords.shape[1]))])\n"
        )
