"""A topic tree: the clusters grouped into coarser topics and split into finer ones, each node
named by its keywords (and, when asked, by an LLM), as Nomic's topic model and datamapplot's
label layers do. The map writes the coarse names when zoomed out and the finer ones as you
zoom in; filters, the heatmap, the CSV and the saved analysis can work at any level.

Levels run from the coarsest (0) to the finest; ``base`` is the level of the run's own
clusters. A coarser level groups whole clusters (average linkage of their centres, cosine),
so every coarse topic is a set of clusters; a finer level splits each cluster large enough
in two to four (k-means by silhouette, within the cluster), so every fine topic lies in one
cluster. Noise (-1) stays noise at every level.

Example:
    >>> tree = topic_tree(X, clusters, texts)  # doctest: +SKIP
    >>> tree.names[0], tree.parents[1]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_embeddings
from .cluster import NOISE
from .errors import ParameterError
from .keywords import keyword_labels

#: A coarser level is made when there are at least this many clusters; it has about a third
#: as many topics (at least 2).
COARSE_FROM = 4
COARSE_RATIO = 3
#: A cluster is split at the finer level when it holds at least this many texts; into 2 to
#: FINE_MOST parts, as many as its best silhouette asks for.
FINE_FROM = 20
FINE_MOST = 4
#: A cluster larger than this is split as its k-means on a sample of this many found it
#: (and its silhouette measured there): a cluster of 12,000 texts costs what one of 2,000 does.
FINE_SAMPLE = 2000
#: Level names, coarse to fine.
LEVEL_NAMES = ("coarse", "clusters", "fine")


@dataclass
class TopicTree:
    """Labels of every text at every level, and the names and parents of each node.

    Attributes:
        levels: int ``(n_texts,)`` per level, coarsest first (-1 noise).
        names: per level, id -> keyword name.
        parents: per level, id -> its parent's id at the level above (empty at level 0).
        base: the level of the run's own clusters.
        llm_names: per level, id -> the name an LLM gave (replaces the keywords there).
        level_names: each level's name ("coarse", "clusters", "fine"), coarse first.
    """

    levels: list[np.ndarray]
    names: list[dict[int, str]]
    parents: list[dict[int, int]]
    base: int
    llm_names: list[dict[int, str]] = field(default_factory=list)
    level_names: tuple[str, ...] = LEVEL_NAMES

    @property
    def depth(self) -> int:
        return len(self.levels)

    def level_of(self, name: str | int) -> int:
        """A level by its index or its name ("coarse", "clusters", "fine")."""
        if isinstance(name, int) or str(name).isdigit():
            level = int(name)
        elif name in self.level_names:
            level = self.level_names.index(name)
        else:
            level = -1
        if not 0 <= level < self.depth:
            raise ParameterError(
                f"There is no topic level {name!r}. Use one of: {', '.join(self.level_names)}."
            )
        return level

    def named(self, level: int) -> dict[int, str]:
        """Id -> name at ``level``: the LLM's where it gave one, else the keywords."""
        llm = self.llm_names[level] if level < len(self.llm_names) else {}
        return {**self.names[level], **llm}

    def subset(self, idx: np.ndarray) -> TopicTree:
        """The same tree over some texts (a filter, a selection)."""
        return TopicTree(
            [labels[idx] for labels in self.levels],
            [dict(n) for n in self.names],
            [dict(p) for p in self.parents],
            self.base,
            [dict(n) for n in self.llm_names],
            self.level_names,
        )

    def lines(self, sizes_at: int | None = None) -> list[str]:
        """The tree as indented lines: each node's id, name and size, its children below."""
        out: list[str] = []

        def walk(level: int, node: int, depth: int) -> None:
            size = int(np.sum(self.levels[level] == node))
            out.append(f"{'  ' * depth}[{node}] {self.named(level).get(node, '')} ({size:,})")
            if level + 1 < self.depth:
                for child, parent in sorted(self.parents[level + 1].items()):
                    if parent == node:
                        walk(level + 1, child, depth + 1)

        for node in sorted(set(self.levels[0].tolist()) - {NOISE}):
            walk(0, node, 0)
        noise = int(np.sum(self.levels[0] == NOISE))
        if noise:
            out.append(f"[-1] noise ({noise:,})")
        return out

    def to_json(self) -> dict:
        return {
            "levels": list(self.level_names),
            "base": self.base,
            "names": [{str(k): v for k, v in n.items()} for n in self.names],
            "parents": [{str(k): int(v) for k, v in p.items()} for p in self.parents],
            "llm_names": [{str(k): v for k, v in n.items()} for n in self.llm_names],
        }

    @classmethod
    def from_json(cls, data: dict, levels: list[np.ndarray]) -> TopicTree:
        def ints(d):
            return {int(k): v for k, v in d.items()}

        return cls(
            levels,
            [{int(k): str(v) for k, v in n.items()} for n in data.get("names", [])],
            [{int(k): int(v) for k, v in p.items()} for p in data.get("parents", [])],
            int(data.get("base", 0)),
            [ints(n) for n in data.get("llm_names", [])],
            tuple(data.get("levels", LEVEL_NAMES)),
        )


def _coarse(U: np.ndarray, clusters: np.ndarray) -> np.ndarray | None:
    """Clusters grouped by average linkage of their centres (cosine): about a third as many
    coarse topics; None when there are too few clusters for a coarser level."""
    from scipy.cluster.hierarchy import fcluster, linkage

    ids = sorted(set(clusters.tolist()) - {NOISE})
    if len(ids) < COARSE_FROM:
        return None
    centres = np.stack([U[clusters == c].mean(axis=0) for c in ids]).astype(np.float64)
    groups = max(2, round(len(ids) / COARSE_RATIO))
    tree = linkage(centres, method="average", metric="cosine")
    parent = fcluster(tree, t=groups, criterion="maxclust") - 1
    # Coarse ids by size, largest first, as cluster ids are.
    count = {c: int(np.sum(clusters == c)) for c in ids}
    sizes: dict[int, int] = {}
    for c, g in zip(ids, parent.tolist(), strict=True):
        sizes[g] = sizes.get(g, 0) + count[c]
    order = {g: k for k, g in enumerate(sorted(sizes, key=lambda g: -sizes[g]))}
    mapping = {c: order[int(p)] for c, p in zip(ids, parent, strict=True)}
    return np.array([mapping.get(c, NOISE) for c in clusters.tolist()], dtype=np.int64)


def _fine(U: np.ndarray, clusters: np.ndarray, random_state: int) -> np.ndarray:
    """Each cluster of :data:`FINE_FROM` texts or more split in 2 to :data:`FINE_MOST` by
    k-means within it (the split with the best cosine silhouette); fine ids numbered in
    cluster order."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    out = np.full(len(clusters), NOISE, dtype=np.int64)
    next_id = 0
    for c in sorted(set(clusters.tolist()) - {NOISE}):
        members = np.flatnonzero(clusters == c)
        best = np.zeros(len(members), dtype=np.int64)
        if len(members) >= FINE_FROM:
            rows = U[members]
            sample = np.arange(len(members))
            if len(members) > FINE_SAMPLE:
                rng = np.random.default_rng(random_state)
                sample = rng.choice(len(members), FINE_SAMPLE, replace=False)
            score = -np.inf
            for k in range(2, FINE_MOST + 1):
                # Learned on the sample, every member to its nearest part.
                model = KMeans(k, n_init=2, random_state=random_state).fit(rows[sample])
                labels = model.labels_ if len(sample) == len(members) else model.predict(rows)
                if np.bincount(labels, minlength=k).min() < max(3, len(members) // 20):
                    continue  # a split that peels off a few texts is no subtopic
                s = silhouette_score(rows[sample], labels[sample], metric="cosine")
                if s > score:
                    best, score = labels, s
        for part in sorted(set(best.tolist()), key=lambda p: -int(np.sum(best == p))):
            out[members[best == part]] = next_id
            next_id += 1
    return out


def topic_tree(
    X: np.ndarray,
    clusters: np.ndarray,
    texts: Sequence[str],
    keywords: dict[int, str] | None = None,
    random_state: int = 0,
) -> TopicTree:
    """The tree around a run's clusters: a coarser level when there are enough clusters, the
    clusters themselves, a finer level where some cluster splits; every node named by its
    keywords (c-TF-IDF at its level; the clusters keep ``keywords``). None when neither a
    coarser nor a finer level would differ from the clusters (a handful of texts)."""
    U = check_embeddings(X)
    clusters = np.asarray(clusters, dtype=np.int64)
    coarse = _coarse(U, clusters)
    fine = _fine(U, clusters, random_state)
    if len(set(fine.tolist())) == len(set(clusters.tolist())):
        fine = None  # no cluster split: the same partition again
    if coarse is None and fine is None:
        return None
    kept = [(n, lv) for n, lv in zip(LEVEL_NAMES, (coarse, clusters, fine), strict=True)]
    kept = [(n, lv) for n, lv in kept if lv is not None]
    levels = [lv for _, lv in kept]
    base = [n for n, _ in kept].index("clusters")
    names = []
    for k, labels in enumerate(levels):
        if k == base and keywords is not None:
            names.append(dict(keywords))
        else:
            names.append(keyword_labels(list(texts), labels, embeddings=U))
    parents: list[dict[int, int]] = [{}]
    for upper, lower in zip(levels, levels[1:], strict=False):
        link = {}
        for node in set(lower.tolist()) - {NOISE}:
            above = upper[lower == node]
            link[int(node)] = int(np.bincount(above[above != NOISE]).argmax())
        parents.append(link)
    return TopicTree(levels, names, parents, base, [{} for _ in levels], tuple(n for n, _ in kept))
