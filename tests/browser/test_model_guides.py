"""Start from your model, in Chromium: a model page's link opens the setting page with that model's tab
selected, and the cheat sheet keeps each setting's name in view on a phone while the table scrolls."""

from __future__ import annotations

from playwright.sync_api import expect

# Which tab is open, and which tab's block holds the anchor: their positions among the comparison's tabs.
OPEN_AND_ANCHORED = """anchor => {
  const set = document.querySelector(".sg-model-tabs");
  const inputs = [...set.querySelectorAll(":scope > input")];
  const blocks = [...set.querySelectorAll(":scope > .tabbed-content > .tabbed-block")];
  return [inputs.findIndex(i => i.checked), blocks.findIndex(b => b.querySelector("#" + anchor))];
}"""


def test_a_model_pages_link_opens_the_setting_with_that_models_tab(open_page):
    visited = open_page("models/z-image-turbo/")
    page = visited.page
    link = page.locator('.sg-model-compared a[href$="#model-z-image-turbo"]').filter(has_text="Inference Steps")
    link.click()
    page.wait_for_url("**/settings/inference-steps/#model-z-image-turbo")
    page.wait_for_function(f"({OPEN_AND_ANCHORED})('model-z-image-turbo')[0] > 0")
    opened, anchored = page.evaluate(OPEN_AND_ANCHORED, "model-z-image-turbo")
    assert opened == anchored > 0  # not the first tab, which is open by default
    block = page.locator(".sg-model-tabs .tabbed-block", has=page.locator("#model-z-image-turbo"))
    expect(block).to_be_visible()
    assert visited.console_errors == [] and visited.failed == []


def test_the_same_link_opened_directly_selects_the_tab_too(open_page):
    page = open_page("settings/timestep-shift/#model-qwen-image").page
    page.wait_for_function(f"({OPEN_AND_ANCHORED})('model-qwen-image')[0] > 0")
    opened, anchored = page.evaluate(OPEN_AND_ANCHORED, "model-qwen-image")
    assert opened == anchored == 2  # Qwen-Image-2512 is the page's third model


def test_the_cheat_sheet_keeps_the_setting_column_in_view_on_a_phone(open_page):
    page = open_page("cheat-sheet/", phone=True).page
    table = page.locator(".sg-cheat-sheet table")
    first = table.locator("tbody tr").first.locator("td").first
    before = first.bounding_box()
    wrapper = page.locator(".sg-cheat-sheet .md-typeset__scrollwrap")
    wrapper.evaluate("element => element.scrollLeft = 600")
    page.wait_for_timeout(100)
    after = first.bounding_box()
    assert wrapper.evaluate("element => element.scrollLeft") > 0  # the table is wider than the phone
    assert -1 < after["x"] <= before["x"]  # the setting's name stayed in view, stuck to the table's left edge
    # The columns under it slid away: a model's value cell moved left.
    second = table.locator("tbody tr").first.locator("td").nth(2)
    assert second.bounding_box()["x"] < 600
