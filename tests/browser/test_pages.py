"""Every page of the built site in a real browser: it loads cleanly and axe finds nothing serious."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from .served_site import ROOT, setting_slugs

SLUGS = setting_slugs(ROOT)
MODELS = sorted(path.stem for path in (ROOT / "models").glob("[!_]*.yml"))
PAGES = [
    "",
    "settings/",
    "contributing/",
    "models/",
    "cheat-sheet/",
    "api/",
    *(f"settings/{slug}/" for slug in SLUGS),
    *(f"models/{key}/" for key in MODELS),
]
AXE_SCRIPT = Axe().axe_script  # axe-core, from axe-playwright-python
# Every rule axe runs by default; only the violations come back, in a few words each.
RUN_AXE = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
}"""

# Loads every image, lazy ones included, and lists those the browser cannot decode.
BROKEN_IMAGES = """async () => {
  const broken = [];
  for (const image of document.images) {
    image.loading = "eager";
    try { await image.decode(); } catch (error) { broken.push(image.getAttribute("src")); continue; }
    if (image.naturalWidth === 0) broken.push(image.getAttribute("src"));
  }
  return broken;
}"""


def test_every_setting_has_a_page_to_check():
    assert len(SLUGS) >= 26


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path or "home")
def test_page_loads_without_errors_or_broken_images(open_page, path):
    # networkidle: errors from the search worker and the sitemap fetch arrive after `load`.
    visited = open_page(path, wait_until="networkidle")
    broken = visited.page.evaluate(BROKEN_IMAGES)
    assert visited.forbidden == []
    assert visited.console_errors == []
    assert visited.failed == []
    assert broken == []
    assert visited.page.locator("h1").count() == 1


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", PAGES, ids=lambda path: path or "home")
def test_axe_finds_no_serious_violations(open_page, path, scheme):
    page = open_page(path, dark=scheme == "dark").page
    assert page.evaluate("document.body.dataset.mdColorScheme") == ("slate" if scheme == "dark" else "default")
    page.evaluate(AXE_SCRIPT)
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at {'; '.join(violation['targets'])}"
        for violation in page.evaluate(RUN_AXE)
        if violation["impact"] in ("serious", "critical")
    ]
    assert serious == []
