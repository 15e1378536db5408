"""A sweep's numbers -> an SVG chart: difference to the reference and seconds, against the value.

Pure text output, no plotting library, so the site build stays light. The page shows one chart
per Material palette (``#only-light`` / ``#only-dark``): each is drawn on a transparent
background in colours that keep their contrast on that palette's page colour. Lines differ in
style and marker as well as colour, so the chart does not depend on telling colours apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from ...figures.sweeps import METRIC
from .sweep_text import Reading, percent

WIDTH, HEIGHT = 640, 410
LEFT, RIGHT, BOTTOM = 64, 576, 348  # the plot area; its top leaves room for the legend rows
BAND_OPACITY = 0.16
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


@dataclass(frozen=True)
class Palette:
    background: str  # the page colour the chart sits on (Material's): contrast checks, halos behind labels
    ink: str  # text and axes: at least 4.5:1 on the background
    muted: str  # tick labels: at least 4.5:1 too
    grid: str  # decorative
    difference: str  # the difference line of a one-model chart: at least 3:1
    seconds: str  # the seconds line of a one-model chart: at least 3:1
    models: tuple[str, ...]  # one colour per model when several share a chart: at least 3:1 each


LIGHT = Palette(
    "#ffffff", "#1f2328", "#4f5863", "#d8dee4", "#3949ab", "#a34e00", ("#3949ab", "#a34e00", "#00796b", "#ad1457")
)
DARK = Palette(  # Material slate
    "#1e2129", "#e8eaf0", "#b4bac6", "#3a4050", "#9fa8ff", "#f5a54a", ("#9fa8ff", "#f5a54a", "#4dd0c1", "#f48fb1")
)
MARKERS = ("circle", "square", "triangle", "diamond")  # with the colours: models differ by shape too
MAX_MODELS = len(MARKERS)

Series = tuple[str | None, Reading]  # (the model's label, its sweep read against its threshold)


def sweep_chart_svg(series: Reading | list[Series], palette: Palette, title: str = "") -> str:
    """The chart as a standalone SVG document; ``title`` becomes its accessible name.

    One reading draws one model: difference and seconds in two colours, the run within the
    threshold shaded. Several (label, reading) pairs overlay one model each, in its own colour
    and marker: difference solid, seconds dashed, each against that model's own reference.
    """
    series = [(None, series)] if isinstance(series, Reading) else list(series)[:MAX_MODELS]
    readings = [reading for _, reading in series]
    single = len(series) == 1
    p = palette
    values = sorted({v for r in readings for v in r.values})
    x = _x_scale(values)
    thresholds = {r.threshold for r in readings}
    difference_ticks = _nice_ticks(max(max(d for r in readings for d in r.differences), max(thresholds) * 1.5))
    timed = [s for r in readings for s in r.seconds if isinstance(s, (int, float))]
    seconds_ticks = _nice_ticks(max(timed) * 1.1) if timed and max(timed) > 0 else []  # headroom for labels
    legend_rows = 3 if single else len(series) + (2 if seconds_ticks else 1)
    top = 20 + 22 * (legend_rows - 1) + 36
    y_difference = _linear(0, difference_ticks[-1], BOTTOM, top)
    y_seconds = _linear(0, seconds_ticks[-1], BOTTOM, top) if seconds_ticks else None
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'font-family="{FONT}" font-size="13" fill="{p.ink}">',
        f"<title>{escape(title)}</title>" if title else "",
    ]

    # 1. The run of values within the threshold, behind everything else (one model only: several would overlap).
    first = readings[0]
    if single and first.low != first.high:
        left, right = x(first.values[first.low]), x(first.values[first.high])
        parts.append(
            f'<rect x="{left:.1f}" y="{top}" width="{right - left:.1f}" height="{BOTTOM - top}" '
            f'fill="{p.difference}" fill-opacity="{BAND_OPACITY}"/>'
        )

    # 2. Grid and axes: difference on the left, seconds on the right, the value along the bottom.
    for tick in difference_ticks:
        y = y_difference(tick)
        parts.append(f'<line x1="{LEFT}" x2="{RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{p.grid}"/>')
        parts.append(_text(LEFT - 8, y + 4, f"{tick:g}", p.muted, "end"))
    for tick in seconds_ticks:
        parts.append(_text(RIGHT + 8, y_seconds(tick) + 4, f"{tick:g} s", p.muted, "start"))
    for tick in _x_ticks(values, x.log):
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{BOTTOM}" y2="{BOTTOM + 5}" stroke="{p.ink}"/>')
        parts.append(_text(x(tick), BOTTOM + 20, f"{tick:g}", p.muted, "middle"))
    parts.append(
        f'<path d="M{LEFT} {top}V{BOTTOM}H{RIGHT}' + (f"V{top}" if seconds_ticks else "") + f'" fill="none" '
        f'stroke="{p.ink}"/>'
    )
    x_title = first.parameter + (" (log scale)" if x.log else "")
    parts.append(_text((LEFT + RIGHT) / 2, HEIGHT - 22, x_title, p.ink, "middle", 14))
    parts.append(_text(18, (top + BOTTOM) / 2, f"difference ({METRIC})", p.ink, "middle", 14, rotate=-90))
    if seconds_ticks:
        parts.append(_text(WIDTH - 14, (top + BOTTOM) / 2, "seconds per image", p.ink, "middle", 14, rotate=90))

    # 3. The threshold, when the models share one (labelled in step 5).
    threshold = first.threshold if len(thresholds) == 1 else None
    if threshold is not None:
        y = y_difference(threshold)
        parts.append(
            f'<line x1="{LEFT}" x2="{RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{p.ink}" stroke-width="1.25" '
            f'stroke-dasharray="2 4"/>'
        )

    # 4. The lines, per model: seconds (dashed, hollow markers) under difference (solid, filled markers).
    colours = [(p.difference, p.seconds)] if single else [(c, c) for c in p.models]
    all_points = []
    for index, reading in enumerate(readings):
        difference_colour, seconds_colour = colours[index]
        shape = "circle" if single else MARKERS[index]
        if y_seconds is not None:
            timed_points = [
                (x(v), y_seconds(s)) for v, s in zip(reading.values, reading.seconds, strict=True) if s is not None
            ]
            parts.append(_polyline(timed_points, seconds_colour, 2, "7 4"))
            seconds_shape = "square" if single else shape
            parts += [_marker(seconds_shape, px, py, seconds_colour, filled=single) for px, py in timed_points]
        points = [(x(v), y_difference(d)) for v, d in zip(reading.values, reading.differences, strict=True)]
        parts.append(_polyline(points, difference_colour, 2.5))
        parts += [_marker(shape, px, py, difference_colour) for px, py in points]
        all_points.append(points)

    # 5. Labels inside the plot go over the lines, on a halo of the page colour.
    if threshold is not None:
        y = y_difference(threshold)
        parts.append(_text(RIGHT - 6, y - 6, f"threshold {threshold:g}", p.ink, "end", halo=p.background))

    # 6. The measured points: the ends of each run within the threshold, ringed and labelled.
    for reading, points in zip(readings, all_points, strict=True):
        marked = {reading.low, reading.high} - {reading.reference_index} if reading.low != reading.high else set()
        for index in sorted(marked):
            px, py = points[index]
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="8.5" fill="none" stroke="{p.ink}" stroke-width="1.5"/>'
            )
            label = str(reading.values[index])
            parts.append(_text(px, py - 14, label, p.ink, "middle", weight="600", halo=p.background))

    # 7. The reference (one model): named above the plot, a dotted line down to its point.
    if single:
        px, py = all_points[0][first.reference_index]
        parts.append(
            f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{top - 4}" y2="{py - 6:.1f}" stroke="{p.ink}" '
            f'stroke-dasharray="1 3"/>'
        )
        anchor = "end" if px > RIGHT - 70 else "start" if px < LEFT + 70 else "middle"
        name = f"{first.reference_label or 'reference'}, {first.reference}"
        parts.append(_text(px, top - 10, name, p.ink, anchor, weight="600"))

    # 8. The legend, above the plot.
    if single:
        at = f"the {first.reference_label}" if first.reference_label else str(first.reference)
        legend = f"difference to the image at {at} ({METRIC}), left axis"
        parts.append(_legend_line(LEFT, 20, p.difference, None, legend, p.ink, "circle"))
        if seconds_ticks:
            parts.append(_legend_line(LEFT, 42, p.seconds, "7 4", "seconds per image, right axis", p.ink, "square"))
        band = f"within {percent(first.threshold)} of it ({METRIC} ≤ {first.threshold:g})"
        parts.append(
            f'<rect x="{LEFT}" y="{64 - 11}" width="28" height="12" fill="{p.difference}" '
            f'fill-opacity="{BAND_OPACITY}"/>' + _text(LEFT + 36, 64, band, p.ink, "start")
        )
    else:
        for index, (label, reading) in enumerate(series):
            reference = f"{reading.reference_label}, " if reading.reference_label else ""
            text = f"{label or 'model ' + str(index + 1)} (reference: {reference}{reading.reference})"
            parts.append(_legend_line(LEFT, 20 + 22 * index, p.models[index], None, text, p.ink, MARKERS[index]))
        keys = [f"solid, filled: difference to the model's own reference ({METRIC}), left axis"]
        keys += ["dashed, hollow: seconds per image, right axis"] if seconds_ticks else []
        for row, key in enumerate(keys, start=len(series)):
            parts.append(_text(LEFT, 20 + 22 * row, key, p.ink, "start"))
    parts.append("</svg>")
    return "\n".join(part for part in parts if part) + "\n"


# --- scales and ticks ---------------------------------------------------------------------------


class _Scale:
    def __init__(self, low: float, high: float, log: bool):
        self.log = log
        self._map = _linear(*(map(math.log10, (low, high)) if log else (low, high)), LEFT, RIGHT)

    def __call__(self, value: float) -> float:
        return self._map(math.log10(value) if self.log else value)


def _x_scale(values: list[float]) -> _Scale:
    """Log when the values are positive and span a factor of 50 or more (steps: 1 to 100), else linear."""
    low, high = min(values), max(values)
    log = low > 0 and high / low >= 50
    if log:
        margin = (math.log10(high) - math.log10(low)) * 0.03
        return _Scale(low / 10**margin, high * 10**margin, True)
    margin = (high - low) * 0.03 or 1
    return _Scale(low - margin, high + margin, False)


def _linear(domain_low: float, domain_high: float, range_low: float, range_high: float):
    span = (domain_high - domain_low) or 1
    return lambda value: range_low + (value - domain_low) / span * (range_high - range_low)


def _nice_step(rough: float) -> float:
    magnitude = 10 ** math.floor(math.log10(rough))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)


def _nice_ticks(top: float, count: int = 5) -> list[float]:
    """0, step, 2 step, ... up to the first tick at or above ``top``."""
    step = _nice_step(top / count if top > 0 else 1)
    ticks = [0.0]
    while ticks[-1] < top - 1e-12:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _x_ticks(values: list[float], log: bool) -> list[float]:
    low, high = min(values), max(values)
    if log:  # 1, 2, 5, 10, 20, 50, ...
        decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        return [m * 10**k for k in decades for m in (1, 2, 5) if low <= m * 10**k <= high]
    step = _nice_step((high - low) / 6 or 1)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(int((high - first) / step + 1e-9) + 1)]


# --- drawing ------------------------------------------------------------------------------------


def _text(x, y, text, colour, anchor, size=None, rotate=None, weight=None, halo=None) -> str:
    attributes = f'x="{x:.1f}" y="{y:.1f}" fill="{colour}" text-anchor="{anchor}"'
    if halo:  # a rim of the page colour keeps the text legible where it crosses a line
        attributes += f' stroke="{halo}" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'
    if size:
        attributes += f' font-size="{size}"'
    if weight:
        attributes += f' font-weight="{weight}"'
    if rotate:
        attributes += f' transform="rotate({rotate} {x:.1f} {y:.1f})"'
    return f"<text {attributes}>{escape(text)}</text>"


def _polyline(points, colour: str, width: float, dashes: str | None = None) -> str:
    coordinates = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
    dash = f' stroke-dasharray="{dashes}"' if dashes else ""
    return (
        f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="{width}" '
        f'stroke-linejoin="round"{dash}/>'
    )


def _marker(shape: str, x: float, y: float, colour: str, filled: bool = True) -> str:
    paint = f'fill="{colour}"' if filled else f'fill="none" stroke="{colour}" stroke-width="1.5"'
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" {paint}/>'
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" {paint}/>'
    corners = (
        [(x, y - 5), (x + 5, y + 4), (x - 5, y + 4)]
        if shape == "triangle"
        else [(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)]
    )
    return f'<polygon points="{" ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners)}" {paint}/>'


def _legend_line(x, y, colour, dashes, text, ink, shape: str) -> str:
    line = _polyline([(x, y - 5), (x + 28, y - 5)], colour, 2.5 if shape != "square" else 2, dashes)
    return f"{line}{_marker(shape, x + 14, y - 5, colour)}" + _text(x + 36, y, text, ink, "start")
