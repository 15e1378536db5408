"""The noise schedules a scheduler comparison ran -> an SVG chart and a one-sentence description.

One line per compared value: the noise level (sigma) the scheduler asked the model to remove at
each step, from the first step to the last. The figure run records the schedule each image was made
with (the scheduler computes it, on any device), so the site draws it without diffusers. Drawn with
the sweep chart's palettes and helpers: one chart per Material palette, lines that differ by dash and
marker as well as colour. Pure: text in, text out.
"""

from __future__ import annotations

from html import escape
from typing import NamedTuple

from .chart import FONT, MARKERS, Palette, _legend_line, _linear, _marker, _nice_ticks, _polyline, _text

WIDTH = 640
LEFT, RIGHT = 64, 600
TOP, PLOT_HEIGHT = 40, 240
DASHES = (None, "7 4", "2 3", "10 3 2 3", "4 4", "1 2", "12 4", "6 2 2 2")


class Schedule(NamedTuple):
    label: str  # the compared value, as its caption writes it: "shift = 3.0"
    sigmas: tuple[float, ...]  # per step, the scheduler's noise level; the last one 0 on most schedules


def sigma_chart_height(schedules: list[Schedule]) -> int:
    """Plot, axis and its title, then one legend row per schedule."""
    return TOP + PLOT_HEIGHT + 62 + 24 * len(schedules)


def sigma_chart_svg(schedules: list[Schedule], palette: Palette, title: str = "") -> str:
    """The chart as a standalone SVG document; ``title`` becomes its accessible name."""
    p = palette
    steps = max(len(schedule.sigmas) for schedule in schedules)
    top_sigma = max(max(schedule.sigmas) for schedule in schedules)
    ticks = _nice_ticks(top_sigma * 1.05)
    bottom = TOP + PLOT_HEIGHT
    x = _linear(0, max(1, steps - 1), LEFT, RIGHT)
    y = _linear(0, ticks[-1], bottom, TOP)
    height = sigma_chart_height(schedules)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
        f'font-family="{FONT}" font-size="13" fill="{p.ink}">',
        f"<title>{escape(title)}</title>" if title else "",
        _text(LEFT, 20, "noise level (sigma) at each step", p.ink, "start", 14, weight="600"),
    ]
    # 1. The grid and axes: sigma from zero up, step numbers across.
    for tick in ticks:
        parts.append(f'<line x1="{LEFT}" x2="{RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{p.grid}"/>')
        parts.append(_text(LEFT - 8, y(tick) + 4, f"{tick:g}", p.muted, "end"))
    parts.append(f'<path d="M{LEFT} {TOP}V{bottom}H{RIGHT}" fill="none" stroke="{p.ink}"/>')
    for step in _step_ticks(steps):
        parts.append(f'<line x1="{x(step):.1f}" x2="{x(step):.1f}" y1="{bottom}" y2="{bottom + 5}" stroke="{p.ink}"/>')
        parts.append(_text(x(step), bottom + 20, str(step + 1), p.muted, "middle"))
    parts.append(_text((LEFT + RIGHT) / 2, bottom + 44, "step", p.ink, "middle", 14))
    # 2. One line per schedule, and its legend row below the axis.
    for index, schedule in enumerate(schedules):
        colour = p.models[index % len(p.models)]
        dashes, shape = DASHES[index % len(DASHES)], MARKERS[index % len(MARKERS)]
        line = [(x(step), y(sigma)) for step, sigma in enumerate(schedule.sigmas)]
        parts.append(_polyline(line, colour, 2.5, dashes))
        for px, py in line if len(line) <= 12 else line[:: max(1, len(line) // 8)]:
            parts.append(_marker(shape, px, py, colour))
        row = bottom + 70 + 24 * index
        parts.append(_legend_line(LEFT, row, colour, dashes, schedule.label, p.ink, shape))
    parts.append("</svg>")
    return "\n".join(part for part in parts if part) + "\n"


def sigma_sentence(schedules: list[Schedule]) -> str:
    """Plain words for alt text: where each schedule spends its steps, by the noise level halfway through."""
    described = []
    for schedule in schedules:
        middle = schedule.sigmas[len(schedule.sigmas) // 2]
        described.append(f"{schedule.label}: {len(schedule.sigmas)} noise levels, {middle:.2f} halfway")
    return "Noise level per step. " + "; ".join(described) + "."


def _step_ticks(steps: int) -> list[int]:
    every = max(1, round(steps / 8))
    ticks = list(range(0, steps, every))
    return ticks if ticks[-1] == steps - 1 else [*ticks, steps - 1]
