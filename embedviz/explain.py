"""Explain clusters with a local LLM: per cluster a short label distinct from every other,
one sentence on what separates it from its nearest cluster, member texts quoted verbatim as
evidence, and the members that do not belong.

The model sees each cluster by its most typical members (nearest its centre), never by all
its texts, so the prompt stays short at any size; it is told which cluster is nearest, so it
has to say what tells the two apart. Members that lie far from their centre or nearer
another cluster's are offered as possible misfits, and the model confirms or clears them.
Its answer is checked against the data: a quote that is not a member's text (or a part of
one) is dropped and said, and only offered members can be called misfits.

Where the backend can hold the model to a JSON schema (llama.cpp's grammar, an
OpenAI-compatible ``response_format``) it is asked to; otherwise a lenient parser finds the
JSON in the answer.

Example:
    >>> from embedviz.llm import load_llm  # doctest: +SKIP
    >>> found = explain_clusters(load_llm("bundled"), texts, X, labels)  # doctest: +SKIP
    >>> found[0].label, found[0].versus, found[0].evidence  # doctest: +SKIP
    ('花呗换绑银行卡', '它问的是花呗绑定的卡，第1组问的是办卡。', ['花呗更改绑定银行卡'])
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .cluster import NOISE
from .llm import ChatModel, LLMError

#: Typical members shown per cluster; possible misfits offered per cluster; each text cut to
#: MAX_CHARS in the prompt (a 1.5B model on 2 cores reads about 100 tokens a second).
PER_CLUSTER = 5
MISFIT_CANDIDATES = 3
MAX_CHARS = 120
#: A quote shorter than this must equal a whole member text to count as found.
MIN_QUOTE_CHARS = 4

SYSTEM_PROMPT = (
    "You are a careful analyst of text collections. You answer only with the JSON asked for."
)
EXPLAIN_PROMPT = """Below are {n_clusters} groups of texts, found by clustering sentence embeddings.
For each group you see its most typical members (T1, T2, ...), which group is nearest to it,
and members that may not belong (M1, M2, ...): they lie far from the group's centre or nearer
another group.

{groups}

For every group answer in {language}:
- "label": a short, specific name (at most 8 words; in Chinese at most 12 characters) that
  tells this group apart from all the others, above all from its nearest group; not just one
  of its keywords; no two labels the same;
- "versus": one sentence on what separates this group from its nearest group;
- "evidence": two or three of this group's member texts, copied exactly, that show what it is;
- "misfits": the M-numbers of the offered members that do not belong in this group ([] if
  they all do).

Answer with JSON only, one object per group, in the order given:
{{"groups": [{{"group": 0, "label": "...", "versus": "...", "evidence": ["...", "..."],
"misfits": ["M1"]}}, ...]}}"""
GROUP_BLOCK = """Group {group} ({size} texts; keywords: {keywords}; nearest group: {nearest})
{members}{misfits}"""

#: The answer's shape, for backends that can hold the model to it.
EXPLANATION_SCHEMA = {
    "type": "object",
    "properties": {
        "groups": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "group": {"type": "integer"},
                    "label": {"type": "string"},
                    "versus": {"type": "string"},
                    "evidence": {"type": "array", "items": {"type": "string"}},
                    "misfits": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["group", "label", "versus", "evidence", "misfits"],
            },
        }
    },
    "required": ["groups"],
}


@dataclass
class ClusterExplanation:
    """What the LLM said about one cluster, checked against the data.

    Attributes:
        cluster: the cluster id.
        label: its name (made distinct from the others').
        versus: what separates it from ``nearest``.
        nearest: the id of the nearest other cluster (None when there is only one).
        evidence: the quotes found verbatim among its members.
        dropped: the quotes that were not (not a member's text): said, not shown as evidence.
        misfits: positions of the members the LLM confirmed do not belong.
        members: the typical members it was shown.
        candidates: positions of the members offered as possible misfits.
    """

    cluster: int
    label: str
    versus: str
    nearest: int | None
    evidence: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    misfits: list[int] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    candidates: list[int] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        """The sentence and the evidence, as one text for the page and the saved analysis."""
        text = self.versus
        if self.evidence:
            text += (
                (" " if text else "") + "Evidence: " + " / ".join(f"“{q}”" for q in self.evidence)
            )
        return text

    def notes(self, texts: Sequence[str]) -> list[str]:
        """What the check found: dropped quotes and the misfits, as sentences."""
        out = []
        if self.dropped:
            out.append(
                f"{len(self.dropped)} quote(s) are not member texts and were dropped: "
                + " / ".join(f"“{q}”" for q in self.dropped)
            )
        if self.misfits:
            out.append("Does not fit: " + " / ".join(f"“{texts[i]}”" for i in self.misfits))
        return out


@dataclass
class Prompted:
    """What one cluster's block showed the model."""

    cluster: int
    size: int
    nearest: int | None
    members: list[str]
    candidates: list[int]


def text_language(texts: Sequence[str]) -> str:
    """ "Chinese" when a third or more of the letters are CJK, else "English"."""
    sample = "".join(texts[:500])
    cjk = len(re.findall(r"[\u3400-\u9fff]", sample))
    letters = cjk + len(re.findall(r"[A-Za-z]", sample))
    return "Chinese (简体中文)" if letters and cjk / letters >= 1 / 3 else "English"


def _centres(X: np.ndarray, labels: np.ndarray, ids: list[int]) -> np.ndarray:
    from ._validation import check_embeddings

    U = check_embeddings(X)
    C = np.stack([U[labels == c].mean(axis=0) for c in ids])
    return C / np.maximum(np.linalg.norm(C, axis=1, keepdims=True), 1e-12)


def survey(
    X: np.ndarray,
    labels: np.ndarray,
    texts: Sequence[str],
    per_cluster: int = PER_CLUSTER,
    candidates: int = MISFIT_CANDIDATES,
) -> list[Prompted]:
    """Per cluster (noise left out): its typical members, its nearest other cluster, and the
    members that may not belong: those nearer another cluster's centre than their own, then
    those in the lowest quarter by closeness to their own centre (clusters of 4 or more)."""
    from ._validation import check_embeddings

    labels = np.asarray(labels)
    ids = sorted(set(labels.tolist()) - {NOISE})
    if not ids:
        return []
    U = check_embeddings(X)
    C = _centres(U, labels, ids)
    near = C @ C.T
    np.fill_diagonal(near, -np.inf)
    out = []
    for g, c in enumerate(ids):
        members = np.flatnonzero(labels == c)
        sims = U[members] @ C.T  # each member against every centre
        own = sims[:, g]
        typical = members[np.argsort(-own, kind="stable")[:per_cluster]]
        offered: list[int] = []
        if len(members) >= 4 and len(ids) > 1:
            others = sims.copy()
            others[:, g] = -np.inf
            margin = own - others.max(axis=1)
            low = np.quantile(own, 0.25)
            order = np.argsort(margin, kind="stable")
            offered = [
                int(members[k])
                for k in order
                if (margin[k] < 0 or own[k] <= low) and members[k] not in typical
            ][:candidates]
        out.append(
            Prompted(
                cluster=c,
                size=len(members),
                nearest=ids[int(np.argmax(near[g]))] if len(ids) > 1 else None,
                members=[texts[i] for i in typical],
                candidates=offered,
            )
        )
    return out


def build_prompt(
    texts: Sequence[str],
    X: np.ndarray,
    labels: np.ndarray,
    keywords: dict[int, str] | None = None,
    per_cluster: int = PER_CLUSTER,
) -> tuple[str, list[Prompted]]:
    """The user prompt and, per cluster in prompt order, what it showed."""
    shown = survey(X, labels, texts, per_cluster)
    group_of = {p.cluster: g for g, p in enumerate(shown)}

    def cut(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "…"

    blocks = []
    for g, p in enumerate(shown):
        members = "\n".join(f"  T{k}. {cut(t)}" for k, t in enumerate(p.members, start=1))
        misfits = ""
        if p.candidates:
            misfits = "\n  may not belong:\n" + "\n".join(
                f"  M{k}. {cut(texts[i])}" for k, i in enumerate(p.candidates, start=1)
            )
        blocks.append(
            GROUP_BLOCK.format(
                group=g,
                size=p.size,
                keywords=(keywords or {}).get(p.cluster, "-"),
                nearest="-" if p.nearest is None else f"group {group_of[p.nearest]}",
                members=members,
                misfits=misfits,
            )
        )
    prompt = EXPLAIN_PROMPT.format(
        n_clusters=len(shown), groups="\n\n".join(blocks), language=text_language(texts)
    )
    return prompt, shown


def parse_answer(answer: str, n_groups: int) -> list[dict]:
    """One dict per group from a model's answer: ``{"groups": [...]}`` or a bare list, maybe
    wrapped in prose or a code fence."""
    items = None
    for pattern in (r"\{.*\}", r"\[.*\]"):
        match = re.search(pattern, answer, flags=re.S)
        if not match:
            continue
        try:
            found = json.loads(match.group())
        except json.JSONDecodeError:
            continue
        if isinstance(found, dict) and isinstance(found.get("groups"), list):
            items = found["groups"]
        elif isinstance(found, list):
            items = found
        if items is not None:
            break
    if items is None:
        raise LLMError(f"The model's answer holds no JSON list of groups: {answer[:300]!r}")
    by_group: dict[int, dict] = {}
    for k, item in enumerate(items):
        if isinstance(item, dict):
            g = item.get("group", k)
            by_group[int(g) if str(g).strip().isdigit() else k] = item
    return [by_group.get(g, {}) for g in range(n_groups)]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float))]
    return []


_QUOTE_MARKS = "\"'“”‘’「」『』《》 \t"


def check_quotes(quotes: Sequence[str], members: Sequence[str]) -> tuple[list[str], list[str]]:
    """(found, dropped): a quote is found when it is a member's whole text, or (from
    :data:`MIN_QUOTE_CHARS` characters) a part of one, spaces and quote marks aside."""
    whole = {" ".join(m.split()) for m in members}
    found, dropped = [], []
    for quote in quotes:
        q = re.sub(r"^\s*T\d+[.:：、]\s*", "", " ".join(str(quote).split())).strip(_QUOTE_MARKS)
        if not q:
            continue
        if q in whole or (len(q) >= MIN_QUOTE_CHARS and any(q in m for m in whole)):
            if q not in found:
                found.append(q)
        else:
            dropped.append(q)
    return found, dropped


def explain_clusters(
    llm: ChatModel,
    texts: Sequence[str],
    X: np.ndarray,
    labels: np.ndarray,
    keywords: dict[int, str] | None = None,
    *,
    max_tokens: int = 1536,
    on_text: Callable[[str], None] | None = None,
) -> list[ClusterExplanation]:
    """Ask the LLM for a distinct label, a contrast with the nearest cluster, evidence and
    misfits per cluster, and check its answer against the data.

    A cluster the model leaves out keeps its keyword label, and says so; labels that come back
    equal get the cluster number added, so that they stay distinct. ``on_text`` sees the
    answer so far as it streams (for a progress display).
    """
    labels = np.asarray(labels)
    prompt, shown = build_prompt(texts, X, labels, keywords)
    if not shown:
        return []
    answer = ""
    for piece in llm.stream(
        [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}],
        max_tokens=max_tokens,
        temperature=0.2,
        schema=EXPLANATION_SCHEMA,
    ):
        answer += piece
        if on_text is not None:
            on_text(answer)
    items = parse_answer(answer, len(shown))
    out = []
    for p, item in zip(shown, items, strict=True):
        label = " ".join(str(item.get("label") or "").split())
        versus = " ".join(str(item.get("versus") or item.get("explanation") or "").split())
        if not label:
            label = (keywords or {}).get(p.cluster, f"cluster {p.cluster}")
            versus = versus or "(the model gave no label for this group; keywords shown)"
        members = [texts[i] for i in np.flatnonzero(labels == p.cluster)]
        found, dropped = check_quotes(_strings(item.get("evidence")), members)
        named = set()
        for m in _strings(item.get("misfits")):
            digits = re.sub(r"\D", "", m)
            if digits and 1 <= int(digits) <= len(p.candidates):
                named.add(p.candidates[int(digits) - 1])
        out.append(
            ClusterExplanation(
                cluster=p.cluster,
                label=label,
                versus=versus,
                nearest=p.nearest,
                evidence=found,
                dropped=dropped,
                misfits=[i for i in p.candidates if i in named],
                members=list(p.members),
                candidates=list(p.candidates),
            )
        )
    seen: dict[str, int] = {}
    for e in out:
        seen[e.label] = seen.get(e.label, 0) + 1
    for e in out:
        if seen[e.label] > 1:
            e.label = f"{e.label} ({e.cluster})"
    return out


def explain_analysis(
    llm: ChatModel, analysis, *, on_text: Callable[[str], None] | None = None
) -> tuple:
    """Explain an :class:`~embedviz.pipeline.Analysis`'s clusters.

    Returns:
        (the analysis with the LLM's labels, explanations and misfits, the explanations).
    """
    found = explain_clusters(
        llm,
        analysis.texts,
        analysis.embeddings,
        analysis.clusters,
        analysis.keywords,
        on_text=on_text,
    )
    labelled = analysis.with_llm_labels(
        {e.cluster: e.label for e in found},
        {e.cluster: e.explanation for e in found},
        {e.cluster: list(e.misfits) for e in found if e.misfits},
    )
    return labelled, found
