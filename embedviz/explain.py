"""Explain clusters with a local LLM: per cluster a short label distinct from every other,
one sentence on what separates it from its nearest cluster, member texts quoted verbatim as
evidence, and the members that do not belong.

The model is asked about one cluster at a time (a short, focused prompt suits a small local
model): its most typical members (nearest its centre, never all its texts, so the prompt
stays short at any size) beside those of its nearest other cluster, so that it has to say
what tells the two apart, and the names already given, so that the new one differs.
Members that lie far from their centre or nearer another cluster's are offered as possible
misfits, and the model confirms or clears them.
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
from .keywords import keyword_labels
from .llm import ChatModel, LLMError

#: Typical members shown per cluster; possible misfits offered per cluster; each text cut to
#: MAX_CHARS in the prompt (a 1.5B model on 2 cores reads about 100 tokens a second).
PER_CLUSTER = 5
MISFIT_CANDIDATES = 3
MAX_CHARS = 120
#: Labels that only number the group ("group 0", "第1组") are no labels.
NO_NAME = re.compile(r"^\s*(group|cluster|组|第)?\s*\d+\s*(组)?\s*$", re.I)
#: A quote shorter than this must equal a whole member text to count as found.
MIN_QUOTE_CHARS = 4

SYSTEM_PROMPT = (
    "You are a careful analyst of text collections. You answer only with the JSON asked for."
)
EXPLAIN_PROMPT = """One group of texts, found by clustering sentence embeddings ({size} texts).
Its most typical members:
{members}

The nearest other group's most typical members:
{neighbour}
{misfits}{taken}
Answer in {language}, with JSON only:
{{"label": "...", "difference": "...", "evidence": ["T1", "T2"], "misfits": []}}
- "label": a short topic name for what this group's texts are about (3 to 8 words; in
  Chinese 4 to 12 characters) that tells it apart from the nearest group: a name for the
  topic, not one of the texts, not a single word;
- "difference": one full sentence, in words (never "T1" or "N1"), that says what this
  group's texts ask or say and what the nearest group's texts ask or say instead (e.g.
  "These ask how to ..., while the nearest group asks ...");
- "evidence": two or three of its typical members that show it best, by number ("T1");
- "misfits": the numbers ("M1") of the members that may not belong which are about something
  else than the rest of the group; [] when they all belong."""
MISFITS_BLOCK = """
Members of this group that may not belong (far from its centre, or nearer another group):
{candidates}
"""
TAKEN_BLOCK = """
Names already given to other groups (do not reuse them): {names}
"""

#: The answer's shape, for backends that can hold the model to it. The lengths keep a small
#: model from looping (a 1.5B model once repeated one clause until it ran out of tokens).
EXPLANATION_SCHEMA = {
    "type": "object",
    "properties": {
        "label": {"type": "string", "minLength": 2, "maxLength": 40},
        "difference": {"type": "string", "minLength": 12, "maxLength": 160},
        "evidence": {
            "type": "array",
            "items": {"type": "string", "maxLength": MAX_CHARS + 10},
            "maxItems": 3,
        },
        "misfits": {
            "type": "array",
            "items": {"type": "string", "maxLength": 4},
            "maxItems": MISFIT_CANDIDATES,
        },
    },
    "required": ["label", "difference", "evidence", "misfits"],
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
        fallback: the model gave no usable label, so the keywords stand in.
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
    #: the model gave no usable label: the keywords stand in
    fallback: bool = False

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
    members that may not belong (clusters of 4 or more): those nearer another cluster's
    centre than their own, or unusually far from their own (1.5 standard deviations below
    the cluster's mean closeness), the least sure first."""
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
            low = own.mean() - 1.5 * own.std()
            order = np.argsort(margin, kind="stable")
            offered = [
                int(members[k])
                for k in order
                if (margin[k] < 0 or own[k] < low) and members[k] not in typical
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


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "…"


def build_prompt(
    p: Prompted, neighbour: Prompted | None, texts: Sequence[str], taken: Sequence[str] = ()
) -> str:
    """The prompt for one cluster: its typical members beside its nearest cluster's, the
    possible misfits, and the names already given (so that the new one differs)."""
    members = "\n".join(f"  T{k}. {_cut(t)}" for k, t in enumerate(p.members, start=1))
    near = "  (none: this is the only group)"
    if neighbour is not None:
        near = "\n".join(f"  N{k}. {_cut(t)}" for k, t in enumerate(neighbour.members[:3], 1))
    misfits = ""
    if p.candidates:
        misfits = MISFITS_BLOCK.format(
            candidates="\n".join(
                f"  M{k}. {_cut(texts[i])}" for k, i in enumerate(p.candidates, start=1)
            )
        )
    return EXPLAIN_PROMPT.format(
        size=p.size,
        members=members,
        neighbour=near,
        misfits=misfits,
        taken=TAKEN_BLOCK.format(names=" / ".join(taken)) if taken else "",
        language=text_language(texts),
    )


def parse_answer(answer: str) -> dict:
    """The JSON object in a model's answer (it may wrap it in prose or a code fence; a list
    of one object counts). An answer cut off half-way keeps the fields it finished."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"[\[{]", answer):
        try:
            found, _ = decoder.raw_decode(answer, match.start())
        except json.JSONDecodeError:
            continue
        if isinstance(found, list) and found and isinstance(found[0], dict):
            found = found[0]
        if isinstance(found, dict) and found:
            return found
    finished = {}
    for key in ("label", "difference"):  # a cut-off answer: what it did finish
        match = re.search(rf'"{key}"\s*:\s*"((?:[^"\\]|\\.)*)"', answer)
        if match:
            finished[key] = json.loads(f'"{match.group(1)}"')
    if not finished:
        raise LLMError(f"The model's answer holds no JSON object: {answer[:300]!r}")
    return finished


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, (str, int, float))]
    return []


def _by_number(quote: str, typical: Sequence[str]) -> str:
    """A quote given as a typical member's number ("T2") is that member's text."""
    match = re.fullmatch(r"\s*T(\d+)\s*", quote)
    if match and 1 <= int(match.group(1)) <= len(typical):
        return typical[int(match.group(1)) - 1]
    return quote


#: Stripped from both ends of a quote: quotation marks, and the ellipsis the prompt puts on
#: a member cut at MAX_CHARS (the rest of the quote must then be part of a member).
_QUOTE_MARKS = "\"'“”‘’「」『』《》 \t…"


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
    max_tokens: int = 400,
    on_text: Callable[[str], None] | None = None,
) -> list[ClusterExplanation]:
    """Ask the LLM, cluster by cluster, for a distinct label, a contrast with the nearest
    cluster, evidence and misfits, and check each answer against the data.

    One short prompt per cluster (its members beside its nearest cluster's) suits a small
    model better than one long prompt for all. A cluster whose answer holds nothing usable
    keeps its keyword label, and says so; if no answer is usable the error shows the last.
    Labels that come back equal get the cluster number added. ``on_text`` sees the answers
    so far as they stream (for a progress display).
    """
    labels = np.asarray(labels)
    shown = survey(X, labels, texts)
    by_id = {p.cluster: p for p in shown}
    out: list[ClusterExplanation] = []
    transcript = ""
    failed: LLMError | None = None
    for p in shown:
        prompt = build_prompt(
            p, by_id.get(p.nearest), texts, taken=[e.label for e in out if not e.fallback]
        )
        answer = ""
        transcript += f"\n[cluster {p.cluster}] "
        for piece in llm.stream(
            [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": prompt}],
            max_tokens=max_tokens,
            temperature=0.2,
            schema=EXPLANATION_SCHEMA,
        ):
            answer += piece
            transcript += piece
            if on_text is not None:
                on_text(transcript.strip())
        try:
            item = parse_answer(answer)
        except LLMError as err:
            failed, item = err, {}
        out.append(_checked(item, p, texts, labels, keywords))
    if failed is not None and not any(e.evidence or e.versus for e in out if not e.fallback):
        raise failed
    seen: dict[str, int] = {}
    for e in out:
        seen[e.label] = seen.get(e.label, 0) + 1
    for e in out:
        if seen[e.label] > 1:
            e.label = f"{e.label} ({e.cluster})"
    return out


def _checked(item: dict, p: Prompted, texts, labels, keywords) -> ClusterExplanation:
    """One cluster's answer, checked: its quotes against its members, its misfits against
    the members offered, its label against "group 0"-like non-names."""
    label = " ".join(str(item.get("label") or "").split())
    if NO_NAME.match(label):  # "group 0" names nothing
        label = ""
    said = item.get("difference") or ""
    versus = " ".join(str(said).split())
    fallback = not label
    if fallback:
        label = (keywords or {}).get(p.cluster, f"cluster {p.cluster}")
        versus = versus or "(the model gave no label for this group; keywords shown)"
    members = [texts[i] for i in np.flatnonzero(labels == p.cluster)]
    quotes = [_by_number(q, p.members) for q in _strings(item.get("evidence"))]
    found, dropped = check_quotes(quotes, members)
    named = set()
    for m in _strings(item.get("misfits")):
        digits = re.sub(r"\D", "", m)
        if digits and 1 <= int(digits) <= len(p.candidates):
            named.add(p.candidates[int(digits) - 1])
    return ClusterExplanation(
        cluster=p.cluster,
        label=label,
        versus=versus,
        nearest=p.nearest,
        evidence=found,
        dropped=dropped,
        misfits=[i for i in p.candidates if i in named],
        members=list(p.members),
        candidates=list(p.candidates),
        fallback=fallback,
    )


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


def explain_selection(
    llm: ChatModel,
    analysis,
    selection: Sequence[int],
    *,
    on_text: Callable[[str], None] | None = None,
) -> list[ClusterExplanation]:
    """Explain the texts at ``selection`` against the rest of an analysis: two groups, 0
    (the selection) and 1 (the rest), each named by its keywords first."""
    groups = np.where(np.isin(np.arange(analysis.n_texts), list(selection)), 0, 1)
    return explain_clusters(
        llm,
        analysis.texts,
        analysis.embeddings,
        groups,
        keyword_labels(analysis.texts, groups),
        on_text=on_text,
    )
