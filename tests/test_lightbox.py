"""Our lightbox plugin gives the pages exactly what mkdocs-glightbox gives them, without re-parsing them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from mkdocs.config import load_config
from selectolax.lexbor import LexborHTMLParser

from settings_guide.site.lightbox import TemplateLightboxPlugin
from settings_guide.site.mkdocs_config import read_mkdocs_config

from .browser.served_site import add_standin_figures, copy_project
from .conftest import ROOT, run_tool


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[Path, Path]:
    """The real catalogue with stand-in images for one setting, built with our plugin and with upstream's."""
    project = copy_project(tmp_path_factory.mktemp("lightbox") / "project")
    add_standin_figures(project, ["inference-steps"], size=64)
    config = read_mkdocs_config(project / "mkdocs.yml")
    config["plugins"] = [
        {"glightbox": entry["settings-guide-lightbox"]} if isinstance(entry, dict) and "settings-guide-lightbox" in entry
        else entry
        for entry in config["plugins"]
    ]  # fmt: skip
    (project / "upstream.yml").write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
    sites = project / "ours", project / "upstream"
    for config_file, site in zip(("mkdocs.yml", "upstream.yml"), sites, strict=True):
        result = run_tool("mkdocs", "build", "--strict", "-f", config_file, "--site-dir", str(site), cwd=project)
        assert result.returncode == 0, result.stderr
    return sites


def test_mkdocs_yml_uses_our_plugin():
    config = load_config(str(ROOT / "mkdocs.yml"))
    assert isinstance(config["plugins"]["settings-guide-lightbox"], TemplateLightboxPlugin)


def test_every_page_parses_to_the_same_document_as_with_upstream(two_builds):
    ours, upstream = two_builds
    pages = sorted(path.relative_to(ours) for path in ours.rglob("*.html"))
    assert len(pages) > 20 and pages == sorted(path.relative_to(upstream) for path in upstream.rglob("*.html"))
    for page in pages:
        mine, theirs = (_normalised((site / page).read_text("utf-8")) for site in two_builds)
        assert mine == theirs, page
    with_images = LexborHTMLParser((ours / "settings/inference-steps/index.html").read_text("utf-8"))
    tabs = len(with_images.css("div.tabbed-block"))
    assert tabs >= 9 and len(with_images.css("a.glightbox > img")) == 3 * tabs  # every image zooms, in every tab
    assert len(with_images.css("script#init-glightbox")) == 1
    assert with_images.css_first('head link[href="../../assets/stylesheets/glightbox.min.css"]') is not None
    assert (ours / "assets/javascripts/glightbox.min.js").is_file()


def _normalised(page_html: str) -> str:
    """The page as a parser sees it, with runs of whitespace (the templates' indentation) made one."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", LexborHTMLParser(page_html).html))


def test_pages_without_images_are_left_as_markdown_made_them(tmp_path):
    config = load_config(str(ROOT / "mkdocs.yml"))
    plugin = config["plugins"]["settings-guide-lightbox"]
    plugin.on_config(config)
    page = type("Page", (), {"meta": {}, "url": "x/"})()
    text = "<p>No images here, <em>only</em> text &amp; code</p>"
    assert plugin.on_page_content(text, page=page, config=config) is text
