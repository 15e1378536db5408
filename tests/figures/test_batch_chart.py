"""The batch-size comparison's chart and sentence: seconds per image and peak memory by batch size."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

import pytest

from settings_guide.pages.figures.batch_chart import BatchPoint, batch_chart_height, batch_chart_svg, batch_sentence
from settings_guide.pages.figures.chart import DARK, LIGHT

from .test_sweep import _contrast

SVG = "{http://www.w3.org/2000/svg}"
GIB = 1024**3
GPU = [
    BatchPoint(8, 0.41, int(14.3 * GIB)),  # out of order on purpose: the chart sorts by batch size
    (1, 0.62, int(9.1 * GIB)),  # plain tuples work too
    (2, 0.50, int(10.2 * GIB)),
    (4, 0.44, int(11.9 * GIB)),
]
CPU = [(1, 31.2, None), (2, 30.5, None), (4, 33.0, None)]


def parsed(points, device="NVIDIA H200", palette=LIGHT, title="Batch size on NVIDIA H200") -> ElementTree.Element:
    return ElementTree.fromstring(batch_chart_svg(points, device, "SDXL <base> & co", palette, title))


def texts(svg: ElementTree.Element) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text")]


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_the_chart_draws_seconds_and_memory_with_every_value_written_out(palette):
    svg = parsed(GPU, palette=palette)
    assert svg.find(f"{SVG}title").text == "Batch size on NVIDIA H200"
    labels = texts(svg)
    assert "SDXL <base> & co on NVIDIA H200" in labels  # escaped, and it parses
    for value in ("0.62 s", "0.50 s", "0.44 s", "0.41 s", "9.1 GiB", "10.2 GiB", "11.9 GiB", "14.3 GiB"):
        assert value in labels
    assert {"1", "2", "4", "8"} <= set(labels)
    assert "batch size (num_images_per_prompt), log scale" in labels
    assert "seconds per image" in labels and "peak memory (GiB)" in labels
    lines = [line for line in svg.iter(f"{SVG}polyline") if len(line.get("points").split()) > 2]
    assert len(lines) == 2  # one per measured series (the legend samples have two points)
    seconds, memory = lines
    assert seconds.get("stroke") != memory.get("stroke")
    assert memory.get("stroke-dasharray") and not seconds.get("stroke-dasharray")  # not by colour alone
    assert len(list(svg.iter(f"{SVG}circle"))) == 5 and len(list(svg.iter(f"{SVG}rect"))) == 5  # 4 points + legend


def test_the_points_run_left_to_right_by_batch_size_and_faster_is_lower():
    svg = parsed(GPU)
    seconds = next(line for line in svg.iter(f"{SVG}polyline") if len(line.get("points").split()) == 4)
    xs, ys = zip(*(map(float, point.split(",")) for point in seconds.get("points").split()), strict=True)
    assert list(xs) == sorted(xs) and xs[1] - xs[0] == pytest.approx(xs[3] - xs[2], abs=0.2)  # log 2: even steps
    assert list(ys) == sorted(ys)  # fewer seconds each time: lower on the page, and SVG y grows downwards


def test_without_memory_the_chart_draws_seconds_only_and_says_so():
    svg = parsed(CPU, device="CPU")
    labels = texts(svg)
    assert "Peak memory was not measured on CPU." in labels
    assert "peak memory (GiB)" not in labels and not any(label.endswith("GiB") for label in labels)
    assert len([line for line in svg.iter(f"{SVG}polyline") if len(line.get("points").split()) > 2]) == 1
    assert "31.2 s" in labels and "batch size (num_images_per_prompt), log scale" in labels
    assert float(svg.get("height")) < float(parsed(GPU).get("height"))


def test_memory_measured_for_some_batches_draws_those_points():
    svg = parsed([(1, 0.6, 9 * GIB), (2, 0.5, None), (3, 0.45, 11 * GIB)])
    memory = [line for line in svg.iter(f"{SVG}polyline") if line.get("stroke-dasharray")][-1]
    assert len(memory.get("points").split()) == 2
    assert "batch size (num_images_per_prompt)" in texts(svg)  # 1 to 3: linear


@pytest.mark.parametrize("points", [[], [(1, 0.5, None), (1, 0.4, None)], [(0, 0.5, None)]])
def test_no_points_repeated_or_zero_batch_sizes_are_refused(points):
    with pytest.raises(ValueError, match="distinct batch sizes"):
        batch_chart_svg(points, "CPU", "m", LIGHT)


def test_the_sentence_compares_the_fastest_batch_with_the_smallest():
    assert batch_sentence(GPU, "NVIDIA H200") == (
        "On NVIDIA H200, batch 8 took 0.41 s per image against 0.62 s at batch 1, "
        "with peak memory rising from 9.1 to 14.3 GiB."
    )
    assert batch_sentence(CPU, "CPU") == (
        "On CPU, batch 2 took 30.5 s per image against 31.2 s at batch 1; peak memory was not measured."
    )


def test_the_sentence_says_when_batching_did_not_help():
    slower = [(1, 0.5, GIB), (2, 0.6, 2 * GIB), (4, 0.7, 4 * GIB)]
    assert batch_sentence(slower, "X") == (
        "On X, no batch beat batch 1 at 0.50 s per image (0.60 s at batch 2, 0.70 s at batch 4), "
        "with peak memory rising from 1.0 to 4.0 GiB."
    )
    assert batch_sentence([(1, 12.25, None)], "CPU") == "On CPU, batch 1 took 12.2 s per image."


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_every_colour_the_chart_uses_keeps_its_contrast(palette):
    svg = parsed(GPU, palette=palette)
    # WCAG: 4.5:1 for text, 3:1 for the lines and markers that carry the data.
    for text in svg.iter(f"{SVG}text"):
        assert _contrast(text.get("fill") or svg.get("fill"), palette.background) >= 4.5
    for line in svg.iter(f"{SVG}polyline"):
        assert _contrast(line.get("stroke"), palette.background) >= 3


@pytest.mark.parametrize("points", [GPU, CPU], ids=["with-memory", "seconds-only"])
def test_the_page_knows_the_charts_height_without_drawing_it(points):
    svg = parsed(points)
    assert int(svg.get("height")) == batch_chart_height(points)
    assert svg.get("viewBox").endswith(f" {batch_chart_height(points)}")


def test_a_batch_out_of_memory_is_a_labelled_mark_on_the_axis_and_a_sentence():
    points = [(1, 0.62, int(9.1 * GIB)), BatchPoint(8, None, None, out_of_memory=True)]

    svg = parsed(points)

    labels = texts(svg)
    assert "out of memory at 8" in labels and {"1", "8"} <= set(labels)  # its place on the axis is kept
    assert "0.62 s" in labels and not any(label.endswith("GiB") and label != "9.1 GiB" for label in labels)
    assert batch_sentence(points, "NVIDIA H200") == (
        "On NVIDIA H200, batch 1 took 0.62 s per image. Batch 8 ran out of memory."
    )
    assert (
        batch_sentence([BatchPoint(4, None, None, True)], "CPU") == "On CPU, every batch ran out of memory (batch 4)."
    )
