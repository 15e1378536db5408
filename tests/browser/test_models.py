"""A comparison across models in Chromium: one tab per model whose images load when it opens,
and a scrubber per sweep that moves with the keyboard, survives instant navigation and falls back
to a list of links without JavaScript."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from playwright.sync_api import expect

from .conftest import FIGURES_SLUG

PAGE = f"settings/{FIGURES_SLUG}/"
ROOT = Path(__file__).resolve().parents[2]
_PROFILES = yaml.safe_load((ROOT / "figures" / "defaults.yml").read_text("utf-8"))["models"]
_MODELS = yaml.safe_load((ROOT / "settings" / f"{FIGURES_SLUG}.yml").read_text("utf-8"))["comparison"]["models"]
TAB_LABELS = [_PROFILES[entry["profile"]]["label"] for entry in _MODELS]  # the page's tabs, in its order
LOADED = "(i => i.complete && i.naturalWidth > 0)(document.querySelector('.sg-scrubber-view img'))"


def _requested_images(page) -> set[str]:
    return {
        re.sub(r"^.*/figures/", "", entry)
        for entry in page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        if entry.endswith(".webp")
    }


def test_each_model_has_a_tab_and_a_hidden_tab_loads_its_images_only_when_opened(open_page):
    visited = open_page(PAGE, wait_until="networkidle")
    page = visited.page
    labels = page.locator(".sg-model-tabs .tabbed-labels label")
    expect(labels).to_have_text(TAB_LABELS)
    # Nine tabs wrap onto more rows rather than scroll out of sight: every label is inside the page's width.
    boxes = [labels.nth(index).bounding_box() for index in range(labels.count())]
    assert all(box["x"] + box["width"] <= page.viewport_size["width"] for box in boxes)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # every lazy image of the open tab in range
    page.wait_for_load_state("networkidle")
    before = _requested_images(page)
    assert any(name.startswith(f"{FIGURES_SLUG}/sdxl/") for name in before)
    assert not any(name.startswith(f"{FIGURES_SLUG}/flux-schnell/") for name in before)

    labels.nth(1).click()
    flux = page.locator(".sg-model-tabs .tabbed-block").nth(1)
    expect(flux.locator(".sg-comparison img").first).to_be_visible()
    flux.locator(".sg-comparison").scroll_into_view_if_needed()
    page.wait_for_function(
        "[...document.querySelectorAll('.tabbed-block:nth-child(2) .sg-comparison img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert any(name.startswith(f"{FIGURES_SLUG}/flux-schnell/") for name in _requested_images(page))
    assert not page.locator(".sg-model-tabs .tabbed-block").nth(0).locator(".sg-comparison").is_visible()
    assert visited.console_errors == [] and visited.failed == []


def test_the_scrubber_steps_through_the_sweep_with_the_keyboard(open_page):
    visited = open_page(PAGE)
    page = visited.page
    scrubber = page.locator(".sg-model-tabs .tabbed-block").nth(0).locator(".sg-scrubber")
    slider = scrubber.locator("input[type=range]")
    output = scrubber.locator("output")
    image = scrubber.locator(".sg-scrubber-view img")
    expect(slider).to_be_visible()
    expect(scrubber.locator(".sg-scrubber-points")).to_be_hidden()  # the script replaced the list
    expect(slider).to_have_attribute("aria-label", re.compile("num_inference_steps on SDXL"))
    # It starts at the reference: the last value, 100 steps, no difference to itself.
    expect(output).to_have_text(re.compile(r"^num_inference_steps = 100: difference to the reference 0\.000"))
    first_src = image.get_attribute("src")

    slider.focus()
    page.keyboard.press("ArrowLeft")

    expect(output).to_have_text(re.compile(r"^num_inference_steps = 75: difference to the reference 0\.0\d\d, \d"))
    assert image.get_attribute("src") != first_src and image.get_attribute("src").endswith(".webp")
    assert slider.get_attribute("aria-valuetext") == output.text_content()
    page.wait_for_function(LOADED)  # (moving on at once would cancel this image's download, which counts as failed)
    page.keyboard.press("Home")
    expect(output).to_have_text(re.compile(r"^num_inference_steps = 1: "))
    page.wait_for_function(LOADED)
    assert visited.console_errors == [] and visited.failed == []


def test_the_scrubber_works_after_instant_navigation(open_page):
    visited = open_page("settings/")
    page = visited.page
    # Instant navigation makes every link absolute; the card's link ends with the page's path.
    page.locator(f'.md-content a[href$="/settings/{FIGURES_SLUG}/"]').first.click()
    expect(page.locator("h1")).to_contain_text("Inference Steps")
    expect(page.locator(".sg-scrubber.sg-scrubber--ready").first).to_be_visible()
    # Instant navigation swapped the page without a reload: the script ran on the new content once.
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    assert page.locator(".sg-scrubber-view").count() == page.locator(".sg-scrubber").count()
    assert visited.console_errors == []


def test_without_javascript_the_images_and_the_sweep_links_remain(browser, site):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site.base_url + PAGE)
        first_tab = page.locator(".tabbed-block").nth(0)
        expect(first_tab.locator(".sg-comparison img")).to_have_count(3)
        links = first_tab.locator(".sg-scrubber-points a")
        expect(links).to_have_count(14)
        expect(links.first).to_have_text("num_inference_steps = 1")
        assert page.locator("input[type=range]").count() == 0
    finally:
        context.close()


def test_measured_and_precision_slots_render_in_the_browser(open_page):
    """A NaN result is a labelled box, a format shows its size and crop, and the batch chart loads."""
    visited = open_page("settings/vae-and-precision/")
    box = visited.page.locator(".sg-failure")
    expect(box).to_have_count(1)
    expect(box).to_contain_text("NaN pixels: a black image")
    assert box.get_attribute("role") == "img" and box.bounding_box()["height"] > 50

    visited = open_page("settings/output-format/", wait_until="networkidle")
    page = visited.page
    expect(page.locator(".sg-file-size")).to_have_count(5)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("[...document.querySelectorAll('img.sg-crop')].every(i => i.complete && i.naturalWidth > 0)")
    expect(page.locator("img.sg-crop")).to_have_count(5)

    visited = open_page("settings/batch-size/")
    page = visited.page
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("[...document.images].some(i => i.src.includes('batch-light.svg') && i.naturalWidth > 0)")
    expect(page.locator(".sg-comparison")).to_contain_text("peak memory 9.0 GiB")
    assert visited.console_errors == [] and visited.failed == []
