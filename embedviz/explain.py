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
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .cluster import NOISE
from .errors import EmbedvizError
from .keywords import keyword_labels
from .llm import ChatModel, LLMError

#: Typical members shown per cluster (those nearest its centre), and members spread across
#: it (each the farthest from those already shown), so that a name covers the whole group
#: and not one member's detail; possible misfits offered per cluster; each text cut to
#: MAX_CHARS in the prompt (a 1.5B model on 2 cores reads about 100 tokens a second).
PER_CLUSTER = 5
SPREAD = 3
MISFIT_CANDIDATES = 3
MAX_CHARS = 60
#: Labels that only number the group ("group 0", "第1组") are no labels.
NO_NAME = re.compile(r"^\s*(group|cluster|组|第)?\s*\d+\s*(组)?\s*$", re.I)
#: A quote shorter than this must equal a whole member text to count as found.
MIN_QUOTE_CHARS = 4
#: The prompt's own handles for the texts it shows: T (this group), N (the nearest group),
#: M (possible misfits). Never shown to a reader: replaced by the text they stand for.
HANDLE = re.compile(r"(?<![A-Za-z])([TNM])\s?(\d{1,2})(?![0-9])")
#: A label is asked for again when another cluster's centre is nearer to it than its own by
#: more than this cosine, or when it is this much nearer to one member than to its own
#: centre: it names one member's detail, not what the group shares. Set on USE's cosines:
#: a fitting label sat 0.19-0.52 nearer its own centre than the next; a label that names
#: nothing ("主题0", "第1组") sat within 0.02-0.07 of every centre, and is left alone.
RIVAL_MARGIN = 0.1
ONE_MEMBER_MARGIN = 0.25
#: The "difference" must be the model's own sentence: at least this share of its letters
#: outside the texts it quotes or copies. A small model, asked in Chinese, answered with the
#: members' texts strung together ("「…」、「…」、「…」与「…」不同") or read the prompt back.
OWN_WORDS = 1 / 3

SYSTEM_PROMPT = (
    "You are a careful analyst of text collections. You answer only with the JSON asked for."
)
SYSTEM_PROMPT_ZH = "你是一位细心的文本分析师。你只用要求的 JSON 作答，内容用简体中文。"
EXPLAIN_PROMPT = """One group of texts, found by clustering sentence embeddings ({size} texts).
Its most typical members, then members from across the group:
{members}
Words frequent in this group and rare elsewhere: {keywords}

The nearest other group's most typical members{neighbour_words}:
{neighbour}
{misfits}
Answer in English, with JSON only:
{{"label": "...", "difference": "...", "evidence": ["T1", "T2"], "misfits": []}}
- "label": the topic all of this group's texts share, as a person would name it (1 to 4
  words, the kind of name a newspaper's section or a library's shelf has): the whole
  group's topic, not a detail of one text, and distinct from the nearest group{taken};
- "difference": one sentence in your own words on what this group's texts are about and
  what the nearest group's are about instead, in the form "These texts are about …; the
  nearest group's are about …."; do not copy or list the texts, never write T1, N1 or M1;
- "evidence": two or three of its members that show it best, by number ("T1");
- "misfits": the numbers ("M1") of the possible misfits that are about something else than
  the rest of the group; [] when they all belong."""
EXPLAIN_PROMPT_ZH = """下面是一组文本，由句向量聚类得到（共 {size} 条）。
最典型的几条，以及分布在这一组各处的几条：
{members}
这一组常见、别组少见的词：{keywords}

与它最接近的另一组最典型的几条{neighbour_words}：
{neighbour}
{misfits}
只用 JSON 回答，内容用简体中文：
{{"label": "...", "difference": "...", "evidence": ["T1", "T2"], "misfits": []}}
- "label"：这一组所有文本共同的主题，用人们会用的说法
  （2 到 8 个字，像报纸的版面名或图书馆的分类名）；概括整组，不要只概括其中一条的细节，
  也要与最接近的那一组不同{taken}；
- "difference"：用你自己的话写一句完整的中文，说明这一组文本在讲什么、最接近的那一组在讲什么
  （写成「这一组讲的是……，最接近的那一组讲的是……。」）；不要照抄或罗列原文，
  不要写 T1、N1、M1 这样的编号；
- "evidence"：最能说明这一组的两三条，写编号（如 "T1"）；
- "misfits"：可能不属于这一组的文本中，确实在讲别的事情的那些的编号（如 "M1"）；都属于就写 []。"""
MISFITS_BLOCK = """
Members of this group that may not belong (far from its centre, or nearer another group):
{candidates}
"""
MISFITS_BLOCK_ZH = """
这一组里可能不属于它的文本（离中心远，或离别的组更近）：
{candidates}
"""
TAKEN_BLOCK = " and from the names other groups already have ({names})"
TAKEN_BLOCK_ZH = "，也不能用别的组已经用过的名字（{names}）"
NEIGHBOUR_WORDS = " (its frequent words: {words})"
NEIGHBOUR_WORDS_ZH = "（它的常见词：{words}）"
#: Phrases of the prompt itself (its headings, its form with the blanks unfilled): an answer
#: that holds one has read the prompt back instead of answering it.
PROMPT_PHRASES = (
    "由句向量聚类得到", "最典型的几条", "分布在这一组各处", "这一组常见、别组少见的词",
    "可能不属于它的文本", "别的组已经用过的名字", "讲的是……", "它的常见词",
    "found by clustering sentence embeddings", "most typical members",
    "members from across the group", "Words frequent in this group", "may not belong (far",
    "names other groups already have", "are about …", "its frequent words",
)  # fmt: skip
#: Said to the model when its first answer needs another try.
RETRY_LANGUAGE = "Answer again in English only, the same JSON."
RETRY_LANGUAGE_ZH = "请用简体中文重新回答，同样的 JSON。"
RETRY_LABEL = (
    "The label {label!r} fits {what} better than this group. Give the topic that all of this "
    "group's texts share, the same JSON."
)
RETRY_LABEL_ZH = (
    "名字「{label}」更贴近{what}，而不是这一组的全部文本。请给出整组共同的主题，同样的 JSON。"
)
RETRY_TAKEN = "The label {label!r} is already another group's. Name what sets this one apart."
RETRY_TAKEN_ZH = "名字「{label}」已经给了别的组，请换一个能把这一组区分出来的名字。"
RETRY_SENTENCE = (
    'The "difference" copies the texts or the question. Write it as one sentence in your '
    "own words: what this group is about, and what the nearest group is about. The same JSON."
)
RETRY_SENTENCE_ZH = (
    "“difference” 照抄了原文或题目。请用你自己的话写一句：这一组在讲什么，"
    "最接近的那一组在讲什么。同样的 JSON。"
)
RETRY_SAME = (
    'The "difference" says the same of both groups. Say what this group is about and what '
    "the nearest group is about instead, so that a reader can tell them apart. The same JSON."
)
RETRY_SAME_ZH = (
    "“difference” 说这两组讲的是同一件事。请写出这一组讲什么、最接近的那一组讲什么，"
    "让读者分得清它们。同样的 JSON。"
)
#: The two halves of the sentence's form, to see whether both name the same thing.
HALVES = re.compile(
    r"(?:这一组|these texts)[^，,；;]*?(?:讲的是|在讲|are about)(?P<own>.+?)"
    r"[，,；;]\s*(?:而|and\s+|while\s+)?(?:最接近的那一组|the nearest group(?:'s)?)"
    r"[^，,；;]*?(?:讲的是|在讲|are about|is about)(?P<other>.+?)[。.]?$",
    re.I,
)
#: The sentence written from the keywords when the model's, asked twice, was not its own.
FROM_KEYWORDS = "This group is mostly about {own}; the nearest group about {other}."
FROM_KEYWORDS_ZH = "这一组多谈{own}，最接近的那一组多谈{other}。"

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
    #: why the model was asked a second time (another language, a label that fit another
    #: group or one member better, a sentence not its own), or None
    asked_again: str | None = None
    #: the model's sentence, asked twice, only copied the texts or the prompt: ``versus``
    #: is written from the keywords instead (and says so in the notes)
    versus_from_keywords: bool = False

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
        if self.versus_from_keywords:
            out.append(
                "The model's sentence only copied the texts or the question (asked twice), "
                "so the contrast is written from the keywords."
            )
        if self.misfits:
            out.append("Does not fit: " + " / ".join(f"“{texts[i]}”" for i in self.misfits))
        return out


@dataclass
class Prompted:
    """What one cluster's block showed the model: its typical members first, then members
    spread across it (``members``: texts, ``positions``: where they are)."""

    cluster: int
    size: int
    nearest: int | None
    members: list[str]
    candidates: list[int]
    positions: list[int] = field(default_factory=list)


def text_language(texts: Sequence[str]) -> str:
    """ "Chinese" when a third or more of the letters are CJK, else "English"."""
    return "Chinese (简体中文)" if _cjk_share("".join(texts[:500])) >= 1 / 3 else "English"


def _cjk_share(text: str) -> float:
    cjk = len(re.findall(r"[\u3400-\u9fff]", text))
    letters = cjk + len(re.findall(r"[A-Za-z]", text))
    return cjk / letters if letters else 0.0


def _chinese(texts: Sequence[str]) -> bool:
    return text_language(texts).startswith("Chinese")


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
    spread: int = SPREAD,
) -> list[Prompted]:
    """Per cluster (noise left out): its typical members and ``spread`` more from across it,
    its nearest other cluster, and the members that may not belong (clusters of 4 or more):
    those nearer another cluster's centre than their own, or unusually far from their own
    (1.5 standard deviations below the cluster's mean closeness), the least sure first."""
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
        shown = list(typical) + _spread(U, members, own, typical, spread)
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
                if (margin[k] < 0 or own[k] < low) and members[k] not in shown
            ][:candidates]
        out.append(
            Prompted(
                cluster=c,
                size=len(members),
                nearest=ids[int(np.argmax(near[g]))] if len(ids) > 1 else None,
                members=[texts[i] for i in shown],
                candidates=offered,
                positions=[int(i) for i in shown],
            )
        )
    return out


def _spread(U, members, own, typical, n: int) -> list[int]:
    """``n`` members of the cluster's typical half, each the farthest from those already
    shown: what the group covers, not more of its centre. Outliers (the half farthest from
    the centre) are left to the misfit check."""
    if n <= 0 or len(members) <= len(typical):
        return []
    pool = members[own >= np.median(own)]
    pool = np.setdiff1d(pool, typical, assume_unique=False)
    chosen: list[int] = []
    shown = list(typical)
    for _ in range(min(n, len(pool))):
        nearest = (U[pool] @ U[shown].T).max(axis=1)
        pick = int(pool[int(np.argmin(nearest))])
        chosen.append(pick)
        shown.append(pick)
        pool = pool[pool != pick]
    return chosen


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "…"


def build_prompt(
    p: Prompted,
    neighbour: Prompted | None,
    texts: Sequence[str],
    taken: Sequence[str] = (),
    keywords: str = "",
    neighbour_keywords: str = "",
) -> str:
    """The prompt for one cluster, in the texts' language: its typical members and some from
    across it, its keywords, its nearest cluster's typical members and keywords, the possible
    misfits, and the names already given (so that the new one differs)."""
    zh = _chinese(texts)
    members = "\n".join(f"  T{k}. {_cut(t)}" for k, t in enumerate(p.members, start=1))
    near = "  （没有：这是唯一的一组）" if zh else "  (none: this is the only group)"
    if neighbour is not None:
        near = "\n".join(f"  N{k}. {_cut(t)}" for k, t in enumerate(neighbour.members[:3], 1))
    misfits = ""
    if p.candidates:
        misfits = (MISFITS_BLOCK_ZH if zh else MISFITS_BLOCK).format(
            candidates="\n".join(
                f"  M{k}. {_cut(texts[i])}" for k, i in enumerate(p.candidates, start=1)
            )
        )
    taken_block = (TAKEN_BLOCK_ZH if zh else TAKEN_BLOCK).format(names=" / ".join(taken))
    words = (NEIGHBOUR_WORDS_ZH if zh else NEIGHBOUR_WORDS).format(words=neighbour_keywords)
    return (EXPLAIN_PROMPT_ZH if zh else EXPLAIN_PROMPT).format(
        size=p.size,
        members=members,
        keywords=keywords or "-",
        neighbour=near,
        neighbour_words=words if neighbour is not None and neighbour_keywords else "",
        misfits=misfits,
        taken=taken_block if taken else "",
    )


def unhandle(sentence: str, p: Prompted, neighbour: Prompted | None, texts) -> str:
    """The sentence with the prompt's handles (T1, N2, M3) replaced by the texts they stand
    for, quoted and cut short: a reader never sees the prompt's numbering."""

    def text_of(match: re.Match) -> str:
        kind, k = match.group(1), int(match.group(2)) - 1
        pool = {
            "T": p.members,
            "N": neighbour.members[:3] if neighbour is not None else [],
            "M": [texts[i] for i in p.candidates],
        }[kind]
        if not 0 <= k < len(pool):
            return ""
        text = " ".join(pool[k].split())
        return f"「{text[:24]}{'…' if len(text) > 24 else ''}」"

    out = HANDLE.sub(text_of, sentence)
    out = re.sub(r"「」|\(\s*\)|（\s*）", "", out)
    return " ".join(out.split())


def own_words_problem(sentence: str, shown: Sequence[str]) -> str | None:
    """Why ``sentence`` is not the model's own, or None: it reads the prompt back
    ("prompt"), says the same of both groups ("same": "这一组讲的是拆迁，最接近的那一组讲的是
    拆迁。"), or fewer than :data:`OWN_WORDS` of its letters lie outside the quotes and the
    ``shown`` texts it copies ("texts")."""
    if any(phrase in sentence for phrase in PROMPT_PHRASES):
        return "prompt"
    halves = HALVES.search(sentence.strip())
    if halves and _gist(halves["own"]) == _gist(halves["other"]):
        return "same"
    rest = re.sub(r"「[^」]*」|『[^』]*』|“[^”]*”|\"[^\"]*\"", " ", sentence)
    copies = {" ".join(t.split()) for t in shown} | {_cut(t).rstrip("…") for t in shown}
    for text in sorted(copies, key=len, reverse=True):
        if len(text) >= MIN_QUOTE_CHARS:
            rest = rest.replace(text, " ")
    total = _letters(sentence)
    if total and _letters(rest) < OWN_WORDS * total:
        return "texts"
    return None


def _gist(half: str) -> str:
    """One half of the sentence without its filler words, to compare with the other."""
    return re.sub(r"关于|的|问题|\b(?:the|about|of|a|an)\b|\W", "", half.casefold())


def _letters(text: str) -> int:
    return len(re.findall(r"[\u3400-\u9fff]|[A-Za-z0-9]", text))


def _shown(p: Prompted, neighbour: Prompted | None, texts) -> list[str]:
    """Every text the prompt for ``p`` showed."""
    near = neighbour.members[:3] if neighbour is not None else []
    return [*p.members, *near, *(texts[i] for i in p.candidates)]


def _sentence(item: dict, p: Prompted, neighbour: Prompted | None, texts) -> str:
    """The answer's "difference", one line, its handles replaced by their texts."""
    return unhandle(" ".join(str(item.get("difference") or "").split()), p, neighbour, texts)


def _sentence_problem(item: dict, p: Prompted, neighbour: Prompted | None, texts) -> str | None:
    sentence = _sentence(item, p, neighbour, texts)
    return own_words_problem(sentence, _shown(p, neighbour, texts)) if sentence else "none"


def _own_sentence(item: dict, p: Prompted, neighbour: Prompted | None, texts) -> bool:
    return _sentence_problem(item, p, neighbour, texts) is None


def from_keywords(p: Prompted, keywords: dict[int, str] | None, zh: bool) -> str:
    """What separates the cluster, written from its keywords and its neighbour's ("" when
    either has none)."""
    words = keywords or {}
    own, other = words.get(p.cluster, ""), words.get(p.nearest, "")
    if not own or not other:
        return ""
    join = "、" if zh else ", "
    own, other = (join.join(w.split(" · ")) for w in (own, other))
    return (FROM_KEYWORDS_ZH if zh else FROM_KEYWORDS).format(own=own, other=other)


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
    max_tokens: int = 300,
    on_text: Callable[[str], None] | None = None,
    encoder=None,
) -> list[ClusterExplanation]:
    """Ask the LLM, cluster by cluster, for a distinct label, a contrast with the nearest
    cluster, evidence and misfits, and check each answer against the data.

    One short prompt per cluster (its members beside its nearest cluster's), in the texts'
    language, suits a small model better than one long prompt for all. An answer in another
    language, or (with ``encoder``, the model that made ``X``) a label whose embedding sits
    nearer another cluster's centre than its own, or nearer one member than its cluster, is
    asked for again, once. A cluster whose answer holds nothing usable keeps its keyword
    label, and says so; if no answer is usable the error shows the last. Labels that come
    back equal get the cluster number added. ``on_text`` sees the answers so far as they
    stream (for a progress display).
    """
    from ._validation import check_embeddings

    labels = np.asarray(labels)
    shown = survey(X, labels, texts)
    by_id = {p.cluster: p for p in shown}
    zh = _chinese(texts)
    system = SYSTEM_PROMPT_ZH if zh else SYSTEM_PROMPT
    ids = [p.cluster for p in shown]
    U = check_embeddings(X) if encoder is not None else None
    centres = _centres(X, labels, ids) if encoder is not None and ids else None
    out: list[ClusterExplanation] = []
    transcript = ""
    failed: LLMError | None = None

    def ask(messages) -> tuple[str, dict]:
        nonlocal transcript, failed
        answer = ""
        for piece in llm.stream(
            messages, max_tokens=max_tokens, temperature=0.2, schema=EXPLANATION_SCHEMA
        ):
            answer += piece
            transcript += piece
            if on_text is not None:
                on_text(transcript.strip())
        try:
            return answer, parse_answer(answer)
        except LLMError as err:
            failed = err
            return answer, {}

    keywords = keywords or {}
    for g, p in enumerate(shown):
        neighbour = by_id.get(p.nearest)
        taken = [e.label for e in out if not e.fallback]
        prompt = build_prompt(
            p,
            neighbour,
            texts,
            taken=taken,
            keywords=keywords.get(p.cluster, ""),
            neighbour_keywords=keywords.get(p.nearest, "") if p.nearest is not None else "",
        )
        transcript += f"\n[cluster {p.cluster}] "
        messages = [{"role": "system", "content": system}, {"role": "user", "content": prompt}]
        answer, item = ask(messages)
        why = _ask_again(item, p, neighbour, g, zh, encoder, U, centres, labels, texts, taken)
        if why:
            transcript += "\n[asked again] "
            messages += [
                {"role": "assistant", "content": answer},
                {"role": "user", "content": why},
            ]
            _, again = ask(messages)
            if str(again.get("label") or "").strip():
                keep = _own_sentence(item, p, neighbour, texts)
                if keep and not _own_sentence(again, p, neighbour, texts):
                    again = {**again, "difference": item.get("difference")}
                item = {**item, **again}
        e = _checked(item, p, neighbour, texts, labels, keywords)
        if not e.fallback and e.versus and not _own_sentence(item, p, neighbour, texts):
            e.versus = from_keywords(p, keywords, zh)
            e.versus_from_keywords = True
        e.asked_again = why
        out.append(e)
    if failed is not None and not any(e.evidence or e.versus for e in out if not e.fallback):
        raise failed
    _tell_apart(out, keywords)
    return out


def _tell_apart(found: list[ClusterExplanation], keywords: dict[int, str]) -> None:
    """Labels that came back equal (the model asked again and insisted) get their cluster's
    first keyword the label does not hold, else the cluster's number."""
    for suffix in (
        lambda e: next(
            (f" · {w}" for w in keywords.get(e.cluster, "").split(" · ") if w and w not in e.label),
            "",
        ),  # fmt: skip
        lambda e: f" ({e.cluster})",
    ):
        seen = Counter(e.label.casefold() for e in found)
        for e in found:
            if seen[e.label.casefold()] > 1:
                e.label += suffix(e)


def _ask_again(
    item, p, neighbour, g, zh, encoder, U, centres, labels, texts, taken=()
) -> str | None:
    """What to say to the model when its answer should be asked for again, or None: an
    answer in another language than the texts', a label already given to another cluster,
    a label that fits another cluster or one member better than its own cluster, a sentence
    that is not its own (the texts or the prompt copied back) or says the same of both."""
    label = " ".join(str(item.get("label") or "").split())
    said = f"{label} {item.get('difference') or ''}".strip()
    if not said:
        return None
    share = _cjk_share(said)
    if zh and share < 1 / 3:
        return RETRY_LANGUAGE_ZH
    if not zh and share > 0.5:
        return RETRY_LANGUAGE
    reasons = []
    if label.casefold() in {t.casefold() for t in taken}:
        reasons.append((RETRY_TAKEN_ZH if zh else RETRY_TAKEN).format(label=label))
    else:
        fits = _label_fits(label, p, neighbour, g, zh, encoder, U, centres, labels, texts)
        reasons += [fits] if fits else []
    problem = _sentence_problem(item, p, neighbour, texts) if item.get("difference") else None
    if problem == "same":
        reasons.append(RETRY_SAME_ZH if zh else RETRY_SAME)
    elif problem:
        reasons.append(RETRY_SENTENCE_ZH if zh else RETRY_SENTENCE)
    return " ".join(reasons) or None


def _label_fits(label, p, neighbour, g, zh, encoder, U, centres, labels, texts) -> str | None:
    """What to tell the model when ``label`` sits nearer another cluster's centre, or one
    member, than its own cluster's centre; None when it fits (or cannot be checked)."""
    if encoder is None or centres is None or not label or NO_NAME.match(label):
        return None
    v = np.asarray(encoder.encode([label]), dtype=np.float32)[0]
    v = v / max(float(np.linalg.norm(v)), 1e-12)
    to_centres = centres @ v
    own = float(to_centres[g])
    others = np.delete(to_centres, g)
    members = np.flatnonzero(labels == p.cluster)
    to_members = U[members] @ v
    template = RETRY_LABEL_ZH if zh else RETRY_LABEL
    if others.size and float(others.max()) > own + RIVAL_MARGIN:
        what = "另一组" if zh else "another group"
        if neighbour is not None and neighbour.members:
            what += (
                f"（如「{_cut(neighbour.members[0])[:30]}」）"
                if zh
                else (f' (such as "{_cut(neighbour.members[0])[:40]}")')
            )
        return template.format(label=label, what=what)
    best = int(np.argmax(to_members))
    if float(to_members[best]) > own + ONE_MEMBER_MARGIN:
        one = _cut(texts[int(members[best])])[:30]
        what = f"其中一条「{one}」" if zh else f'one of its texts ("{one}")'
        return template.format(label=label, what=what)
    return None


def _checked(item: dict, p: Prompted, neighbour, texts, labels, keywords) -> ClusterExplanation:
    """One cluster's answer, checked: its quotes against its members, its misfits against
    the members offered, its label against "group 0"-like non-names, its sentence cleared of
    the prompt's handles."""
    label = " ".join(str(item.get("label") or "").split())
    if NO_NAME.match(label):  # "group 0" names nothing
        label = ""
    versus = _sentence(item, p, neighbour, texts)
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
    """Explain an :class:`~embedviz.pipeline.Analysis`'s clusters; each label is checked
    against the clusters with the analysis's own model, when embedviz has it.

    Returns:
        (the analysis with the LLM's labels, explanations and misfits, the explanations).
    """
    encoder = analysis.encoder
    if encoder is None:
        try:
            encoder = analysis.query_encoder()
        except (EmbedvizError, ImportError):  # the user's own embeddings: no label check
            encoder = None
    found = explain_clusters(
        llm,
        analysis.texts,
        analysis.embeddings,
        analysis.clusters,
        analysis.keywords,
        on_text=on_text,
        encoder=encoder,
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
