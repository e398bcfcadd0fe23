"""Text on a map that never overlaps: labels placed greedily in screen space.

A label is a box of fixed size in pixels, anchored at a point in data coordinates and shifted
from it by a fixed offset in pixels. Boxes are placed for the smallest plot area the map is
drawn in (:data:`NOMINAL_PLOT_PX`); two boxes count as apart only when they are apart along
an axis on which their anchors lie in the same order as the boxes. Drawing the map larger
(a wider page, the exported HTML full screen, zooming in) moves anchors apart and leaves the
boxes their size, so labels that were apart stay apart. A label that fits nowhere is left
out; its point still shows its text on hover (datamapplot and Embedding Atlas do the same).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._style import char_width

#: The smallest plot area (width, height in pixels, inside the axes) a 2-D map is drawn in.
NOMINAL_PLOT_PX = (520.0, 400.0)
#: Font size of point labels, in pixels.
POINT_FONT_PX = 11
#: Marker radius of 2-D map points, in pixels (marker size 9).
MARKER_RADIUS_PX = 4.5
#: Space kept between two labels, in pixels.
GAP_PX = 2.0

# Scatter text positions and where each puts the label's centre, as multiples of
# (marker radius + half the box) along x and y; the first that fits wins.
POINT_POSITIONS = (
    ("top center", 0.0, 1.0),
    ("bottom center", 0.0, -1.0),
    ("middle right", 1.0, 0.0),
    ("middle left", -1.0, 0.0),
    ("top right", 1.0, 1.0),
    ("top left", -1.0, 1.0),
    ("bottom right", 1.0, -1.0),
    ("bottom left", -1.0, -1.0),
)
# Offsets (in box widths, box heights) tried for a cluster label around its cluster's centre.
GROUP_OFFSETS = ((0, 0), (0, 1), (0, -1), (0.5, 0), (-0.5, 0), (0, 2), (0, -2), (0.6, 1), (-0.6, 1))


def text_box(text: str, font_px: float) -> tuple[float, float]:
    """Width and height in pixels of one line of text (a wide CJK character counts as two
    columns of about 0.6 of the font size; the estimate errs on the large side)."""
    columns = sum(char_width(ch) for ch in text)
    return columns * 0.6 * font_px + 4.0, font_px * 1.35


@dataclass
class Placed:
    anchor: np.ndarray  # the anchor point in nominal pixels
    centre: np.ndarray  # the box centre in nominal pixels
    size: np.ndarray  # width, height


def apart(a: Placed, b: Placed, gap: float = GAP_PX) -> bool:
    """Whether two boxes stay apart at this scale and every larger one."""
    for d in (0, 1):
        between = abs(a.centre[d] - b.centre[d]) - (a.size[d] + b.size[d]) / 2
        if between < gap:
            continue
        order = np.sign(a.centre[d] - b.centre[d])
        anchors = np.sign(a.anchor[d] - b.anchor[d])
        if anchors == 0 or anchors == order:
            return True
    return False


def to_pixels(xy: np.ndarray, ranges: Sequence[Sequence[float]]) -> np.ndarray:
    """Data coordinates -> pixels of the nominal plot area (y up)."""
    (x0, x1), (y0, y1) = ranges
    width, height = NOMINAL_PLOT_PX
    return np.column_stack(
        [
            (xy[:, 0] - x0) / ((x1 - x0) or 1.0) * width,
            (xy[:, 1] - y0) / ((y1 - y0) or 1.0) * height,
        ]
    )


def _inside(box: Placed) -> bool:
    width, height = NOMINAL_PLOT_PX
    lo = box.centre - box.size / 2
    hi = box.centre + box.size / 2
    return lo[0] >= 0 and lo[1] >= 0 and hi[0] <= width and hi[1] <= height


def _covers(box: Placed, points: np.ndarray, own: int | None) -> int:
    """How many markers (other than its own) a box covers."""
    half = box.size / 2 + MARKER_RADIUS_PX
    hit = np.all(np.abs(points - box.centre) < half, axis=1)
    if own is not None:
        hit[own] = False
    return int(hit.sum())


def place_point_labels(
    xy: np.ndarray, texts: Sequence[str], ranges: Sequence[Sequence[float]]
) -> list[str | None]:
    """A scatter ``textposition`` per point, or None where its label would overlap another.

    Points in sparse places are labelled first; each takes the first position that overlaps
    no label placed before, stays inside the plot and covers the fewest other markers.
    """
    points = to_pixels(np.asarray(xy, dtype=np.float64), ranges)
    n = len(points)
    if n > 1:
        d = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
        np.fill_diagonal(d, np.inf)
        order = np.argsort(-d.min(axis=1), kind="stable")
    else:
        order = np.arange(n)
    placed: list[Placed] = []
    out: list[str | None] = [None] * n
    for i in order:
        size = np.array(text_box(texts[i], POINT_FONT_PX))
        best = None
        for name, fx, fy in POINT_POSITIONS:
            offset = np.array(
                [fx * (MARKER_RADIUS_PX + size[0] / 2), fy * (MARKER_RADIUS_PX + size[1] / 2)]
            )
            box = Placed(points[i], points[i] + offset, size)
            if not _inside(box) or not all(apart(box, p) for p in placed):
                continue
            covered = _covers(box, points, i)
            if best is None or covered < best[0]:
                best = (covered, name, box)
                if covered == 0:
                    break
        if best is not None:
            out[i] = best[1]
            placed.append(best[2])
    return out


def place_group_labels(
    centres: np.ndarray,
    names: Sequence[str],
    font_px: Sequence[float],
    ranges: Sequence[Sequence[float]],
    zoom: float = 1.0,
) -> list[tuple[float, float] | None]:
    """Data coordinates for each group's label near its centre, or None where it fits
    nowhere; groups are placed in the order given (largest first). ``zoom``: the labels
    are for a view that many times closer (their boxes that much smaller against the data),
    so that they stay apart at that zoom and every closer one."""
    anchors = to_pixels(np.asarray(centres, dtype=np.float64), ranges)
    (x0, x1), (y0, y1) = ranges
    width, height = NOMINAL_PLOT_PX
    placed: list[Placed] = []
    out: list[tuple[float, float] | None] = []
    for anchor, name, font in zip(anchors, names, font_px, strict=True):
        size = np.array(text_box(name, font)) / zoom
        spot = None
        for fx, fy in GROUP_OFFSETS:
            box = Placed(anchor, anchor + np.array([fx * size[0], fy * size[1]]), size)
            if _inside(box) and all(apart(box, p) for p in placed):
                placed.append(box)
                spot = (
                    x0 + box.centre[0] / width * (x1 - x0),
                    y0 + box.centre[1] / height * (y1 - y0),
                )
                break
        out.append(spot)
    return out
