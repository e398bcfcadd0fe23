"""PaCMAP (Wang et al. 2021): pairs of near, mid-near and further points, on angular distance.

It keeps local and global structure at once and is fast (2,000 texts in about half a
second once its numba code is compiled). Its tiny-input behaviour is weak: below
:data:`PACMAP_MIN_TEXTS` texts points collapse onto each other, so those are drawn by PCA.
"""

from __future__ import annotations

import logging
import warnings

from ..params import Param
from ._base import DEFAULT_RANDOM_STATE, Projector, clamp_warn, register
from .pca import PCAProjector

#: Fewer texts than this are drawn at their PCA positions (PaCMAP stacks them).
PACMAP_MIN_TEXTS = 10

PACMAP_NEIGHBORS = Param(
    "n_neighbors",
    10,
    low=2,
    ui=(2, 100, 1),
    help="Near pairs per text: the local structure PaCMAP keeps. Lowered for few texts.",
)
MN_RATIO = Param(
    "MN_ratio",
    0.5,
    low=0.0,
    high=10.0,
    ui=(0.0, 2.0, 0.1),
    help="Mid-near pairs per near pair: more keeps more of the global layout.",
)
FP_RATIO = Param(
    "FP_ratio",
    2.0,
    low=0.0,
    high=20.0,
    ui=(0.5, 5.0, 0.5),
    help="Further pairs per near pair: more pushes unrelated groups apart.",
)


@register
class PaCMAPProjector(Projector):
    """PaCMAP on angular (cosine) distance, PCA-initialised, with a fixed seed."""

    name = "pacmap"
    label = "PaCMAP"
    order = 40
    params = (PACMAP_NEIGHBORS, MN_RATIO, FP_RATIO)
    requirement = "pacmap"
    transform_note = (
        "PaCMAP places new points only approximately, so the query is drawn at the "
        "similarity-weighted mean position of its 5 most similar texts."
    )

    def __init__(
        self,
        n_components: int = 2,
        n_neighbors: int = PACMAP_NEIGHBORS.default,
        MN_ratio: float = MN_RATIO.default,  # noqa: N803 - PaCMAP's own parameter name
        FP_ratio: float = FP_RATIO.default,  # noqa: N803
        random_state: int | None = DEFAULT_RANDOM_STATE,
    ):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.MN_ratio = MN_ratio
        self.FP_ratio = FP_ratio
        self.random_state = random_state

    def _fit(self, X):
        n = X.shape[0]
        if n < PACMAP_MIN_TEXTS:
            clamp_warn(
                f"PaCMAP needs at least {PACMAP_MIN_TEXTS} texts to keep them apart; the {n} "
                "texts are drawn at their PCA positions."
            )
            self.pca_fallback_ = PCAProjector(self.n_components, self.random_state)
            return self.pca_fallback_._fit(X)
        n_neighbors = self.n_neighbors
        if n_neighbors > n - 2:
            clamp_warn(
                f"PaCMAP n_neighbors {self.n_neighbors} is too large for {n} texts; "
                f"lowered to {n - 2}."
            )
            n_neighbors = n - 2
        self.used_params_["n_neighbors"] = n_neighbors
        fp_ratio = self.FP_ratio
        if round(n_neighbors * fp_ratio) < 1:  # PaCMAP refuses a run with no further pairs
            fp_ratio = 1 / n_neighbors
            clamp_warn(
                f"PaCMAP FP_ratio {self.FP_ratio:g} gives no further pair per text with "
                f"{n_neighbors} near pairs; raised to {fp_ratio:.3g} (one further pair)."
            )
            self.used_params_["FP_ratio"] = fp_ratio
        try:
            import pacmap
        except ImportError as err:
            raise ImportError("PaCMAP needs pacmap: pip install pacmap==0.9.1") from err
        # pacmap logs warnings about what it was asked to do ("random state is set", pairs
        # reduced for few texts), which reach stderr through logging's last resort: quiet them
        # for this call; the clamps that matter are ours, above.
        quiet = logging.getLogger("pacmap")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            reducer = pacmap.PaCMAP(
                n_components=self.n_components,
                n_neighbors=n_neighbors,
                MN_ratio=self.MN_ratio,
                FP_ratio=fp_ratio,
                distance="angular",
                random_state=self.random_state,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                Y = reducer.fit_transform(X, init="pca")
        finally:
            quiet.setLevel(level)
        return Y

    def _transform(self, X):
        if hasattr(self, "pca_fallback_"):
            return self.pca_fallback_._transform(X)
        return super()._transform(X)

    @classmethod
    def script(cls, n_texts, dims, params, random_state):
        if n_texts < PACMAP_MIN_TEXTS:
            return PCAProjector.script(n_texts, dims, params, random_state)
        neighbours = min(int(params.get("n_neighbors", PACMAP_NEIGHBORS.default)), n_texts - 2)
        mn = float(params.get("MN_ratio", MN_RATIO.default))
        fp = float(params.get("FP_ratio", FP_RATIO.default))
        return (
            "import pacmap\n\n"
            f"coords = pacmap.PaCMAP(n_components={dims}, n_neighbors={neighbours}, "
            f'MN_ratio={mn:g}, FP_ratio={fp:g}, distance="angular", '
            f'random_state={random_state}).fit_transform(U, init="pca")\n'
        )
