"""The run specification: everything that decides a run's result, in one frozen, typed,
validated object.

The command line's flags, the app's sidebar, ``analyze(**keywords)`` and the comparison all
build a :class:`RunSpec`; :func:`embedviz.pipeline.analyze` runs it; the saved analysis
keeps it in its manifest, so a run can be made again from what was saved. It is checked
once, when it is made, against the parameters the projection and the clusterer declare
(:class:`~embedviz.params.Param`), with every parameter not given at its default.

What does not change a result (a progress bar, a cache, a timer) is no part of it: those
are hooks of :func:`embedviz.pipeline.analyze`.

Example:
    >>> spec = RunSpec.build(method="umap", n_neighbors=5, cluster="hdbscan")
    >>> spec.projection_params["n_neighbors"], spec.cluster_params["min_cluster_size"]
    (5, 0)
    >>> RunSpec.from_dict(spec.to_dict()) == spec
    True
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .cluster import CLUSTER_METHODS, CLUSTER_NAMES, K
from .cluster import REGISTRY as CLUSTERERS
from .encoders import DEFAULT_MODEL, encoder_class
from .errors import ParameterError
from .params import check_params, with_defaults
from .project import DEFAULT_RANDOM_STATE, METHODS, projector_class
from .project import REGISTRY as PROJECTORS

#: What a run projects with when no method is named.
DEFAULT_METHOD = "umap"
DEFAULT_CLUSTER = "kmeans"

#: A method's or a clusterer's parameters, in their declared order: (name, value) pairs, so
#: that a spec is immutable, hashable and picklable (a cache key, a saved manifest).
Pairs = tuple[tuple[str, Any], ...]


def _pairs(value) -> Pairs:
    if isinstance(value, dict):
        return tuple(value.items())
    return tuple((str(k), v) for k, v in value)


@dataclass(frozen=True)
class RunSpec:
    """What a run does, checked when it is made.

    Attributes:
        model: the model spec (``"use-multilingual"``, a folder, ``text2vec:NAME``); for the
            user's own embeddings, the model that made them, or ``"your embeddings"``.
        model_options: what the model's encoder kind takes besides the spec (``device``,
            ``precision``, ``trust_remote_code`` for Hugging Face models), only those given.
        method: the projection's registry name (``"pca"``, ``"tsne"``, ``"umap"``, ...).
        dims: 2 or 3.
        projection: the method's parameters, every declared one (defaults filled in).
        cluster: the clusterer's registry name, or ``"none"``.
        k: the number of clusters (k-means, agglomerative); None: chosen by silhouette.
        clustering: the clusterer's parameters, every declared one.
        random_state: the seed of every random step.

    Raises:
        ParameterError: an unknown method or clusterer, a parameter the method or the
            clusterer does not take, a value out of its range, a k for a clusterer that
            finds its own number of clusters.
    """

    model: str = DEFAULT_MODEL
    model_options: Pairs = ()
    method: str = DEFAULT_METHOD
    dims: int = 2
    projection: Pairs = ()
    cluster: str = DEFAULT_CLUSTER
    k: int | None = None
    clustering: Pairs = ()
    random_state: int = DEFAULT_RANDOM_STATE

    def __post_init__(self) -> None:
        def put(name: str, value) -> None:
            object.__setattr__(self, name, value)

        if not isinstance(self.model, str) or not self.model.strip():
            raise ParameterError(
                f"model must be a model spec such as {DEFAULT_MODEL!r}; got {self.model!r}."
            )
        put("model", self.model.strip())
        options = {k: v for k, v in _pairs(self.model_options) if v is not None}
        if options:
            kind = encoder_class(self.model)
            put("model_options", _pairs(check_params(options, kind.options, kind.label)))
        else:
            put("model_options", ())
        projector = projector_class(self.method)
        put("method", projector.name)
        if self.dims not in (2, 3) or isinstance(self.dims, bool):
            raise ParameterError(f"n_components (dims) must be 2 or 3, got {self.dims!r}.")
        put("dims", int(self.dims))
        given = dict(_pairs(self.projection))
        put("projection", _pairs(with_defaults(given, projector.params, projector.label)))
        if self.cluster not in CLUSTER_METHODS:
            raise ParameterError(
                f"Unknown clustering {self.cluster!r}. Use one of: {', '.join(CLUSTER_METHODS)}."
            )
        clusterer = CLUSTERERS.get(self.cluster)
        declared = clusterer.params if clusterer is not None else ()
        label = CLUSTER_NAMES[self.cluster]
        put("clustering", _pairs(with_defaults(dict(_pairs(self.clustering)), declared, label)))
        if self.k in (None, "auto"):
            put("k", None)
        elif clusterer is None or not clusterer.takes_k:
            raise ParameterError(
                f"{label} finds the number of clusters itself; leave k unset "
                "(or use kmeans or agglomerative to set k)."
            )
        else:
            put("k", K.check(self.k, label))
        try:
            put("random_state", int(self.random_state))
        except (TypeError, ValueError):
            raise ParameterError(
                f"random_state must be a whole number, got {self.random_state!r}."
            ) from None

    # -- made from what each face has

    @classmethod
    def build(
        cls,
        *,
        model: str = DEFAULT_MODEL,
        method: str = DEFAULT_METHOD,
        dims: int = 2,
        cluster: str = DEFAULT_CLUSTER,
        k: int | None = None,
        random_state: int = DEFAULT_RANDOM_STATE,
        model_options: dict | None = None,
        **params,
    ) -> RunSpec:
        """A spec from flat keywords, as ``analyze(**keywords)`` and the flags give them:
        each of ``params`` goes to the projection or the clusterer that declares it.

        Raises:
            ParameterError: a parameter neither takes; the message lists what each takes.
        """
        projector = projector_class(method)
        projection = {p.name for p in projector.params}
        clusterer = CLUSTERERS.get(cluster)
        clustering = {p.name for p in clusterer.params} if clusterer is not None else set()
        unknown = sorted(set(params) - projection - clustering)
        if unknown:
            c_label = CLUSTER_NAMES.get(cluster, cluster)
            raise ParameterError(
                f"Unknown parameter {', '.join(unknown)}. {projector.label} takes: "
                f"{', '.join(p.name for p in projector.params) or 'nothing'}; {c_label} takes: "
                f"{', '.join(sorted(clustering)) or 'nothing'}."
            )
        return cls(
            model=model,
            model_options=model_options or {},
            method=method,
            dims=dims,
            projection={k_: v for k_, v in params.items() if k_ in projection},
            cluster=cluster,
            k=k,
            clustering={k_: v for k_, v in params.items() if k_ in clustering},
            random_state=random_state,
        )

    def replace(self, **changes) -> RunSpec:
        """A new spec with ``changes`` (checked anew). Another method or clusterer starts
        from its own defaults unless its parameters are given too."""
        new_method = "method" in changes and "projection" not in changes
        if new_method and projector_class(changes["method"]).name != self.method:
            changes["projection"] = ()
        new_cluster = "cluster" in changes and "clustering" not in changes
        if new_cluster and changes["cluster"] != self.cluster:
            changes["clustering"] = ()
            changes.setdefault("k", None)
        return dataclasses.replace(self, **changes)

    # -- read

    @property
    def model_kwargs(self) -> dict[str, Any]:
        return dict(self.model_options)

    @property
    def projection_params(self) -> dict[str, Any]:
        return dict(self.projection)

    @property
    def cluster_params(self) -> dict[str, Any]:
        return dict(self.clustering)

    @property
    def method_label(self) -> str:
        return PROJECTORS[self.method].label

    @property
    def cluster_label(self) -> str:
        return CLUSTER_NAMES[self.cluster]

    @property
    def clustered(self) -> bool:
        return self.cluster != "none"

    def describe(self) -> str:
        """The settings in one line: "UMAP 2-D (n_neighbors=15, ...), k-means (k auto)"."""
        params = {**self.projection_params, "random_state": self.random_state}
        how = ", ".join(f"{k}={v}" for k, v in params.items())
        line = f"{self.method_label} {self.dims}-D ({how})"
        if self.clustered:
            how = [f"{k}={v}" for k, v in self.clustering]
            if CLUSTERERS[self.cluster].takes_k:
                how.insert(0, f"k={self.k or 'auto'}")
            line += f"; {self.cluster_label} ({', '.join(how)})"
        return line

    # -- saved

    def to_dict(self) -> dict:
        """Plain JSON: what the manifest of a saved analysis keeps."""
        return {
            "model": self.model,
            "model_options": self.model_kwargs,
            "method": self.method,
            "dims": self.dims,
            "projection": self.projection_params,
            "cluster": self.cluster,
            "k": self.k,
            "clustering": self.cluster_params,
            "random_state": self.random_state,
        }

    @classmethod
    def from_dict(cls, data: dict) -> RunSpec:
        """The spec :meth:`to_dict` wrote (checked again: a manifest is a file)."""
        if not isinstance(data, dict):
            raise ParameterError(f"A run spec is a JSON object; got {type(data).__name__}.")
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ParameterError(f"A run spec has no {', '.join(unknown)}.")
        return cls(**data)


__all__ = [
    "CLUSTERERS",
    "DEFAULT_CLUSTER",
    "DEFAULT_METHOD",
    "DEFAULT_RANDOM_STATE",
    "K",
    "METHODS",
    "PROJECTORS",
    "RunSpec",
]
