"""Rendering: models -> Markdown through the real templates, checked against golden files."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from settings_guide.pages.figures.view import FigureSlot, ModelFigures, PageFigures, Scrubber, ScrubberPoint
from settings_guide.pages.render import make_environment, render_site_pages
from settings_guide.settings.load import load_settings

from .conftest import ROOT

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"  # regenerate after an intended template change


@pytest.fixture(scope="module")
def golden_pages():
    loaded = load_settings([GOLDEN / "inference-steps.yml"])
    return {page.path: page.markdown for page in render_site_pages(make_environment(ROOT / "templates"), loaded)}


@pytest.mark.parametrize(
    "page,golden", [("settings/inference-steps.md", "inference-steps.md"), ("settings/index.md", "index.md")]
)
def test_pages_match_golden_files(golden_pages, page, golden):
    expected = GOLDEN / golden
    if UPDATE:
        expected.write_text(golden_pages[page], "utf-8")
    assert golden_pages[page] == expected.read_text("utf-8"), f"run with UPDATE_GOLDEN=1 if {golden} should change"


def test_rendering_is_pure_and_repeatable():
    loaded = load_settings([GOLDEN / "inference-steps.yml"])
    environment = make_environment(ROOT / "templates")
    first = [page.markdown for page in render_site_pages(environment, loaded)]
    second = [page.markdown for page in render_site_pages(environment, loaded)]
    assert first == second


def test_inference_steps_page_has_every_section_and_fact_of_the_reference():
    """The sections and facts of ../shared/seed/inference-steps.txt, on the real setting's page."""
    loaded = load_settings(sorted((ROOT / "settings").glob("[!_]*.yml")))
    pages = {page.path: page.markdown for page in render_site_pages(make_environment(ROOT / "templates"), loaded)}
    page = pages["settings/inference-steps.md"]
    assert re.search(r"^# Inference Steps$", page, re.MULTILINE)
    assert "**Also known as:** `num_inference_steps`, `inference_steps`, `steps`, `sample_steps`" in page
    headings = re.findall(r"^## (.+)$", page, re.MULTILINE)
    for section in ("What It Does", "Value Ranges", "Visual Comparison", "Tips"):
        assert section in headings
    assert headings.index("What It Does") < headings.index("Value Ranges") < headings.index("Visual Comparison")
    assert headings.index("Visual Comparison") < headings.index("Tips")
    for band in ("### Low (1 – 10)", "### Mid (20 – 30)", "### High (40 – 100)"):
        assert band in page
    for value in (4, 25, 50):
        assert f"<code>num_inference_steps = {value}</code>" in page
    # Facts the reference states, in our words: the 25-50 plateau, schnell's 1-4 steps, 25 as a default,
    # diminishing returns after about 30. Its "20 to 30 for dev/SDXL" had no source: the tools' defaults instead.
    for fact in ("25 and 50", "1 to 4", "25 steps", "about 30", "FLUX.1 [schnell]", "SDXL", "28 for FLUX.1 [dev]"):
        assert fact in page, fact
    tips = page.split("## Tips", 1)[1].split("\n## ", 1)[0]
    assert len(re.findall(r"^    - ", tips, re.MULTILINE)) >= 4


def test_pending_slots_and_images():
    loaded = load_settings([GOLDEN / "inference-steps.yml"])
    environment = make_environment(ROOT / "templates")

    def figures_for(item):
        slots = [
            FigureSlot("num_inference_steps = 4", "fresh", "figures/a.webp", 512, 512, 0.5),
            FigureSlot("num_inference_steps = 25", "stale", "figures/b.webp", 512, 512, 2.0, "prompt changed"),
            FigureSlot("num_inference_steps = 50"),
        ]
        return PageFigures(
            models=[ModelFigures(slots, model="tiny/model", prompt="a lighthouse", seed=7, device="cpu")]
        )

    page = render_site_pages(environment, loaded, figures_for)[1].markdown
    images = re.findall(r"<img [^>]+>", page)
    assert len(images) == 2
    assert 'src="../../figures/a.webp"' in images[0] and 'loading="eager"' in images[0]
    assert 'loading="lazy"' in images[1]
    assert all('width="512"' in image and 'height="512"' in image for image in images)
    assert page.count("<span>Image pending</span>") == 1
    assert "Out of date:</strong> prompt changed" in page
    assert "Made with <code>tiny/model</code> on cpu, seed <code>7</code>" in page
    assert "0.5 s" in page and "2.0 s" in page


def test_several_models_get_a_tab_each_and_hidden_tabs_load_lazily():
    loaded = load_settings([GOLDEN / "inference-steps.yml"])
    environment = make_environment(ROOT / "templates")
    point = ScrubberPoint("num_inference_steps = 1", "figures/s/sdxl/n-1.webp", 0.4, 1.5, 64, 64)
    scrubber = Scrubber((point, replace(point, caption="num_inference_steps = 2", difference=0.0)), 1, "steps on SDXL")

    def figures_for(item):
        one = [FigureSlot("num_inference_steps = 4", "fresh", "figures/s/sdxl/a.webp", 64, 64, 0.5)] * 2
        two = [FigureSlot("num_inference_steps = 1", "fresh", "figures/s/flux/b.webp", 64, 64, 0.2)] * 2
        note = "Distilled guidance: <b>one</b> pass, see [docs](https://example.org)."
        return PageFigures(
            models=[
                ModelFigures(one, label="SDXL <1.0>", model="sdxl/id", revision="a" * 40, scrubber=scrubber),
                ModelFigures(two, label="FLUX.1 [schnell]", model="flux/id", note=note),
            ]
        )

    page = render_site_pages(environment, loaded, figures_for)[1].markdown
    comparison = page.split("## Visual Comparison", 1)[1].split("\n## ", 1)[0]
    assert comparison.count('type="radio"') == 2 and comparison.count('checked="checked"') == 1
    assert '<label for="sg-model-inference-steps-1">SDXL &lt;1.0&gt;</label>' in comparison
    assert '<label for="sg-model-inference-steps-2">FLUX.1 [schnell]</label>' in comparison
    assert comparison.count('class="tabbed-block"') == 2
    images = re.findall(r"<img [^>]+>", comparison)
    assert len(images) == 4 and 'loading="eager"' in images[0]
    assert all('loading="lazy"' in image for image in images[1:])  # the second tab's too: hidden until opened
    assert "Made with SDXL &lt;1.0&gt; (<code>sdxl/id</code> at revision <code>aaaaaaaaaaaa</code>)" in comparison
    # The model's note is contributor Markdown turned into HTML, its raw HTML escaped.
    assert '<a href="https://example.org">docs</a>' in comparison and "&lt;b&gt;one&lt;/b&gt;" in comparison
    # The scrubber: a list of links with the numbers, and data for the script.
    assert 'class="sg-scrubber" data-sg-start="1" data-sg-label="steps on SDXL"' in comparison
    assert '<a href="../../figures/s/sdxl/n-1.webp">num_inference_steps = 1</a>: difference 0.400, 1.5 s' in comparison
    assert '<li class="sg-scrubber-point" data-sg-width="64"' in comparison  # the image is the link's


def test_tool_table_lists_every_tool_and_cites_the_numbered_sources():
    loaded = load_settings([GOLDEN / "inference-steps.yml"])
    page = render_site_pages(make_environment(ROOT / "templates"), loaded)[1].markdown
    table = page.split("## In Your Tool", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| ---")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| Tool",
        "| diffusers",
        "| AUTOMATIC1111",
        "| Forge",
        "| ComfyUI",
        "| SwarmUI",
        "| InvokeAI",
    ]
    sources = page.split("## Sources", 1)[1]
    for number, url in re.findall(r"\[(\d+)\]\(<([^>]+)>\)", table):
        assert f"{number}. [" in sources and f"(<{url}>)" in sources.split(f"{number}. [", 1)[1].split("\n", 1)[0]


def test_a_tool_without_the_setting_still_has_its_row(tmp_path):
    from .conftest import minimal_setting

    path = tmp_path / "example.yml"
    path.write_text(minimal_setting())
    page = render_site_pages(make_environment(ROOT / "templates"), load_settings([path]))[1].markdown
    assert "| ComfyUI | *Not available.* Not in this tool\\. | — | — | [1](<https://example.com/a>) |" in page
    assert "| diffusers | — | `example_alias` | 50 | [1](<https://example.com/a>) |" in page


def test_a_setting_without_tools_still_shows_a_row_for_every_tool(tmp_path):
    from .conftest import minimal_setting

    path = tmp_path / "example.yml"
    path.write_text(minimal_setting().split("tools:\n", 1)[0])
    page = render_site_pages(make_environment(ROOT / "templates"), load_settings([path]))[1].markdown
    for tool in ("diffusers", "AUTOMATIC1111", "Forge", "ComfyUI", "SwarmUI", "InvokeAI"):
        assert f"| {tool} | *Not documented yet.* | — | — | — |" in page


def test_the_scheduler_page_names_each_compared_scheduler_as_the_tools_do():
    """Before any image exists, each caption gives the diffusers class and what AUTOMATIC1111 and ComfyUI call it."""
    loaded = load_settings(sorted((ROOT / "settings").glob("[!_]*.yml")))
    pages = {page.path: page.markdown for page in render_site_pages(make_environment(ROOT / "templates"), loaded)}
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", pages["settings/scheduler.md"])
    assert len(captions) == 7
    for expected in (
        "<code>scheduler = EulerAncestralDiscreteScheduler</code><br>"
        '<span class="sg-also-called">AUTOMATIC1111: Euler a · ComfyUI: euler_ancestral</span>',
        "<code>scheduler = DPMSolverMultistepScheduler</code><br>"
        '<span class="sg-also-called">AUTOMATIC1111: DPM++ 2M · ComfyUI: dpmpp_2m</span>',
        "<code>scheduler = DDIMScheduler</code><br>"
        '<span class="sg-also-called">AUTOMATIC1111: DDIM · ComfyUI: ddim</span>',
        "<code>scheduler = UniPCMultistepScheduler</code><br>"
        '<span class="sg-also-called">AUTOMATIC1111: UniPC · ComfyUI: uni_pc_bh2</span>',
    ):
        assert expected in captions, expected
    assert all('class="sg-also-called"' in caption for caption in captions)
