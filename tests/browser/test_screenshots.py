"""Screenshots for a person to look at: tests/artifacts/screenshots/<page>-<scheme>-<device>.png (git-ignored)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageStat

from .conftest import FIGURES_SLUG, PENDING_SLUG
from .served_site import DESKTOP, PHONE, ROOT

SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
PAGES = {"index": "settings/", "inference-steps": f"settings/{FIGURES_SLUG}/", "pending": f"settings/{PENDING_SLUG}/"}

# Lazy images far below the first screen only load when a reader scrolls there: load them now.
LOAD_ALL_IMAGES = """async () => {
  for (const image of document.images) { image.loading = "eager"; await image.decode(); }
}"""


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_screenshot(open_page, name, scheme, device):
    page = open_page(PAGES[name], phone=device == "phone", dark=scheme == "dark").page
    page.evaluate(LOAD_ALL_IMAGES)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{scheme}-{device}.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=path, full_page=True)

    with Image.open(path) as shot:
        assert shot.width == (PHONE if device == "phone" else DESKTOP)["width"]
        # The header bar is indigo in both schemes; below it, the page must have the scheme's colours.
        body = shot.convert("L").crop((0, 120, shot.width, min(shot.height, 1400)))
        brightness = ImageStat.Stat(body).mean[0]
    assert brightness < 80 if scheme == "dark" else brightness > 170
