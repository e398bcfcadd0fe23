"""The ``embedviz`` command: one subcommand per pipeline stage that a user wants a file from.

    embedviz embed INPUT --out FILE.npy [--column COL] [--model SPEC]
    embedviz plot  INPUT --out FILE.html [--column COL] [--label-column COL] [--model SPEC]
                   [--method pca|tsne|umap] [--dims 2|3]

A bad input exits with status 2 and one line saying what is wrong and what to do.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .encoders import DEFAULT_MODEL, ModelLoadError
from .inputs import InputError, TextBatch, read_path, texts_from_table
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


def encode_batch(batch: TextBatch, spec: str):
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
    with tqdm(total=len(batch.texts), desc="encoding", unit="text", file=sys.stderr) as bar:
        X = encoder.encode(batch.texts, progress=lambda done, total: bar.update(done - bar.n))
    return encoder, X


def cmd_embed(args) -> int:
    batch = load_batch(args)
    _, X = encode_batch(batch, args.model)
    out = Path(args.out)
    np.save(out, X.astype(np.float32))
    _say(f"Wrote {out} ({X.shape[0]} x {X.shape[1]} float32, in input order).")
    return 0


def cmd_plot(args) -> int:
    from .export import coordinates_frame, csv_bytes, standalone_html
    from .figures.view import MAX_HEATMAP_TEXTS, view_figures
    from .project import project
    from .similarity import cosine_matrix, similarity_order

    batch = load_batch(args)
    encoder, X = encode_batch(batch, args.model)
    params = {"random_state": args.random_state}
    if args.method == "tsne":
        params["perplexity"] = args.perplexity
    elif args.method == "umap":
        params.update(n_neighbors=args.n_neighbors, min_dist=args.min_dist)
    _say(f"Projecting with {args.method} to {args.dims}-D ...")
    projection = project(X, args.method, args.dims, **params)
    for warning in projection.warnings:
        _say(warning)
    S = order = None
    notes = [batch.summary(), *projection.warnings]
    if len(batch.texts) <= MAX_HEATMAP_TEXTS:
        S = cosine_matrix(X)
        order = similarity_order(S)
    else:
        notes.append(f"The heatmap is left out above {MAX_HEATMAP_TEXTS} texts.")
        _say(notes[-1])
    scatter, heatmap = view_figures(
        coords=projection.coords,
        axis_titles=projection.axis_titles,
        method_name=projection.name,
        model_name=encoder.name,
        texts=batch.texts,
        ids=batch.rows,
        S=S,
        order=order,
        labels=batch.labels,
        label_name=args.label_column or "label",
    )
    figures = [f for f in (scatter, heatmap) if f is not None]
    page = standalone_html(figures, title=f"embedviz: {Path(args.input).name}", notes=notes)
    out = Path(args.out)
    out.write_text(page, encoding="utf-8")
    _say(f"Wrote {out} ({out.stat().st_size / 2**20:.1f} MB; opens with no network).")
    if args.coords_csv:
        frame = coordinates_frame(
            batch.texts,
            projection.coords,
            rows=batch.rows,
            labels=batch.labels,
            label_name=args.label_column or "label",
        )
        Path(args.coords_csv).write_bytes(csv_bytes(frame))
        _say(f"Wrote {args.coords_csv}.")
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
    plot.add_argument("--coords-csv", help="also write the coordinates to this CSV")
    plot.set_defaults(func=cmd_plot)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CLIError, InputError, ModelLoadError, ValueError, ImportError) as err:
        _say(f"embedviz: error: {err}")
        return EXIT_USAGE
    except OSError as err:  # an unwritable --out, a full disk
        _say(f"embedviz: error: {err.strerror or err}: {err.filename or ''}".rstrip(": "))
        return EXIT_USAGE
