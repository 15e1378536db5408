"""No broken internal link, anchor or image anywhere in the built site (offline: outside URLs are not fetched)."""

from __future__ import annotations

import re

import pytest

from .served_site import build_site, with_plugin

REDIRECT = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)">')


@pytest.fixture(scope="module")
def proofed_build(site_project, tmp_path_factory):
    """The browser tests' project (stand-in figures included), built with mkdocs-htmlproofer-plugin."""
    project, _ = site_project
    config = with_plugin(project, "htmlproofer", {
        "validate_external_urls": False,  # no request may leave the machine
        "validate_rendered_template": True,  # the nav, header and footer too, not only the page body
        "strict_anchors": True,  # an anchor must exist in the built page, not only in its Markdown
        "raise_error_after_finish": True,  # report every broken link, then fail
    }, "mkdocs.linkcheck.yml")  # fmt: skip
    return build_site(project, tmp_path_factory.mktemp("proofed"), config_file=config)


def test_htmlproofer_finds_no_broken_internal_link_or_anchor(proofed_build):
    # build_site raises with the build's log when htmlproofer reports a broken link.
    assert (proofed_build / "settings" / "inference-steps" / "index.html").is_file()


def test_every_alias_redirect_points_at_a_built_page(site):
    redirects = {}
    for page in site.folder.glob("settings/*/index.html"):
        match = REDIRECT.search(page.read_text("utf-8"))
        if match:
            redirects[page.parent.name] = match.group(1)
    assert len(redirects) > 50  # every alias of every setting
    for alias, target in redirects.items():
        assert re.fullmatch(r"\.\./[a-z0-9-]+/", target), (alias, target)
        target_page = site.folder / "settings" / target[3:] / "index.html"
        assert target_page.is_file() and not REDIRECT.search(target_page.read_text("utf-8")), (alias, target)
