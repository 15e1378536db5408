"""Our lightbox plugin adds exactly what mkdocs-glightbox adds, without parsing the whole page."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from mkdocs.config import load_config
from mkdocs_glightbox.plugin import LightboxPlugin
from selectolax.lexbor import LexborHTMLParser

from settings_guide.site.lightbox import SplicingLightboxPlugin, splice_before_closing_tags

from .conftest import ROOT

PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A &lt;/head&gt; title</title></head>'
    "<body><nav>" + "<a href='x'>entry</a>" * 50 + '</nav><article><p>text &amp; more</p><img src="a.webp"></article>'
    "<script>var x = 1;</script></body></html>"
)


@pytest.fixture(scope="module")
def plugins():
    config = load_config(str(ROOT / "mkdocs.yml"))
    options = config["plugins"]["settings-guide-lightbox"].config
    upstream = LightboxPlugin()
    upstream.load_config(dict(options))
    ours = config["plugins"]["settings-guide-lightbox"]
    assert isinstance(ours, SplicingLightboxPlugin)  # mkdocs.yml uses ours, not upstream's
    for plugin in (upstream, ours):
        plugin.on_config(config)
    return config, upstream, ours


@pytest.mark.parametrize("url", ["", "settings/", "settings/inference-steps/"])
def test_the_spliced_page_equals_upstreams_after_parsing(plugins, url):
    config, upstream, ours = plugins
    page = SimpleNamespace(meta={}, url=url)
    expected = upstream.on_post_page(PAGE, page=page, config=config)
    spliced = ours.on_post_page(PAGE, page=page, config=config)
    assert "init-glightbox" in spliced and spliced.count("glightbox.min.js") == 1
    assert LexborHTMLParser(spliced).html == LexborHTMLParser(expected).html
    # Everything the theme wrote is kept byte for byte; only the snippets are added.
    head_end, body_end = PAGE.find("</head>"), PAGE.rfind("</body>")
    assert spliced.startswith(PAGE[:head_end]) and spliced.endswith(PAGE[body_end:])
    assert PAGE[head_end:body_end] in spliced


def test_a_page_that_turns_the_lightbox_off_is_left_alone(plugins):
    config, _, ours = plugins
    page = SimpleNamespace(meta={"glightbox": False}, url="x/")
    assert ours.on_post_page(PAGE, page=page, config=config) == PAGE


def test_pages_without_images_are_not_parsed_for_wrapping(plugins):
    config, upstream, ours = plugins
    page = SimpleNamespace(meta={}, url="x/")
    without = "<p>No images here, <em>only</em> text &amp; code</p>"
    assert ours.on_page_content(without, page=page, config=config) == without
    with_image = '<p><img src="a.webp" alt="a"></p>'
    assert ours.on_page_content(with_image, page=page, config=config) == upstream.on_page_content(
        with_image, page=page, config=config
    )
    assert 'class="glightbox"' in ours.on_page_content(with_image, page=page, config=config)


def test_splicing_needs_both_closing_tags():
    assert splice_before_closing_tags("<p>fragment</p>", "<link>", "<script></script>") == "<p>fragment</p>"
    assert splice_before_closing_tags("<head></head><body>x</body>", "H", "B") == "<head>H</head><body>xB</body>"
