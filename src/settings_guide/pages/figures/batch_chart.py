"""The batch-size comparison's numbers -> an SVG chart and a one-sentence description.

Two stacked panels share the batch-size axis: seconds per image above, peak memory below. Two
panels rather than two y axes, so no reader has to work out which line belongs to which scale.
Drawn with the sweep chart's palettes and helpers (``chart.py``): one chart per Material palette,
lines that differ by style and marker as well as colour, every measured value written out.
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
    seconds_per_image: float
    peak_memory_bytes: int | None  # None where the device has no memory counter (CPU)


def batch_chart_height(points: list[BatchPoint]) -> int:
    """The chart's height: one panel, or two when memory was measured; below them the axis and a note."""
    measured = any(memory is not None for _, _, memory in points)
    panels = 2 if measured else 1
    return 72 + panels * PANEL_HEIGHT + (panels - 1) * PANEL_GAP + (64 if measured else 92)


def batch_chart_svg(points: list[BatchPoint], device: str, model: str, palette: Palette, title: str = "") -> str:
    """The chart as a standalone SVG document; ``title`` becomes its accessible name."""
    points = _checked(points)
    p = palette
    memory_colour = p.models[2]  # not the sweep chart's difference colour: this line means something else
    measured = [(b, m / GIB) for b, _, m in points if m is not None]
    x = _BatchScale([b for b, _, _ in points])
    top = 72  # under the title row and the first panel's heading
    panels = [("seconds per image", "s", [(b, s) for b, s, _ in points], p.seconds, None, "circle")]
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
        ticks = _nice_ticks(max(v for _, v in series) * 1.15)  # headroom for the value labels
        y = _linear(0, ticks[-1], panel_bottom, panel_top)
        for tick in ticks:
            parts.append(f'<line x1="{LEFT}" x2="{RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{p.grid}"/>')
            parts.append(_text(LEFT - 8, y(tick) + 4, f"{tick:g}", p.muted, "end"))
        parts.append(f'<path d="M{LEFT} {panel_top}V{panel_bottom}H{RIGHT}" fill="none" stroke="{p.ink}"/>')
        parts.append(_legend_line(LEFT, panel_top - HEADING, colour, dashes, heading, p.ink, shape))
        line = [(x(b), y(v)) for b, v in series]
        parts.append(_polyline(line, colour, 2.5, dashes))
        for (_, value), (px, py) in zip(series, line, strict=True):
            parts.append(_marker(shape, px, py, colour))
            parts.append(_text(px, py - 10, _amount(value, unit), p.ink, "middle", weight="600", halo=p.background))

    # 3. The shared batch-size axis under the last panel.
    for batch, _, _ in points:
        parts.append(
            f'<line x1="{x(batch):.1f}" x2="{x(batch):.1f}" y1="{bottom}" y2="{bottom + 5}" stroke="{p.ink}"/>'
        )
        parts.append(_text(x(batch), bottom + 20, str(batch), p.muted, "middle"))
    x_title = "batch size (num_images_per_prompt)" + (", log scale" if x.log else "")
    parts.append(_text((LEFT + RIGHT) / 2, bottom + 46, x_title, p.ink, "middle", 14))
    if not measured:
        parts.append(_text(LEFT, bottom + 76, f"Peak memory was not measured on {device}.", p.ink, "start"))
    parts.append("</svg>")
    return "\n".join(part for part in parts if part) + "\n"


def batch_sentence(points: list[BatchPoint], device: str) -> str:
    """One plain sentence for alt text and captions: the fastest batch per image against the smallest."""
    points = _checked(points)
    first = points[0]
    best = min(points, key=lambda point: (point.seconds_per_image, point.batch_size))
    if len(points) == 1:
        return f"On {device}, batch {first.batch_size} took {_amount(first.seconds_per_image, 's')} per image."
    if best is first:
        others = ", ".join(f"{_amount(s, 's')} at batch {b}" for b, s, _ in points[1:])
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
        return sentence + ("; peak memory was not measured." if all(m is None for *_, m in points) else ".")
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
