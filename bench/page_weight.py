"""Benchmark: the bytes a phone downloads for each page, with and without comparison figures.

Run by hand:  .venv/bin/python bench/page_weight.py [--pages settings/inference-steps/ ...]
                                                     [--figures DIR] [--json results.json]

It builds the site twice from a copy of this checkout:
  without - the figures folder empty: every comparison shows "Image pending"
  with    - a figure for every compared value: photo-like stand-in WebP images, 1024 x 1024 at
            quality 80 (figures/defaults.yml's format; about 90-150 KB each, see
            tests/browser/served_site.py), with --photos real photographs from scikit-image's
            data module encoded the same way, or the real images of --figures DIR (a figures
            folder with its manifest.json) once the figure pipeline has made them
and serves each on 127.0.0.1 with text gzip-compressed, as GitHub Pages does. Each page opens in
Debian's Chromium on a 390 x 844 phone viewport (device pixel ratio 3) with an empty cache, and
the bytes transferred (headers + body, as sent) are counted by kind:
  at load   - once the network is idle: what the first screen costs
  scrolled  - after scrolling to the end, when every lazy image has loaded
Target: a setting page with three 1024-px figures under 600 KB (1 KB = 1000 bytes) on a phone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from tests.browser.served_site import (  # noqa: E402
    PHONE,
    SiteServer,
    add_standin_figures,
    build_site,
    comparison_slugs,
    copy_project,
    launch_chromium,
    setting_slugs,
    site_path,
)

KINDS = {"document": "html", "stylesheet": "css", "script": "js", "image": "img"}  # everything else: other
TARGET_KB = 600


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--pages",
        nargs="+",
        metavar="PATH",
        help="site paths, e.g. settings/inference-steps/ "
        "(default: the home, index, contributing, models and cheat-sheet pages, every model and every setting page)",
    )
    parser.add_argument("--figures", type=Path, metavar="DIR", help="a real figures folder instead of stand-ins")
    parser.add_argument(
        "--photos",
        action="store_true",
        help="real photographs (scikit-image's data module: `.venv/bin/pip install scikit-image`) as the stand-ins",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the numbers as JSON")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="page-weight-") as temporary, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        results = {}
        for variant in ("without", "with"):
            project = copy_project(Path(temporary, variant, "project"))
            if variant == "with":
                _add_figures(project, args.figures, args.photos)
            serve_root = Path(temporary, variant, "serve")
            build_site(project, serve_root)
            pages = args.pages or [
                "",
                "settings/",
                "contributing/",
                "models/",
                "cheat-sheet/",
                *(f"models/{path.stem}/" for path in sorted((project / "models").glob("[!_]*.yml"))),
                *(f"settings/{slug}/" for slug in setting_slugs(project)),
            ]
            with SiteServer(serve_root, compress=True) as origin:
                base = origin + site_path(project)
                results[variant] = {page: measure(browser, base + page) for page in pages}
                figures = {page: _figure_count(serve_root, project, page) for page in pages}
        browser.close()

    print_table(results, figures)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    return 0


def _add_figures(project: Path, figures: Path | None, photos: bool) -> None:
    if figures is None:
        add_standin_figures(project, comparison_slugs(project), photos=photos)
    else:
        shutil.rmtree(project / "figures")
        shutil.copytree(figures, project / "figures")


def _figure_count(serve_root: Path, project: Path, page: str) -> int:
    html = serve_root / site_path(project).strip("/") / page / "index.html"
    return html.read_text("utf-8").count('<img src="') if html.is_file() else 0


def measure(browser, url: str) -> dict[str, dict[str, int]]:
    """Bytes transferred by kind, at load and after scrolling to the end, on a phone with an empty cache."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True)
    requests = []
    context.on("requestfinished", lambda request: requests.append(request))
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    at_load = _totals(requests)
    # Scroll a screen at a time, as a reader would, so each lazy image loads when it comes near.
    height = page.evaluate("document.documentElement.scrollHeight")
    for top in range(0, height + PHONE["height"], PHONE["height"]):
        page.evaluate(f"window.scrollTo(0, {top})")
        page.wait_for_timeout(50)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    scrolled = _totals(requests)
    context.close()
    return {"at_load": at_load, "scrolled": scrolled}


def _totals(requests) -> dict[str, int]:
    totals = dict.fromkeys([*KINDS.values(), "other"], 0)
    for request in requests:
        sizes = request.sizes()
        # Chromium reports no body size for a worker's script; its Content-Length is the bytes sent.
        body = sizes["responseBodySize"] or int(request.response().headers.get("content-length", 0))
        totals[KINDS.get(request.resource_type, "other")] += sizes["responseHeadersSize"] + body
    totals["total"] = sum(totals.values())
    return totals


def print_table(results: dict, figures: dict[str, int]) -> None:
    kb = lambda n: f"{n / 1000:7.1f}"  # noqa: E731
    print(f"Phone {PHONE['width']} x {PHONE['height']}, empty cache, KB transferred (1 KB = 1000 bytes).")
    print(f"{'page':42} {'figs':>4} | {'without figures':^17} | {'with figures':^17} | with figures, scrolled, by kind")
    print(
        f"{'':42} {'':>4} | {'load':>7} {'scroll':>9} | {'load':>7} {'scroll':>9} |"
        f" {'html':>7} {'css':>7} {'js':>7} {'img':>7} {'other':>7}"
    )
    for page, with_figures in results["with"].items():
        without = results["without"][page]
        scrolled = with_figures["scrolled"]
        print(
            f"{page or '(home)':42} {figures[page]:>4} | {kb(without['at_load']['total'])} {kb(without['scrolled']['total'])}"
            f"   | {kb(with_figures['at_load']['total'])} {kb(scrolled['total'])}   |"
            f" {kb(scrolled['html'])} {kb(scrolled['css'])} {kb(scrolled['js'])} {kb(scrolled['img'])} {kb(scrolled['other'])}"
        )
    three = [page for page, count in figures.items() if count == 3]
    for page in three:
        total = results["with"][page]["scrolled"]["total"]
        images = results["with"][page]["scrolled"]["img"]
        verdict = "under" if total < TARGET_KB * 1000 else "OVER"
        print(
            f"\n{page}: three figures, {kb(total).strip()} KB scrolled, {verdict} the {TARGET_KB} KB target; "
            f"the figures are {kb(images).strip()} KB of it, the rest {kb(total - images).strip()} KB, which leaves "
            f"{kb((TARGET_KB * 1000 - (total - images)) / 3).strip()} KB per figure."
        )


if __name__ == "__main__":
    raise SystemExit(main())
