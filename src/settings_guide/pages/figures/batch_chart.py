"""The batch-size comparison's numbers -> an SVG chart and a one-sentence description.

Two stacked panels share the batch-size axis: seconds per image above, peak memory below. Two
panels rather than two y axes, so no reader has to work out which line belongs to which scale.
Drawn with the sweep chart's palettes and helpers (``chart.py``): one chart per Material palette,
lines that differ by style and marker as well as colour, every measured value written out. A batch
that ran out of memory is a labelled mark at its place on the axis; a stale measurement is drawn hollow and
labelled out of date, as its slot is.
"""

from __future__ import annotations

import math
from html import escape
from typing import NamedTuple

from .chart import FONT, Palette, _legend_line, _linear, _marker, _nice_ticks, _polyline, _text

WIDTH = 640
LEFT, RIGHT = 72, 600  # the plot area across; no right axis, so it can reach further than the sweep chart's
PANEL_HEIGHT, PANEL_GAP = 130, 58  # the gap holds the lower panel's heading
HEADING = 22  # a panel's heading sits this far above its top
GIB = 1024**3


class BatchPoint(NamedTuple):
    batch_size: int
    seconds_per_image: float | None  # None for a batch that ran out of memory
    peak_memory_bytes: int | None  # None where the device has no memory counter (CPU)
    out_of_memory: bool = False  # the device had no memory for this batch: a labelled mark, no values
    stale: bool = False  # measured with other inputs than the page's: drawn hollow, labelled out of date


def batch_chart_height(points: list[BatchPoint]) -> int:
    """The chart's height: one panel, or two when memory was measured; below them the axis and a note."""
    points = [BatchPoint(*point) for point in points]
    measured = any(point.peak_memory_bytes is not None for point in points)
    panels = 2 if measured else 1
    notes = (0 if measured else 1) + any(point.stale for point in points)
    return 72 + panels * PANEL_HEIGHT + (panels - 1) * PANEL_GAP + 64 + 28 * notes


def batch_chart_svg(points: list[BatchPoint], device: str, model: str, palette: Palette, title: str = "") -> str:
    """The chart as a standalone SVG document; ``title`` becomes its accessible name."""
    points = _checked(points)
    p = palette
    memory_colour = p.models[2]  # not the sweep chart's difference colour: this line means something else
    ran = [point for point in points if not point.out_of_memory]
    measured = [(pt.batch_size, pt.peak_memory_bytes / GIB, pt.stale) for pt in ran if pt.peak_memory_bytes is not None]
    x = _BatchScale([point.batch_size for point in points])
    top = 72  # under the title row and the first panel's heading
    seconds = [(pt.batch_size, pt.seconds_per_image, pt.stale) for pt in ran]
    panels = [("seconds per image", "s", seconds, p.seconds, None, "circle")]
    if measured:
        panels.append(("peak memory (GiB)", "GiB", measured, memory_colour, "7 4", "square"))
    bottom = top + len(panels) * PANEL_HEIGHT + (len(panels) - 1) * PANEL_GAP
    height = batch_chart_height(points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'font-family="{FONT}" font-size="13" fill="{p.ink}">',
        f"<title>{escape(title)}</title>" if title else "",
        # 1. What was measured, and where.
        _text(LEFT, 20, f"{model} on {device}", p.ink, "start", 14, weight="600"),
    ]

    # 2. One panel per measured quantity, each with its own scale from zero and its heading as legend.
    for index, (heading, unit, series, colour, dashes, shape) in enumerate(panels):
        panel_top = top + index * (PANEL_HEIGHT + PANEL_GAP)
        panel_bottom = panel_top + PANEL_HEIGHT
        ticks = _nice_ticks(max((v for _, v, _ in series), default=1) * 1.15)  # headroom for the value labels
        y = _linear(0, ticks[-1], panel_bottom, panel_top)
        for tick in ticks:
            parts.append(f'<line x1="{LEFT}" x2="{RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{p.grid}"/>')
            parts.append(_text(LEFT - 8, y(tick) + 4, f"{tick:g}", p.muted, "end"))
        parts.append(f'<path d="M{LEFT} {panel_top}V{panel_bottom}H{RIGHT}" fill="none" stroke="{p.ink}"/>')
        parts.append(_legend_line(LEFT, panel_top - HEADING, colour, dashes, heading, p.ink, shape))
        line = [(x(b), y(v)) for b, v, _ in series]
        parts.append(_polyline(line, colour, 2.5, dashes))
        for (_, value, stale), (px, py) in zip(series, line, strict=True):
            parts.append(_marker(shape, px, py, colour, filled=not stale))
            label = _amount(value, unit) + (" (out of date)" if stale else "")
            parts.append(_text(px, py - 10, label, p.ink, "middle", weight="600", halo=p.background))
        for point in points:
            if point.out_of_memory:  # where its values would be: a cross, and what happened, in words
                parts.append(_cross(x(point.batch_size), panel_bottom - 12, p.ink))
                if index == 0:
                    parts.append(_oom_label(x(point.batch_size), panel_top + 16, point.batch_size, p))

    # 3. The shared batch-size axis under the last panel.
    for batch in (point.batch_size for point in points):
        parts.append(
            f'<line x1="{x(batch):.1f}" x2="{x(batch):.1f}" y1="{bottom}" y2="{bottom + 5}" stroke="{p.ink}"/>'
        )
        parts.append(_text(x(batch), bottom + 20, str(batch), p.muted, "middle"))
    x_title = "batch size (num_images_per_prompt)" + (", log scale" if x.log else "")
    parts.append(_text((LEFT + RIGHT) / 2, bottom + 46, x_title, p.ink, "middle", 14))
    notes = [] if measured else [f"Peak memory was not measured on {device}."]
    stale = [str(point.batch_size) for point in points if point.stale]
    if stale:
        notes.append(f"Out of date: batch {', '.join(stale)}, measured with other inputs than the page's.")
    for row, note in enumerate(notes):
        parts.append(_text(LEFT, bottom + 76 + 28 * row, note, p.ink, "start"))
    parts.append("</svg>")
    return "\n".join(part for part in parts if part) + "\n"


def batch_sentence(points: list[BatchPoint], device: str) -> str:
    """Plain sentences for alt text and captions: the fastest batch per image against the smallest, and the
    batches that ran out of memory."""
    points = _checked(points)
    failed = [str(point.batch_size) for point in points if point.out_of_memory]
    ran = [point for point in points if not point.out_of_memory]
    if not ran:
        return f"On {device}, every batch ran out of memory (batch {', '.join(failed)})."
    sentence = _measured_sentence(ran, device)
    return sentence + (f" Batch {', '.join(failed)} ran out of memory." if failed else "")


def _measured_sentence(points: list[BatchPoint], device: str) -> str:
    first = points[0]
    best = min(points, key=lambda point: (point.seconds_per_image, point.batch_size))
    if len(points) == 1:
        return f"On {device}, batch {first.batch_size} took {_amount(first.seconds_per_image, 's')} per image."
    if best is first:
        others = ", ".join(f"{_amount(pt.seconds_per_image, 's')} at batch {pt.batch_size}" for pt in points[1:])
        sentence = f"On {device}, no batch beat batch {first.batch_size} at {_amount(first.seconds_per_image, 's')} per image ({others})"
        compared = points[-1]
    else:
        sentence = (
            f"On {device}, batch {best.batch_size} took {_amount(best.seconds_per_image, 's')} per image against "
            f"{_amount(first.seconds_per_image, 's')} at batch {first.batch_size}"
        )
        compared = best
    low, high = first.peak_memory_bytes, compared.peak_memory_bytes
    if low is None or high is None:
        return sentence + (
            "; peak memory was not measured." if all(pt.peak_memory_bytes is None for pt in points) else "."
        )
    low_text, high_text = _amount(low / GIB, "GiB"), _amount(high / GIB, "GiB")
    if low_text == high_text:
        return sentence + f", with peak memory at {low_text} for both."
    direction = "rising" if high > low else "falling"
    return sentence + f", with peak memory {direction} from {low_text.removesuffix(' GiB')} to {high_text}."


def _checked(points: list[BatchPoint]) -> list[BatchPoint]:
    """The points as BatchPoints sorted by batch size; a ValueError for none, repeats or non-positive sizes."""
    points = sorted((BatchPoint(*point) for point in points), key=lambda point: point.batch_size)
    sizes = [point.batch_size for point in points]
    if not points or sizes[0] < 1 or len(set(sizes)) != len(sizes):
        raise ValueError(f"a batch-size chart needs distinct batch sizes of at least 1, got {sizes}")
    return points


def _cross(x: float, y: float, colour: str) -> str:
    """An x-shaped mark: a batch that ran out of memory, where no value could be measured."""
    strokes = f"M{x - 6:.1f} {y - 6:.1f}L{x + 6:.1f} {y + 6:.1f}M{x - 6:.1f} {y + 6:.1f}L{x + 6:.1f} {y - 6:.1f}"
    return f'<path d="{strokes}" stroke="{colour}" stroke-width="2.5" fill="none"/>'


def _oom_label(x: float, y: float, batch: int, p: Palette) -> str:
    """The words "out of memory at N" above its cross, kept inside the chart at either end."""
    centre = min(max(x, LEFT + 64), WIDTH - 76)  # about half the words' width from either edge
    text = f"out of memory at {batch}"
    return _text(centre, y, text, p.ink, "middle", weight="600", halo=p.background)


def _amount(value: float, unit: str) -> str:
    """Two significant figures below 1, one decimal up to 100: "0.41 s", "3.2 s", "14.3 GiB", "125 s"."""
    if value >= 100:
        return f"{value:.0f} {unit}"
    return f"{value:#.2g} {unit}" if value < 1 else f"{value:.1f} {unit}"


class _BatchScale:
    """Batch sizes across the plot: log 2 when they span a factor of 4 or more (1, 2, 4, 8), else linear."""

    def __init__(self, sizes: list[int]):
        low, high = min(sizes), max(sizes)
        self.log = high / low >= 4
        f = math.log2 if self.log else float
        margin = (f(high) - f(low)) * 0.06 or 1  # keeps the end markers and their labels off the axes
        self._f = f
        self._map = _linear(f(low) - margin, f(high) + margin, LEFT, RIGHT)

    def __call__(self, size: int) -> float:
        return self._map(self._f(size))
