"""What a reader does on the site: search by alias, follow alias URLs, zoom a comparison, switch theme, use a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import FIGURES_SLUG, PENDING_SLUG
from .served_site import PHONE, SiteServer

ALIASES = [  # (alias, the setting's slug, its name)
    ("sample_steps", "inference-steps", "Inference Steps"),
    ("cfg", "guidance-scale", "Guidance Scale"),
    ("denoise", "strength", "Strength"),
]


def heading(name: str) -> re.Pattern:
    return re.compile(rf"^{re.escape(name)}¶?$")  # the h1 ends in its permalink, ¶


def boxes(page, selector: str) -> list[dict]:
    return [page.locator(selector).nth(i).bounding_box() for i in range(page.locator(selector).count())]


# A comparison across models has a tab per model: the first tab's comparison is the one in view.
FIRST_COMPARISON = ".sg-comparison >> nth=0"
FIRST_IMAGES = "document.querySelector('.sg-comparison').querySelectorAll('img')"


# --- finding a setting by another tool's name ------------------------------------------------------


@pytest.mark.parametrize("alias, slug, name", ALIASES)
def test_searching_an_alias_lists_its_setting_first(open_page, site, alias, slug, name):
    page = open_page("").page
    search = page.locator("input.md-search__input")
    search.click()
    # The index loads in a worker; a query typed before it is ready is not run again afterwards.
    expect(page.locator(".md-search-result__meta")).to_have_text("Type to start searching")
    search.press_sequentially(alias)  # the theme searches on key presses, not on `fill`
    first = page.locator(".md-search-result__item > a.md-search-result__link").first
    # Results for the first letters show up meanwhile; search.highlight puts the query in each link.
    expect(first).to_have_attribute("href", re.compile(rf"\?h={re.escape(alias)}$"))
    assert first.get_attribute("href").split("?")[0] == f"{site.base_url}settings/{slug}/"
    first.click()
    expect(page.locator("h1")).to_have_text(heading(name))


@pytest.mark.parametrize("alias, slug, name", [(a.replace("_", "-"), s, n) for a, s, n in ALIASES])
def test_an_alias_url_lands_on_its_setting(open_page, site, alias, slug, name):
    page = open_page(f"settings/{alias}/").page
    page.wait_for_url(f"{site.base_url}settings/{slug}/")
    expect(page.locator("h1")).to_have_text(heading(name))


# --- the Visual Comparison -------------------------------------------------------------------------


def test_a_comparison_image_opens_zoomed_and_closes(open_page, site):
    page = open_page(f"settings/{FIGURES_SLUG}/").page
    thumbnail = page.locator(".sg-comparison img").nth(1)
    thumbnail.scroll_into_view_if_needed()
    small = thumbnail.bounding_box()
    for close in (lambda: page.keyboard.press("Escape"), lambda: page.locator(".gclose").click()):
        thumbnail.click()
        zoomed = page.locator(".glightbox-container .gslide.current img")
        expect(zoomed).to_be_visible()
        assert zoomed.get_attribute("src").endswith(site.figure_files[1])
        # Wait out the opening animation: the image ends at least 1.5 times its size on the page.
        page.wait_for_function(
            "([img, width]) => img.complete && img.naturalWidth > 0 && img.getBoundingClientRect().width > width",
            arg=[zoomed.element_handle(), 1.5 * small["width"]],
        )
        large = zoomed.bounding_box()
        assert large["height"] > 1.5 * small["height"]
        close()
        expect(page.locator(".glightbox-container")).to_have_count(0)
        expect(thumbnail).to_be_visible()


@pytest.mark.parametrize("slug, count", [(FIGURES_SLUG, 3), (PENDING_SLUG, 5)])
def test_on_a_desktop_the_comparison_is_one_row_with_a_caption_under_each(open_page, slug, count):
    page = open_page(f"settings/{slug}/").page
    page.locator(".sg-comparison").first.scroll_into_view_if_needed()
    pictures = boxes(page, f"{FIRST_COMPARISON} >> .sg-figure > a > img, .sg-figure > .sg-pending")
    captions = boxes(page, f"{FIRST_COMPARISON} >> .sg-figure > figcaption")
    assert len(pictures) == len(captions) == count
    assert max(box["y"] for box in pictures) - min(box["y"] for box in pictures) < 1, "all on one row"
    assert [box["x"] for box in pictures] == sorted(box["x"] for box in pictures)
    assert min(box["width"] for box in pictures) >= 100, "each image big enough to compare at a glance"
    for picture, caption in zip(pictures, captions, strict=True):
        assert picture["y"] + picture["height"] <= caption["y"] + 0.5, "caption under its image"
        assert (
            picture["x"] - 0.5 <= caption["x"]
            and caption["x"] + caption["width"] <= picture["x"] + picture["width"] + 0.5
        )


def test_pending_images_are_drawn_as_placeholders_the_size_of_an_image(open_page):
    page = open_page(f"settings/{PENDING_SLUG}/").page
    placeholders = page.locator(f"{FIRST_COMPARISON} >> .sg-pending")
    expect(placeholders).to_have_count(5)
    for i in range(5):
        placeholder = placeholders.nth(i)
        expect(placeholder).to_contain_text("Image pending", ignore_case=True)
        expect(placeholder).to_have_attribute("role", "img")
        box = placeholder.bounding_box()
        assert abs(box["width"] - box["height"]) < 1, "square, like the images it stands for"
        assert placeholder.evaluate("el => getComputedStyle(el).borderTopStyle") == "dashed"
    assert page.locator(".sg-comparison img").count() == 0
    expect(page.locator(".sg-provenance").first).to_contain_text("not been generated yet")


def test_first_comparison_image_loads_eagerly_the_rest_lazily_all_with_their_size(open_page):
    page = open_page(f"settings/{FIGURES_SLUG}/").page
    images = page.locator(".sg-comparison img")
    attributes = images.evaluate_all(
        "all => all.map(i => [i.loading, i.getAttribute('width'), i.getAttribute('height')])"
    )
    # The first model's tab first; every image of the other tabs waits until its tab is opened.
    assert len(attributes) >= 9 and [loading for loading, _, _ in attributes] == ["eager"] + ["lazy"] * (
        len(attributes) - 1
    )
    assert all(width == height == "1024" for _, width, height in attributes)


def test_nothing_shifts_while_the_comparison_images_arrive(open_page, site):
    # Each image arrives 800 ms after it is asked for, long after the page is drawn: without
    # width and height, the text under the comparison would jump down when they land.
    with SiteServer(site.serve_root, image_delay=0.8) as origin:
        page = open_page(f"settings/{FIGURES_SLUG}/", origin=origin, wait_until="domcontentloaded").page
        page.evaluate("document.querySelector('.sg-comparison').scrollIntoView({block: 'center'})")
        page.evaluate(
            "window.__shift = 0; new PerformanceObserver(list => { for (const e of list.getEntries())"
            " if (!e.hadRecentInput) window.__shift += e.value; }).observe({type: 'layout-shift'})"
        )
        before = boxes(page, f"{FIRST_COMPARISON} >> img")
        assert page.evaluate(f"[...{FIRST_IMAGES}].some(i => !i.complete)")
        page.wait_for_function(f"[...{FIRST_IMAGES}].every(i => i.complete && i.naturalWidth)")
        page.wait_for_timeout(100)
        assert boxes(page, f"{FIRST_COMPARISON} >> img") == before
        assert page.evaluate("window.__shift") == 0


# --- theme and phone -------------------------------------------------------------------------------


def test_the_light_dark_toggle_switches_and_remembers(open_page):
    page = open_page(f"settings/{FIGURES_SLUG}/").page
    body = page.locator("body")
    background = "getComputedStyle(document.body).backgroundColor"
    expect(body).to_have_attribute("data-md-color-scheme", "default")
    light = page.evaluate(background)
    page.get_by_title("Switch to dark mode").click()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    page.wait_for_function(f"{background} !== {light!r}")
    assert _luminance(page.evaluate(background)) < 0.2 and _luminance(light) > 0.8
    page.reload()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    page.get_by_title("Switch to light mode").click()
    expect(body).to_have_attribute("data-md-color-scheme", "default")


@pytest.mark.parametrize(
    "path",
    [f"settings/{FIGURES_SLUG}/", f"settings/{PENDING_SLUG}/", "settings/scheduler/", "settings/", ""],
    ids=["figures", "pending", "long-captions", "index", "home"],
)
def test_a_phone_shows_the_page_without_horizontal_scrolling(open_page, path):
    page = open_page(path, phone=True).page
    assert page.evaluate("window.innerWidth") == PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for box in boxes(page, ".sg-figure:visible"):
        assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]
    page.mouse.wheel(400, 0)  # a sideways swipe must not move the page
    assert page.evaluate("window.scrollX") == 0


def _luminance(css_colour: str) -> float:
    red, green, blue = (int(part) for part in css_colour[css_colour.index("(") + 1 : -1].split(",")[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


@pytest.mark.parametrize("scale, expected_width", [(1, 320), (3, 640)])
def test_a_phone_downloads_a_small_copy_never_the_full_size_image(browser, site, scale, expected_width):
    """srcset + sizes: a 390 px phone at 1x or 3x picks the 320 or 640 px copy, not the 1024 px image."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=scale, is_mobile=True)
    try:
        page = context.new_page()
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{site.base_url}settings/{FIGURES_SLUG}/")
        page.evaluate(f"{FIRST_IMAGES}.forEach(i => {{ i.loading = 'eager'; }})")
        page.wait_for_function(f"[...{FIRST_IMAGES}].every(i => i.complete && i.naturalWidth > 0)")
        chosen = page.locator(f"{FIRST_COMPARISON} >> img").evaluate_all("all => all.map(i => i.currentSrc)")
        assert chosen and all(src.endswith(f".{expected_width}w.webp") for src in chosen), chosen
        full_size = [url for url in requested if re.search(r"-\d+\.webp$", url)]
        assert full_size == [], full_size
    finally:
        context.close()
