"""The ``embedviz`` command: one subcommand per pipeline stage that a user wants a file from.

    embedviz embed INPUT --out FILE.npy [--column COL] [--model SPEC]
    embedviz plot  INPUT --out FILE.html [--column COL] [--label-column COL] [--model SPEC]
                   [--method pca|tsne|umap] [--dims 2|3] [--cluster METHOD] [--k K]
    embedviz search INPUT --query TEXT [--top-k K]
    embedviz pairs INPUT --threshold T --out pairs.csv
    embedviz explain INPUT [--llm SPEC]
    embedviz doctor
    embedviz bench-llm [--llm SPEC]

A bad input exits with status 2 and one line saying what is wrong and what to do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .cluster import CLUSTER_METHODS
from .encoders import DEFAULT_MODEL, ModelLoadError
from .inputs import InputError, TextBatch, read_path, texts_from_table
from .llm import LLMError
from .project import DEFAULT_RANDOM_STATE, METHODS

EXIT_USAGE = 2


class CLIError(Exception):
    """Printed as one line, exit status 2."""


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def load_batch(args) -> TextBatch:
    table = read_path(args.input, header=not args.no_header)
    batch = texts_from_table(
        table, column=args.column, label_column=getattr(args, "label_column", None)
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


def encode_batch(batch: TextBatch, spec: str, use_cache: bool = True):
    from tqdm import tqdm

    from .encoders import load_encoder

    _say(f"Loading model {spec} ...")
    encoder = load_encoder(spec)
    truncated = encoder.count_truncated(batch.texts) if encoder.max_tokens else 0
    if truncated:
        _say(
            f"{truncated} texts are longer than the model's {encoder.max_tokens} tokens; "
            "their ends are not encoded."
        )
    from .cache import cached_encode

    with tqdm(total=len(batch.texts), desc="encoding", unit="text", file=sys.stderr) as bar:
        X, hit = cached_encode(
            encoder,
            batch.texts,
            progress=lambda done, total: bar.update(done - bar.n),
            use_cache=use_cache,
        )
    if hit:
        _say("Embeddings read from the cache (these texts were encoded by this model before).")
    return encoder, X


def cmd_embed(args) -> int:
    batch = load_batch(args)
    _, X = encode_batch(batch, args.model, not args.no_cache)
    out = Path(args.out)
    np.save(out, X.astype(np.float32))
    _say(f"Wrote {out} ({X.shape[0]} x {X.shape[1]} float32, in input order).")
    return 0


def cmd_plot(args) -> int:
    from .cluster import adjusted_rand, cluster, cluster_similarity, ordered_similarities
    from .export import coordinates_frame, csv_bytes, standalone_html
    from .figures.view import (
        MAX_HEATMAP_TEXTS,
        cluster_point_labels,
        heatmap_figure,
        map_figure,
    )
    from .keywords import keyword_labels
    from .project import project
    from .quality import neighbourhood_scores

    batch = load_batch(args)
    encoder, X = encode_batch(batch, args.model, not args.no_cache)
    params = {"random_state": args.random_state}
    if args.method == "tsne":
        params["perplexity"] = args.perplexity
    elif args.method == "umap":
        params.update(n_neighbors=args.n_neighbors, min_dist=args.min_dist)
    _say(f"Projecting with {args.method} to {args.dims}-D ...")
    projection = project(X, args.method, args.dims, **params)
    notes = [batch.summary(), *projection.warnings]

    _say(f"Clustering with {args.cluster} ...")
    clustering = cluster(X, args.cluster, "auto" if args.k is None else args.k)
    clustered = args.cluster != "none" and clustering.n_clusters > 1
    names = keyword_labels(batch.texts, clustering.labels) if clustered else {}
    notes += [*clustering.warnings, clustering.describe()]
    if clustered:
        sizes = np.bincount(clustering.labels[clustering.labels >= 0])
        notes += [
            f"Cluster {c}: {names[c]} ({sizes[c]} texts)"
            if c >= 0
            else f"Noise: {clustering.n_noise} texts in no cluster"
            for c in sorted(names, key=lambda c: (c < 0, c))
        ]
    scores = neighbourhood_scores(X, projection.coords)
    notes.append(f"Map: {scores.describe()}.")
    if batch.labels is not None and clustered:
        ari = adjusted_rand(batch.labels, clustering.labels)
        notes.append(f"Adjusted Rand index of the clusters against {args.label_column}: {ari:.2f}")
    for note in notes[1:]:
        _say(note)

    n = len(batch.texts)
    S = order = summary = None
    boundaries: list[int] = []
    if n <= MAX_HEATMAP_TEXTS:
        S, order, boundaries = ordered_similarities(X, clustering.labels if clustered else None)
    elif clustered:
        M, ids, sizes = cluster_similarity(X, clustering.labels)
        summary = (M, [names[c] for c in ids], sizes)
        _say(f"{n} texts: the heatmap shows the mean similarity between clusters.")
    else:
        notes.append(f"The heatmap is left out above {MAX_HEATMAP_TEXTS} texts without clusters.")
        _say(notes[-1])
    if batch.labels is not None:
        labels, label_name = batch.labels, args.label_column
    elif clustered:
        labels, label_name = cluster_point_labels(clustering.labels, names), "cluster"
    else:
        labels, label_name = None, "label"
    scatter = map_figure(
        coords=projection.coords,
        axis_titles=projection.axis_titles,
        method_name=projection.name,
        model_name=encoder.name,
        texts=batch.texts,
        ids=batch.rows,
        labels=labels,
        label_name=label_name,
    )
    heatmap = heatmap_figure(
        texts=batch.texts,
        ids=batch.rows,
        S=S,
        order=order,
        boundaries=boundaries,
        cluster_summary=summary,
    )
    figures = [f for f in (scatter, heatmap) if f is not None]
    page = standalone_html(figures, title=f"embedviz: {Path(args.input).name}", notes=notes)
    out = Path(args.out)
    out.write_text(page, encoding="utf-8")
    _say(f"Wrote {out} ({out.stat().st_size / 2**20:.1f} MB; opens with no network).")
    if args.coords_csv:
        extra = {f"neighbours_kept_of_{scores.k}": np.round(scores.per_point, 3)}
        if clustered:
            extra = {
                "cluster": clustering.labels,
                "cluster_keywords": [names[c] for c in clustering.labels.tolist()],
                **extra,
            }
        frame = coordinates_frame(
            batch.texts,
            projection.coords,
            rows=batch.rows,
            labels=batch.labels,
            label_name=args.label_column or "label",
            extra=extra,
        )
        Path(args.coords_csv).write_bytes(csv_bytes(frame))
        _say(f"Wrote {args.coords_csv}.")
    return 0


def cmd_search(args) -> int:
    from .similarity import rank_by_query

    if not args.query.strip():
        raise CLIError("--query is empty. Give the sentence to search for, e.g. --query 花呗换卡")
    batch = load_batch(args)
    encoder, X = encode_batch(batch, args.model, not args.no_cache)
    q = encoder.encode([args.query.strip()])
    top, cosines = rank_by_query(X, q[0], top_k=args.top_k)
    print(f"{'rank':>4}  {'cosine':>6}  {'row':>5}  text")
    for rank, (i, c) in enumerate(zip(top, cosines, strict=True), start=1):
        print(f"{rank:>4}  {c:6.3f}  {batch.rows[i]:>5}  {batch.texts[i]}")
    return 0


def cmd_pairs(args) -> int:
    from .export import csv_bytes, named_pairs
    from .similarity import pairs_above

    batch = load_batch(args)
    _, X = encode_batch(batch, args.model, not args.no_cache)
    pairs, total = pairs_above(X, args.threshold, limit=args.limit)
    frame = named_pairs(pairs, batch.texts, batch.rows)
    Path(args.out).write_bytes(csv_bytes(frame))
    message = f"{total:,} pairs with cosine >= {args.threshold:g}; wrote {args.out}"
    if total > len(frame):
        message += f" with the {len(frame):,} most similar (raise --limit to write all)"
    _say(message + ".")
    return 0


def load_chat_model(args):
    from .llm import load_llm

    options = {}
    if args.llm.startswith("transformers:"):
        options = dict(
            precision=args.precision,
            trust_remote_code=args.trust_remote_code,
            revision=args.revision,
        )
    _say(f"Loading LLM {args.llm} ...")
    return load_llm(args.llm, **options)


def cmd_explain(args) -> int:
    from .cluster import cluster
    from .explain import explain_clusters
    from .keywords import keyword_labels

    batch = load_batch(args)
    _, X = encode_batch(batch, args.model, not args.no_cache)
    clustering = cluster(X, args.cluster, "auto" if args.k is None else args.k)
    _say(clustering.describe())
    if clustering.n_clusters < 2:
        raise CLIError("Fewer than two clusters: there is nothing to tell apart. Give more texts.")
    keywords = keyword_labels(batch.texts, clustering.labels)
    llm = load_chat_model(args)
    _say(f"Asking {llm.name} ...")
    for e in explain_clusters(llm, batch.texts, X, clustering.labels, keywords):
        size = int((clustering.labels == e.cluster).sum())
        print(f"[{e.cluster}] {e.label}  ({size} texts; keywords: {keywords[e.cluster]})")
        print(f"    {e.explanation}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="embedviz", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def add_input(p):
        p.add_argument("input", help="a .txt file (one text a line) or a .csv/.tsv/.xlsx table")
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
        p.add_argument(
            "--model",
            default=DEFAULT_MODEL,
            help=f"model spec (default {DEFAULT_MODEL}); a Hugging Face name, "
            "'text2vec:NAME' or a local folder",
        )

    embed = sub.add_parser("embed", help="write the (n, d) float32 embeddings as .npy")
    add_input(embed)
    embed.add_argument("--out", required=True, help="the .npy file to write")
    embed.set_defaults(func=cmd_embed)

    plot = sub.add_parser("plot", help="write a standalone HTML page: scatter and heatmap")
    add_input(plot)
    plot.add_argument("--out", required=True, help="the .html file to write")
    plot.add_argument("--label-column", help="colour points by this column")
    plot.add_argument("--method", choices=METHODS, default="pca")
    plot.add_argument("--dims", type=int, choices=(2, 3), default=2)
    plot.add_argument("--perplexity", type=float, default=30.0, help="t-SNE perplexity")
    plot.add_argument("--n-neighbors", type=int, default=15, help="UMAP n_neighbors")
    plot.add_argument("--min-dist", type=float, default=0.1, help="UMAP min_dist")
    plot.add_argument("--random-state", type=int, default=DEFAULT_RANDOM_STATE)
    plot.add_argument(
        "--cluster",
        choices=CLUSTER_METHODS,
        default="kmeans",
        help="cluster the embeddings (default kmeans); the page names each cluster by keywords",
    )
    plot.add_argument(
        "--k", type=int, help="number of clusters for kmeans/agglomerative (default: by silhouette)"
    )
    plot.add_argument("--coords-csv", help="also write coordinates and clusters to this CSV")
    plot.set_defaults(func=cmd_plot)

    search = sub.add_parser("search", help="print the texts most similar to a query")
    add_input(search)
    search.add_argument("--query", required=True, help="the sentence to search for")
    search.add_argument("--top-k", type=int, default=10, help="how many texts (default 10)")
    search.set_defaults(func=cmd_search)

    pairs = sub.add_parser("pairs", help="write every pair above a cosine threshold as CSV")
    add_input(pairs)
    pairs.add_argument("--threshold", type=float, default=0.9, help="lowest cosine (default 0.9)")
    pairs.add_argument("--out", required=True, help="the .csv file to write")
    pairs.add_argument(
        "--limit", type=int, default=1_000_000, help="write at most this many pairs (default 1e6)"
    )
    pairs.set_defaults(func=cmd_pairs)

    def add_llm(p):
        p.add_argument(
            "--llm",
            default="bundled",
            help="bundled (default), gguf:FILE, transformers:FOLDER, openai:MODEL@URL",
        )
        p.add_argument(
            "--precision",
            choices=("auto", "fp16", "int8", "int4", "fp32"),
            default="auto",
            help="transformers: fp16 on a GPU, fp32 on the CPU by default; int8/int4 use the "
            "model's own quantize() (ChatGLM)",
        )
        p.add_argument(
            "--trust-remote-code",
            action="store_true",
            help="transformers: run the model folder's own code (ChatGLM needs it)",
        )
        p.add_argument("--revision", help="transformers: the hub revision to pin remote code to")

    explain = sub.add_parser("explain", help="label and explain the clusters with a local LLM")
    add_input(explain)
    add_llm(explain)
    explain.add_argument("--cluster", choices=CLUSTER_METHODS[:3], default="kmeans")
    explain.add_argument("--k", type=int, help="number of clusters (default: by silhouette)")
    explain.set_defaults(func=cmd_explain)

    doctor = sub.add_parser("doctor", help="check torch/CUDA/ChatGLM/llama.cpp and say the fixes")
    doctor.set_defaults(func=cmd_doctor)

    bench = sub.add_parser("bench-llm", help="time loading and answering for an LLM backend")
    add_llm(bench)
    bench.add_argument("--long-tokens", type=int, default=512, help="length of the long answer")
    bench.set_defaults(func=cmd_bench_llm)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CLIError, InputError, ModelLoadError, LLMError, ValueError, ImportError) as err:
        _say(f"embedviz: error: {err}")
        return EXIT_USAGE
    except OSError as err:  # an unwritable --out, a full disk
        _say(f"embedviz: error: {err.strerror or err}: {err.filename or ''}".rstrip(": "))
        return EXIT_USAGE
