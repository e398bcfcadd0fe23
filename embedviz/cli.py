"""The ``embedviz`` command: one subcommand per pipeline stage that a user wants a file from.

    embedviz embed INPUT --out FILE.npy [--column COL] [--model SPEC]
    embedviz plot  INPUT|FOLDER --out FILE.html [--column COL] [--label-column COL]
                   [--model SPEC | --embeddings FILE.npy | --vector-column COL]
                   [--method pca|tsne|umap|pacmap] [--dims 2|3] [--cluster METHOD] [--k K]
                   [--save FOLDER] [--coords-csv FILE]
    embedviz search INPUT --query TEXT [--top-k K]
    embedviz pairs INPUT --threshold T --out pairs.csv
    embedviz explain INPUT [--llm SPEC]
    embedviz compare INPUT (--model A | --embeddings A.npy) (--model B | --embeddings B.npy)
                     [--label-column COL] [--twin-column COL] [--out FILE.html]
                     [--pairs-csv FILE]
    embedviz models
    embedviz sts PAIRS [--model A --model B ...] [--columns TEXT_A TEXT_B SCORE]
    embedviz doctor
    embedviz bench-llm [--llm SPEC]

A bad input exits with status 2 and one line saying what is wrong and what to do.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from .cluster import CLUSTER_METHODS
from .cluster import REGISTRY as CLUSTERERS
from .encoders import DEFAULT_MODEL
from .encoders import REGISTRY as ENCODERS
from .errors import EmbedvizError
from .inputs import TextBatch, read_path, texts_from_table
from .llm import BACKENDS, DEFAULT_LLM, backend_of
from .pipeline import analyze, encode_texts
from .project import DEFAULT_RANDOM_STATE, METHODS
from .project import REGISTRY as PROJECTORS
from .shards import SHARD_ROWS
from .spec import DEFAULT_METHOD, RunSpec
from .topics import LEVEL_NAMES as TOPIC_LEVELS

EXIT_USAGE = 2


class CLIError(EmbedvizError):
    """Printed as one line, exit status 2."""


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def load_batch(args) -> TextBatch:
    table = read_path(args.input, header=not args.no_header)
    batch = texts_from_table(
        table,
        column=args.column,
        label_column=getattr(args, "label_column", None),
        vector_column=getattr(args, "vector_column", None),
    )
    for note in batch.notes:
        _say(note)
    _say(batch.summary())
    if not batch.texts:
        raise CLIError(
            f"{args.input} has no non-empty texts to encode. Put one text a line, "
            "or name the text column with --column."
        )
    return batch


def cli_hooks() -> list:
    """What the command line puts around the stages: a line when the model loads, a
    progress bar while encoding."""
    from tqdm import tqdm

    def hook(stage, proceed, /, **inputs):
        if stage == "load" and isinstance(inputs["model"], str):
            _say(f"Loading model {inputs['model']} ...")
        if stage != "encode":
            return proceed(**inputs)
        with tqdm(total=len(inputs["texts"]), desc="encoding", unit="text", file=sys.stderr) as bar:
            return proceed(**{**inputs, "progress": lambda done, total: bar.update(done - bar.n)})

    return [hook]


def model_options(args) -> dict:
    """The encoder options given as ``--model-...`` flags (those of any encoder kind)."""
    return {
        p.name: getattr(args, f"model_{p.name}")
        for p in _model_option_params()
        if getattr(args, f"model_{p.name}", None) is not None
    }


def _model_option_params() -> list:
    seen: dict[str, object] = {}
    for kind in ENCODERS.values():
        for p in kind.options:
            seen.setdefault(p.name, p)
    return list(seen.values())


def encode_batch(batch: TextBatch, spec: str, use_cache: bool = True, options=None):
    """Load the model and encode the batch (or read it from the cache), saying so."""
    encoded = encode_texts(
        batch.texts, spec, options=options, hooks=cli_hooks(), use_cache=use_cache
    )
    for message in encoded.warnings:
        _say(message)
    if encoded.from_cache:
        _say("Embeddings read from the cache (these texts were encoded by this model before).")
    return encoded.encoder, encoded.X


def cmd_embed(args) -> int:
    out = Path(args.out)
    if args.engine == "ray" or out.suffix.lower() != ".npy":
        return _embed_shards(args, out)
    batch = load_batch(args)
    _, X = encode_batch(batch, args.model, not args.no_cache, model_options(args))
    out = Path(args.out)
    with all_or_none() as stage, open(stage(out), "wb") as f:
        np.save(f, X.astype(np.float32))
    _say(f"Wrote {out} ({X.shape[0]} x {X.shape[1]} float32, in input order).")
    return 0


def _embed_shards(args, out: Path) -> int:
    """Stream the input into a shard folder (this process or Ray), and gather it into a
    .npy when ``--out`` names one."""
    from tqdm import tqdm

    from .shards import ShardStore, TextStream, embed_to_shards

    folder = out.with_name(out.name + ".shards") if out.suffix.lower() == ".npy" else out
    stream = TextStream(
        Path(args.input), column=args.column, header=not args.no_header,
        rows_per_shard=args.shard_rows,
    )  # fmt: skip
    with tqdm(desc="encoding", unit="text", file=sys.stderr) as bar:

        def progress(done: int, total: int | None) -> None:
            bar.total = total
            bar.update(done - bar.n)

        if args.engine == "ray":
            from .ray_engine import embed_with_ray

            _say(f"Encoding with {args.model} on Ray ({args.address or 'a local cluster'}) ...")
            manifest = embed_with_ray(
                stream, folder, args.model, address=args.address, workers=args.workers,
                progress=progress,
            )  # fmt: skip
        else:
            from .encoders import load_encoder

            _say(f"Loading model {args.model} ...")
            encoder = load_encoder(args.model, **model_options(args))
            manifest = embed_to_shards(stream, folder, encoder, progress=progress)
    for note in stream.notes:
        _say(note)
    _say(stream.summary())
    reused = manifest.get("reused_shards", 0)
    if reused:
        _say(f"{reused} of {manifest['shards']} shards were finished by an earlier run: kept.")
    if "workers" in manifest:
        gpus = " with a GPU each" if manifest["gpus_per_worker"] else ""
        _say(f"Ray encoded with {manifest['workers']} workers{gpus}.")
    _say(
        f"Wrote {manifest['texts']:,} embeddings ({manifest['dim']} float32 each, input "
        f"order) as {manifest['shards']} Parquet shards in {folder}."
    )
    if folder != out:
        ShardStore(folder).gather(out)
        _say(f"Gathered them into {out} (the shards stay, for a rerun to reuse).")
    return 0


def spec_from_args(args) -> RunSpec:
    """The run spec the flags ask for: the method and clusterer parameters given on the
    command line (the rest at their declared defaults); a flag the chosen method does not
    take is an error that lists those it does."""
    given = {
        name: getattr(args, name)
        for name in _param_flags()
        if getattr(args, name, None) is not None
    }
    declared = PROJECTORS[args.method].params
    clusterer = CLUSTERERS.get(args.cluster)
    takes = {p.name for p in declared} | {p.name for p in (clusterer.params if clusterer else ())}
    wrong = [n for n in given if n not in takes]
    if wrong:
        flags = ", ".join("--" + n.replace("_", "-") for n in wrong)
        offered = ", ".join(p.flag for p in declared) or "no parameters"
        raise CLIError(f"--method {args.method} does not take {flags}; it takes {offered}.")
    return RunSpec.build(
        model=getattr(args, "model", None) or DEFAULT_MODEL,
        model_options=model_options(args),
        method=args.method,
        dims=args.dims,
        cluster=args.cluster,
        k=args.k,
        random_state=args.random_state,
        **given,
    )


def _param_flags() -> dict[str, list]:
    """Every parameter any projection or clusterer declares -> the declarations."""
    flags: dict[str, list] = {}
    for owner in (*PROJECTORS.values(), *CLUSTERERS.values()):
        for p in owner.params:
            flags.setdefault(p.name, []).append((owner.label, p))
    return flags


def build_analysis(args):
    """The :class:`~embedviz.analysis.Analysis` a plot-like command asks for: reopened from a
    saved folder, or run on the input file."""
    saved = opened(args)
    if saved is not None:
        return saved
    spec = spec_from_args(args)
    batch = load_batch(args)
    embeddings = None
    if getattr(args, "embeddings", None):
        from .vectors import read_npy

        embeddings = read_npy(args.embeddings, Path(args.embeddings).name)
        _say(f"Using the embeddings in {args.embeddings} {embeddings.shape}; nothing is encoded.")
    elif batch.vectors is not None:
        _say(f"Using the vectors of column {args.vector_column!r}; nothing is encoded.")
    return analyze(
        batch, spec, embeddings=embeddings, hooks=cli_hooks(), use_cache=not args.no_cache
    )


@contextlib.contextmanager
def all_or_none():
    """Outputs written beside their final paths and moved there together at the end: a
    command that fails half-way leaves none of them (nor a half-written file) behind.

    Yields ``staged(path) -> Path``: where to write what belongs at ``path``.
    """
    staged: list[tuple[Path, Path]] = []

    def stage(path) -> Path:
        final = Path(path)
        if not final.parent.is_dir():
            raise CLIError(f"There is no folder {final.parent} to write {final.name} in.")
        temp = final.with_name(f".{final.name}.embedviz-partial")
        staged.append((temp, final))
        return temp

    try:
        yield stage
    except BaseException:
        for temp, _ in staged:
            if temp.is_dir():
                shutil.rmtree(temp, ignore_errors=True)
            else:
                temp.unlink(missing_ok=True)
        raise
    for temp, final in staged:
        if final.is_dir() and temp.is_dir():
            shutil.rmtree(final)
        os.replace(temp, final)


def at_level(analysis, args):
    """The analysis at the topic level ``--level`` names (the clusters by default), with the
    tree printed."""
    tree = analysis.tree
    if tree is not None:
        print(f"Topic tree ({', '.join(tree.level_names)}):")
        print("\n".join("  " + line for line in tree.lines()))
    level = getattr(args, "level", None)
    if level is None:
        return analysis
    if tree is None:
        raise CLIError(f"--level {level}: these texts have no topic tree (too few clusters).")
    if level not in tree.level_names:
        raise CLIError(f"--level {level}: this tree has the levels {', '.join(tree.level_names)}.")
    return analysis.at_level(level)


def cmd_plot(args) -> int:
    whole = build_analysis(args)
    analysis = at_level(whole, args)
    for note in analysis.notes[1:]:
        _say(note)
    heat = analysis.heatmap()
    if heat.kind != "texts":
        _say(heat.note)
    with all_or_none() as stage:
        analysis.to_html(stage(args.out))
        if args.coords_csv:
            analysis.to_csv(stage(args.coords_csv))
        if args.save:
            whole.save(stage(args.save))
    out = Path(args.out)
    _say(f"Wrote {out} ({out.stat().st_size / 2**20:.1f} MB; opens with no network).")
    if args.coords_csv:
        _say(f"Wrote {args.coords_csv}.")
    if args.save:
        _say(
            f"Saved the analysis to {args.save}; `embedviz plot {args.save} --out ...` redraws it."
        )
    return 0


def cmd_search(args) -> int:
    from .similarity import rank_by_query

    if not args.query.strip():
        raise CLIError("--query is empty. Give the sentence to search for, e.g. --query 花呗换卡")
    saved = opened(args)
    if saved is not None:
        found = saved.search(args.query, top_k=args.top_k)
        top, cosines, texts, rows = found.positions, found.cosines, saved.texts, saved.rows
    else:
        batch = load_batch(args)
        encoder, X = encode_batch(batch, args.model, not args.no_cache, model_options(args))
        q = encoder.encode([args.query.strip()])
        top, cosines = rank_by_query(X, q[0], top_k=args.top_k)
        texts, rows = batch.texts, batch.rows
    print(f"{'rank':>4}  {'cosine':>6}  {'row':>5}  text")
    for rank, (i, c) in enumerate(zip(top, cosines, strict=True), start=1):
        print(f"{rank:>4}  {c:6.3f}  {rows[i]:>5}  {texts[i]}")
    return 0


def opened(args):
    """The saved analysis that INPUT names, or None when INPUT is a file of texts."""
    from .analysis import load
    from .store import is_saved_analysis

    if not is_saved_analysis(args.input):
        return None
    analysis = load(args.input)
    _say(f"Opened the saved analysis {args.input} ({analysis.n_texts:,} texts).")
    return analysis


def cmd_pairs(args) -> int:
    from .export import csv_bytes, named_pairs
    from .similarity import pairs_above

    saved = opened(args)
    if saved is not None:
        X, texts, rows = saved.embeddings, saved.texts, saved.rows
    else:
        batch = load_batch(args)
        _, X = encode_batch(batch, args.model, not args.no_cache, model_options(args))
        texts, rows = batch.texts, batch.rows
    pairs, total = pairs_above(X, args.threshold, limit=args.limit)
    frame = named_pairs(pairs, texts, rows)
    with all_or_none() as stage:
        stage(args.out).write_bytes(csv_bytes(frame))
    message = f"{total:,} pairs with cosine >= {args.threshold:g}; wrote {args.out}"
    if total > len(frame):
        message += f" with the {len(frame):,} most similar (raise --limit to write all)"
    _say(message + ".")
    return 0


def cmd_compare(args) -> int:
    from tqdm import tqdm

    from .comparison import compare, with_twins
    from .vectors import read_npy

    if len(args.sides) != 2:
        raise CLIError(
            f"Give two models to compare (got {len(args.sides)}): --model A --model B, or "
            "--embeddings FILE.npy for either side."
        )
    batch = load_batch(args)
    pairs = None
    if args.twin_column:
        batch, pairs = with_twins(batch, args.twin_column)
        for note in batch.notes[-2:]:
            _say(note)
    sides, names = [], []
    for kind, value in args.sides:
        if kind == "embeddings":
            vectors = read_npy(value, Path(value).name)
            sides.append(vectors)
            names.append(Path(value).name)
        else:
            sides.append(value)
            names.append(None)
    bars: dict[str, tqdm] = {}

    def progress(side: str, done: int, total: int) -> None:
        if side not in bars:
            for bar in bars.values():
                bar.close()
            bars[side] = tqdm(total=total, desc=f"encoding {side}", unit="text", file=sys.stderr)
        bars[side].update(done - bars[side].n)

    try:
        comparison = compare(
            batch,
            spec_from_args(args),
            a=sides[0],
            b=sides[1],
            pairs=pairs,
            names=(names[0], names[1]),
            n_neighbours=args.neighbours,
            use_cache=not args.no_cache,
            progress=progress,
        )
    finally:
        for bar in bars.values():
            bar.close()
    for note in comparison.notes:
        _say(note)
    print("\n".join(comparison.summary(n_pairs=args.top)))
    with all_or_none() as stage:
        if args.out:
            comparison.to_html(stage(args.out))
        if args.pairs_csv:
            stage(args.pairs_csv).write_bytes(comparison.pairs_csv())
    if args.out:
        size = Path(args.out).stat().st_size / 2**20
        _say(f"Wrote {args.out} ({size:.1f} MB; both maps, opens with no network).")
    if args.pairs_csv:
        _say(f"Wrote {args.pairs_csv} ({len(comparison.pairs.i):,} pairs, most moved each way).")
    return 0


class _Side(argparse.Action):
    """--model and --embeddings fill one list in the order given: A first, then B."""

    def __call__(self, parser, namespace, values, option_string=None):
        sides = list(getattr(namespace, self.dest, None) or [])
        sides.append(("embeddings" if option_string == "--embeddings" else "model", values))
        setattr(namespace, self.dest, sides)


def load_chat_model(args):
    """The LLM ``--llm`` names, with the options its backend declares, from their flags."""
    backend = backend_of(args.llm)
    options = {p.name: getattr(args, p.name, None) for p in backend.options}
    _say(f"Loading LLM {args.llm} ...")
    return backend.load(args.llm.strip(), **options)


def cmd_explain(args) -> int:
    from .explain import explain_analysis

    whole = build_analysis(args)
    analysis = at_level(whole, args)
    _say(analysis.cluster_summary)
    if not analysis.clustered:
        raise CLIError("Fewer than two clusters: there is nothing to tell apart. Give more texts.")
    llm = load_chat_model(args)
    _say(f"Asking {llm.name} ...")
    analysis, found = explain_analysis(llm, analysis)
    level = getattr(args, "level", None)
    if level is not None and whole.tree is not None and level != "clusters":
        # The names belong to that level of the tree: saved with the whole run.
        whole = whole.with_level_names(level, {e.cluster: e.label for e in found})
    else:
        whole = analysis
    sizes = analysis.cluster_sizes()
    for e in found:
        against = "" if e.nearest is None else f"; against cluster {e.nearest}"
        print(
            f"[{e.cluster}] {e.label}  ({sizes.get(e.cluster, 0)} texts; "
            f"keywords: {analysis.keywords.get(e.cluster, '-')}{against})"
        )
        if e.versus:
            print(f"    {e.versus}")
        for quote in e.evidence:
            print(f"    evidence: {quote}")
        for i in e.misfits:
            print(f"    does not fit: row {analysis.rows[i]}: {analysis.texts[i]}")
        for quote in e.dropped:
            print(f"    dropped, not a member's text: {quote}")
    if args.save:
        with all_or_none() as stage:
            whole.save(stage(args.save))
        _say(f"Saved the analysis with the LLM's labels to {args.save}.")
    return 0


def cmd_models(args) -> int:
    """Every model embedviz knows, whether it loads here now, and what it is good for."""
    from .encoders.catalog import CARDS, available

    rows = []
    for card in CARDS:
        ok, why = available(card)
        rows.append(
            [
                card.spec,
                card.dim,
                f"{card.size_mb:,.0f} MB",
                f"{card.texts_per_s:,.0f}" if card.texts_per_s else "-",
                f"{card.sts_spearman:.3f}" if card.sts_spearman else "-",
                "yes" if ok else "no",
                card.languages,
            ]
        )
    head = ["spec", "dim", "size", "texts/s", "STS-B zh", "here", "languages"]
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    print()
    for card in CARDS:
        ok, why = available(card)
        print(f"{card.spec}: {card.good_for}. From {card.source}; here: {why}.")
    from .settings import operator_models

    for spec in operator_models():
        print(f"{spec}: offered by the operator (EMBEDVIZ_MODELS).")
    print(
        "\ntexts/s: short texts on 2 cores; STS-B zh: Spearman of cosine against the human "
        "score on the Chinese STS-B test pairs (bench/README.md). Any Hugging Face name or "
        "folder works too (`--model NAME_OR_FOLDER`)."
    )
    return 0


def cmd_sts(args) -> int:
    """Each model's Spearman and Pearson on text pairs with a human score."""
    from .sts import read_pairs, score_model

    path = Path(args.input)
    if not path.is_file():
        raise CLIError(f"There is no file {path}. Give a file of text pairs and a score.")
    pairs = read_pairs(path.read_bytes(), path.name, args.columns)
    for note in pairs.notes:
        _say(note)
    a, b, score = pairs.columns
    _say(f"{len(pairs):,} pairs from {path.name} (texts {a!r} and {b!r}, score {score!r}).")
    models = args.model or [DEFAULT_MODEL]
    print(f"{'model':<44} {'spearman':>8} {'pearson':>8} {'pairs':>7} {'seconds':>8}")
    for spec in models:
        r = score_model(pairs, spec, hooks=cli_hooks(), use_cache=not args.no_cache)
        print(f"{r.model:<44} {r.spearman:8.4f} {r.pearson:8.4f} {r.n_pairs:7,} {r.seconds:8.1f}")
    return 0


def cmd_doctor(args) -> int:
    from .doctor import run_checks

    checks = run_checks()
    for check in checks:
        print(check.line())
    problems = [c for c in checks if c.ok is False]
    print(f"\n{len(problems)} problem(s) found." if problems else "\nNo problems found.")
    return 1 if problems else 0


def cmd_bench_llm(args) -> int:
    from .llm.bench import bench_llm

    result = bench_llm(lambda: load_chat_model(args), long_tokens=args.long_tokens)
    print(result.table())
    return 0


def number(kind: type, low: float | None = None, high: float | None = None):
    """An argparse type: ``kind`` within [low, high], else a message with the range."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if (
            value is None
            or value != value
            or (low is not None and value < low)
            or (high is not None and value > high)
        ):
            what = "a whole number" if kind is int else "a number"
            bounds = (
                f" from {low:g} to {high:g}"
                if low is not None and high is not None
                else f" of at least {low:g}"
                if low is not None
                else ""
            )
            raise argparse.ArgumentTypeError(f"must be {what}{bounds}, got {text!r}")
        return value

    return parse


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line (and exit status 2) like every other error."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def add_param_flags(p) -> None:
    """One flag per projection or clusterer parameter, from the registries."""
    for name, owners in _param_flags().items():
        first = owners[0][1]
        p.add_argument(
            first.flag,
            dest=name,
            type=first.kind if first.numeric else str,
            choices=first.choices or None,
            default=None,
            help="; ".join(
                f"{', '.join(label for label, q in owners if q is param)}: {param.help} "
                f"(default {param.default!s}, {param.range_text()})"
                for param in dict.fromkeys(q for _, q in owners)
            ).replace("%", "%%"),
        )


def add_model_option_flags(p) -> None:
    """One ``--model-...`` flag per option an encoder kind declares (device, precision,
    trust_remote_code), from the registry; the command line never asks, so running a
    model folder's own code is this flag or nothing."""
    for option in _model_option_params():
        flag, dest = "--model-" + option.flag[2:], f"model_{option.name}"
        what = f"the model's {option.name}: {option.help}".replace("%", "%%")
        if option.kind is bool:
            p.add_argument(flag, dest=dest, action="store_true", default=None, help=what)
        else:
            p.add_argument(flag, dest=dest, choices=option.choices or None, help=what)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="embedviz", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add_input(p, model: bool = True):
        p.add_argument(
            "input",
            help="a .txt file (one text a line), a .csv/.tsv/.xlsx/.parquet table, or (plot, "
            "search, pairs, explain) a folder that --save wrote",
        )
        p.add_argument("--column", help="the table's text column (default: guessed)")
        p.add_argument(
            "--no-header",
            action="store_true",
            help="the table's first row is data, not column names",
        )
        p.add_argument(
            "--no-cache",
            action="store_true",
            help="encode even when these texts are in the embedding cache "
            "($EMBEDVIZ_CACHE_DIR, default ~/.cache/embedviz)",
        )
        if not model:
            return
        p.add_argument(
            "--model",
            default=DEFAULT_MODEL,
            help=f"model spec (default {DEFAULT_MODEL}); a Hugging Face name, "
            "'text2vec:NAME' or a local folder",
        )
        add_model_option_flags(p)

    embed = sub.add_parser(
        "embed",
        help="write the (n, d) float32 embeddings as .npy, or as Parquet shards for a corpus "
        "larger than memory (locally or on Ray)",
    )
    add_input(embed)
    embed.add_argument(
        "--out",
        required=True,
        help="a .npy file to write, or a folder for Parquet shards (streamed: memory bounded; "
        "a rerun encodes only unfinished shards)",
    )
    embed.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="local: this process; ray: a Ray Data actor pool (pip install -r "
        "requirements-scale.txt), one model per worker, a GPU each when the cluster has them",
    )
    embed.add_argument(
        "--address",
        help="--engine ray: the cluster to join (HOST:PORT, or 'auto'); default a local one "
        "on 127.0.0.1",
    )
    embed.add_argument(
        "--shard-rows",
        type=number(int, 1),
        default=SHARD_ROWS,
        help=f"texts per Parquet shard: a unit of work, and what a rerun redoes "
        f"(default {SHARD_ROWS:,})",
    )
    embed.add_argument(
        "--workers",
        type=number(int, 1),
        help="--engine ray: encoding actors (default one per GPU, else one per CPU)",
    )
    embed.set_defaults(func=cmd_embed)

    def add_analysis(p, method_default):
        p.add_argument("--label-column", help="colour points by this column; gives the ARI")
        p.add_argument(
            "--embeddings",
            help="your own embeddings: a .npy of (n_texts, dim), rows in input order, or a "
            "folder `embedviz embed --out FOLDER` wrote; nothing is encoded (--model then "
            "names the model that made them, for search)",
        )
        p.add_argument(
            "--vector-column",
            help="your own embeddings in a column of the table (Parquet lists, or CSV cells "
            "like [0.1, 0.2, ...])",
        )
        p.add_argument("--method", choices=METHODS, default=method_default)
        p.add_argument("--dims", type=int, choices=(2, 3), default=2)
        add_param_flags(p)
        p.add_argument("--random-state", type=int, default=DEFAULT_RANDOM_STATE)
        p.add_argument(
            "--cluster",
            choices=CLUSTER_METHODS,
            default="kmeans",
            help="cluster the embeddings (default kmeans); each cluster is named by keywords",
        )
        p.add_argument(
            "--k",
            type=number(int, 1),
            help="number of clusters for kmeans/agglomerative (default: by silhouette)",
        )
        p.add_argument(
            "--save",
            help="also save the analysis to this folder (Parquet + .npy + JSON); "
            "`embedviz plot FOLDER` reopens it",
        )
        p.add_argument(
            "--level",
            choices=TOPIC_LEVELS,
            help="the topic tree's level to colour, name, tabulate and explain: coarse "
            "(groups of clusters), clusters (default), fine (parts of a cluster)",
        )

    plot = sub.add_parser(
        "plot",
        help="write a standalone HTML page: map and heatmap (INPUT may be a saved analysis)",
    )
    add_input(plot)
    plot.add_argument("--out", required=True, help="the .html file to write")
    add_analysis(plot, DEFAULT_METHOD)
    plot.add_argument("--coords-csv", help="also write coordinates and clusters to this CSV")
    plot.set_defaults(func=cmd_plot)

    search = sub.add_parser("search", help="print the texts most similar to a query")
    add_input(search)
    search.add_argument("--query", required=True, help="the sentence to search for")
    search.add_argument(
        "--top-k", type=number(int, 1), default=10, help="how many texts (default 10)"
    )
    search.set_defaults(func=cmd_search)

    pairs = sub.add_parser("pairs", help="write every pair above a cosine threshold as CSV")
    add_input(pairs)
    pairs.add_argument(
        "--threshold",
        type=number(float, -1.0, 1.0),
        default=0.9,
        help="lowest cosine, -1 to 1 (default 0.9)",
    )
    pairs.add_argument("--out", required=True, help="the .csv file to write")
    pairs.add_argument(
        "--limit",
        type=number(int, 1),
        default=1_000_000,
        help="write at most this many pairs (default 1e6)",
    )
    pairs.set_defaults(func=cmd_pairs)

    def add_llm(p):
        p.add_argument(
            "--llm",
            default=DEFAULT_LLM,
            help=f"{DEFAULT_LLM} (default), "
            + ", ".join(b.example for b in BACKENDS.values() if b.example != DEFAULT_LLM),
        )
        seen = set()
        for backend in BACKENDS.values():
            for option in backend.options:
                if option.name in seen:
                    continue
                seen.add(option.name)
                what = f"{backend.kind}: {option.help}".replace("%", "%%")
                if option.kind is bool:
                    p.add_argument(option.flag, action="store_true", default=None, help=what)
                else:
                    p.add_argument(
                        option.flag, choices=option.choices or None, default=None, help=what
                    )

    explain = sub.add_parser(
        "explain", help="label and explain the clusters with a local LLM (INPUT may be saved)"
    )
    add_input(explain)
    add_llm(explain)
    add_analysis(explain, "pca")
    explain.set_defaults(func=cmd_explain)

    compare = sub.add_parser(
        "compare",
        help="compare two models on the same texts: neighbourhood agreement, label "
        "separation, the pairs that moved most; both maps in one HTML",
    )
    add_input(compare, model=False)
    compare.add_argument(
        "--model",
        dest="sides",
        action=_Side,
        default=[],
        help="a model spec; give two (A, then B), or one and --embeddings",
    )
    compare.add_argument(
        "--embeddings",
        dest="sides",
        action=_Side,
        help="a .npy of (n_texts, dim) for one side, rows in input order",
    )
    compare.add_argument(
        "--label-column", help="add each model's label separation (kNN accuracy, ARI)"
    )
    compare.add_argument(
        "--twin-column",
        help="each row's paraphrase in this column: adds where each twin ranks under each model",
    )
    compare.add_argument(
        "--out",
        default="embedviz_compare.html",
        help="the .html with both maps, the findings and tables (default embedviz_compare.html)",
    )
    compare.add_argument("--pairs-csv", help="write the pairs that moved most, each way, as CSV")
    compare.add_argument(
        "--top", type=number(int, 0), default=10, help="moved pairs to print each way (10)"
    )
    compare.add_argument(
        "--neighbours",
        type=number(int, 1),
        default=10,
        help="neighbours per text for the agreement (default 10)",
    )
    compare.add_argument("--method", choices=METHODS, default=DEFAULT_METHOD)
    compare.add_argument("--dims", type=int, choices=(2, 3), default=2)
    add_param_flags(compare)
    compare.add_argument("--random-state", type=int, default=DEFAULT_RANDOM_STATE)
    compare.add_argument("--cluster", choices=CLUSTER_METHODS, default="kmeans")
    compare.add_argument(
        "--k",
        type=number(int, 1),
        help="clusters per model (default: one per label value with --label-column, "
        "else by silhouette)",
    )
    compare.set_defaults(func=cmd_compare)

    models = sub.add_parser(
        "models",
        help="every model spec embedviz knows: dimensions, size, languages, speed, STS score, "
        "and whether it works on this machine now",
    )
    models.set_defaults(func=cmd_models)

    sts_cmd = sub.add_parser(
        "sts",
        help="score models on text pairs with a human similarity score (STS-B's form): "
        "Spearman and Pearson of cosine against the score, per model",
    )
    sts_cmd.add_argument(
        "input",
        help="a file of text pairs and a score: STS-B's .data (tab-separated, no header) or a "
        "CSV/TSV/XLSX/Parquet table",
    )
    sts_cmd.add_argument(
        "--model",
        action="append",
        help=f"a model spec to score; give several (default {DEFAULT_MODEL})",
    )
    sts_cmd.add_argument(
        "--columns",
        nargs=3,
        metavar=("TEXT_A", "TEXT_B", "SCORE"),
        help="the two text columns and the score column (default: the first two text "
        "columns and the first numeric one)",
    )
    sts_cmd.add_argument(
        "--no-cache", action="store_true", help="encode even when the texts are cached"
    )
    sts_cmd.set_defaults(func=cmd_sts)

    doctor = sub.add_parser("doctor", help="check torch/CUDA/ChatGLM/llama.cpp and say the fixes")
    doctor.set_defaults(func=cmd_doctor)

    bench = sub.add_parser("bench-llm", help="time loading and answering for an LLM backend")
    add_llm(bench)
    bench.add_argument(
        "--long-tokens", type=number(int, 1, 32768), default=512, help="length of the long answer"
    )
    bench.set_defaults(func=cmd_bench_llm)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (EmbedvizError, ValueError, ImportError) as err:
        _say(f"embedviz: error: {err}")
        return EXIT_USAGE
    except OSError as err:  # an unwritable --out, a full disk
        _say(f"embedviz: error: {err.strerror or err}: {err.filename or ''}".rstrip(": "))
        return EXIT_USAGE
