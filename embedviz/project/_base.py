"""The projector base class, the registry of projection methods, and :func:`project`.

A projection method is one subclass of :class:`Projector` decorated with :func:`register`.
It declares its ``name``, ``label``, its tunable :class:`~embedviz.params.Param` s (each
default written once) and the code the standalone script needs (:meth:`Projector.script`).
The app's sidebar, the command line's flags, the compare view and the script generator loop
over :data:`REGISTRY`; adding a method is one new class and its tests.
"""

from __future__ import annotations

import warnings
from typing import ClassVar

import numpy as np

from .._validation import ClampWarning, check_embeddings
from ..errors import ParameterError
from ..params import Param, check_params

DEFAULT_RANDOM_STATE = 0

#: name -> projector class, in the order the app offers them.
REGISTRY: dict[str, type[Projector]] = {}


def register(cls: type[Projector]) -> type[Projector]:
    """Class decorator: offer this projector everywhere (app, CLI, compare view, scripts),
    in the place its ``order`` gives."""
    REGISTRY[cls.name] = cls
    ordered = sorted(REGISTRY.values(), key=lambda c: c.order)
    REGISTRY.clear()
    REGISTRY.update((c.name, c) for c in ordered)
    return cls


def clamp_warn(message: str) -> None:
    warnings.warn(message, ClampWarning, stacklevel=3)


def _check_n_components(n_components: int) -> int:
    if n_components not in (2, 3):
        raise ParameterError(f"n_components (dims) must be 2 or 3, got {n_components!r}.")
    return n_components


class Projector:
    """Shared fit/transform plumbing with scikit-learn's shape: ``__init__`` stores
    parameters, ``fit(X)`` returns ``self`` and sets ``embedding_`` (float32),
    ``axis_titles_`` and ``used_params_`` (the parameters after clamping for small inputs).

    Subclasses set the class attributes and implement ``_fit`` (and ``_transform`` when the
    method can place new points itself).
    """

    #: registry key and CLI value: "umap".
    name: ClassVar[str]
    #: what people read: "UMAP".
    label: ClassVar[str]
    #: the tunable parameters (besides n_components and random_state).
    params: ClassVar[tuple[Param, ...]] = ()
    #: the pip requirement its script imports, or None for scikit-learn only.
    requirement: ClassVar[str | None] = None
    #: what the page says about how new points are placed; None when exact.
    transform_note: ClassVar[str | None] = None
    #: where the app, the flags and the compare view list it (lowest first).
    order: ClassVar[int] = 100

    n_components: int
    random_state: int | None

    def fit(self, X, y=None):
        X = check_embeddings(X)
        _check_n_components(self.n_components)
        check_params({p.name: getattr(self, p.name) for p in self.params}, self.params, self.label)
        self.used_params_ = {p.name: getattr(self, p.name) for p in self.params}
        if X.shape[0] == 1:
            clamp_warn(
                f"Only one text: {self.label} needs at least two, so the point is drawn at "
                "the origin."
            )
            self.embedding_ = np.zeros((1, self.n_components), dtype=np.float32)
        else:
            self.embedding_ = np.asarray(self._fit(X), dtype=np.float32)
        self.fitted_X_ = X
        if not hasattr(self, "axis_titles_"):
            self.axis_titles_ = [f"{self.label} {i + 1}" for i in range(self.n_components)]
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).embedding_

    def transform(self, X) -> np.ndarray:
        """Place new texts' embeddings ``(m, dim)`` in the fitted picture ``(m, n_components)``.

        PCA and UMAP map new points with their fitted model; the others go to the
        similarity-weighted mean of their nearest fitted texts (:attr:`transform_note`).
        """
        X = check_embeddings(X)
        if not hasattr(self, "embedding_"):
            raise ValueError(f"Fit the {self.label} projector before transform.")
        if self.embedding_.shape[0] == 1:
            return np.zeros((X.shape[0], self.n_components), dtype=np.float32)
        return np.asarray(self._transform(X), dtype=np.float32)

    def _fit(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return neighbour_placement(X, self.fitted_X_, self.embedding_)

    def get_params(self) -> dict:
        return {k: v for k, v in vars(self).items() if not k.endswith("_")}

    @classmethod
    def defaults(cls) -> dict:
        return {p.name: p.default for p in cls.params}

    @classmethod
    def script(cls, n_texts: int, dims: int, params: dict, random_state: int) -> str:
        """Python that turns ``U`` (unit rows, ``(n_texts, dim)``) into ``coords``, with the
        parameters actually used; for the standalone script."""
        raise NotImplementedError


def neighbour_placement(X_new, X_fit, Y_fit, k: int = 5) -> np.ndarray:
    """Positions for new unit vectors: the similarity-weighted mean position of their ``k``
    most similar fitted texts (for maps that cannot transform, such as t-SNE)."""
    S = np.asarray(X_new, dtype=np.float32) @ np.asarray(X_fit, dtype=np.float32).T
    k = min(k, S.shape[1])
    near = np.argpartition(-S, k - 1, axis=1)[:, :k]
    weights = np.clip(np.take_along_axis(S, near, axis=1), 1e-6, None)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.einsum("mk,mkd->md", weights, np.asarray(Y_fit)[near])


PLACEMENT_NOTE = (
    "{label} keeps no model for new points here, so the query is drawn at the "
    "similarity-weighted mean position of its 5 most similar texts."
)


def projector_class(method: str) -> type[Projector]:
    """The registered class for a method name ("umap", "t-SNE" and "tsne" alike).

    Raises:
        ParameterError: an unknown method; the message lists the known ones.
    """
    key = str(method).lower().replace("-", "").replace("_", "")
    if key not in REGISTRY:
        raise ParameterError(f"Unknown projection {method!r}. Use one of: {', '.join(REGISTRY)}.")
    return REGISTRY[key]


def make_projector(method: str, n_components: int = 2, **params) -> Projector:
    """The projector for ``method`` with its parameters (checked against its declaration).

    Raises:
        ParameterError: an unknown method, a parameter the method does not take, or a value
            out of range.
    """
    cls = projector_class(method)
    random_state = params.pop("random_state", DEFAULT_RANDOM_STATE)
    checked = check_params(params, cls.params, cls.label)
    return cls(n_components=_check_n_components(n_components), random_state=random_state, **checked)


class Projection:
    """The result of :func:`project`: coordinates and what the page should say about them.

    Attributes:
        coords: float32 ``(n_texts, n_components)``.
        axis_titles: one title per axis.
        method: the registry name ("pca", "tsne", "umap", "pacmap").
        params: the parameters actually used (after clamping), random_state included.
        warnings: the :class:`ClampWarning` messages (parameters lowered for small inputs).
        projector: the fitted projector (places search queries); None for a loaded analysis.
    """

    def __init__(self, coords, axis_titles, method, params, warnings, projector=None):
        self.coords = coords
        self.axis_titles = axis_titles
        self.method = method
        self.params = params
        self.warnings = warnings
        self.projector = projector

    def place(self, X_new, X_fit=None) -> tuple[np.ndarray, str | None]:
        """Coordinates for new embeddings in this picture, and a note when approximate.

        Without a fitted projector (a reopened analysis) new points go by their nearest
        texts among ``X_fit``.
        """
        if self.projector is None:
            if X_fit is None:
                raise ValueError("place() of a loaded projection needs the embeddings.")
            note = PLACEMENT_NOTE.format(label=f"A reopened {self.name} map")
            return neighbour_placement(check_embeddings(X_new), X_fit, self.coords), note
        note = getattr(self.projector, "transform_note_", self.projector.transform_note)
        return self.projector.transform(X_new), note

    @property
    def name(self) -> str:
        return projector_class(self.method).label


def project(X, method: str = "pca", n_components: int = 2, **params) -> Projection:
    """Fit the projector for ``method`` and collect its clamp warnings for the page.

    Example:
        >>> import numpy as np
        >>> p = project(np.eye(4), "tsne", perplexity=30)
        >>> p.coords.shape, p.warnings[0][:30], p.params["perplexity"]
        ((4, 2), 't-SNE perplexity 30 is too hig', 1.0)
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
    used = {**projector.used_params_, "random_state": projector.random_state}
    return Projection(
        coords, list(projector.axis_titles_), projector.name, used, messages, projector
    )
