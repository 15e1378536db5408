"""Session fixtures for the browser tests: the site is built once, served once, and one Chromium serves all.

Each test gets its own browser context (fresh storage, its own viewport and colour scheme) from
``open_page``; every context refuses requests to any host but 127.0.0.1 and the test fails on them.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from ..conftest import ADDRESSES
from .served_site import (
    DESKTOP,
    PHONE,
    SiteServer,
    add_standin_figures,
    build_site,
    copy_project,
    launch_chromium,
    site_path,
)

expect.set_options(timeout=10_000)

# The page whose comparison has real (stand-in) images; every other comparison shows "Image pending".
FIGURES_SLUG = "inference-steps"
PENDING_SLUG = "guidance-scale"


@dataclass
class BuiltSite:
    project: Path
    folder: Path  # the built site
    serve_root: Path  # the folder the server serves: the site itself, or the folder above its site_url path
    base_url: str  # e.g. http://127.0.0.1:PORT/settings-guide/
    figure_files: list[str]  # the comparison images of FIGURES_SLUG, under figures/


@dataclass
class VisitedPage:
    """A Playwright page plus what went wrong while it loaded."""

    page: object
    console_errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # requests that failed or answered 4xx/5xx
    forbidden: list[str] = field(default_factory=list)  # outside hosts and web fonts, refused


@pytest.fixture(scope="session")
def site_project(tmp_path_factory) -> tuple[Path, list[str]]:
    project = copy_project(tmp_path_factory.mktemp("project") / "project")
    # Plus the comparisons that measure, and a precision with a NaN result: their slots go through axe too.
    files = add_standin_figures(project, [FIGURES_SLUG, "vae-and-precision", "output-format", "batch-size"])
    return project, files[FIGURES_SLUG]


@pytest.fixture(scope="session")
def site(site_project, tmp_path_factory) -> BuiltSite:
    project, figure_files = site_project
    serve_root = tmp_path_factory.mktemp("serve")
    # Built with the addresses the Publish site workflow gives it, so it lives under site_url's path
    # (/settings-guide/) as on GitHub Pages: a link that works only at a server's root fails here.
    with pytest.MonkeyPatch.context() as environment:
        for name, value in ADDRESSES.items():
            environment.setenv(name, value)
        folder, base_path = build_site(project, serve_root), site_path(project)
    with SiteServer(serve_root) as origin:
        yield BuiltSite(project, folder, serve_root, origin + base_path, figure_files)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, site):
    """``open_page(path, phone=False, dark=False)``: a new context and page, navigated to ``path``.

    ``origin`` serves the same site from another server (e.g. a slow one); ``wait_until`` as in Playwright.

    Requests to any host but 127.0.0.1, and web fonts from anywhere, are refused and recorded in
    the page's ``forbidden`` list; any left there fails the test when it ends.
    """
    visits: list[VisitedPage] = []

    def open_(
        path: str, *, phone: bool = False, dark: bool = False, origin: str | None = None, wait_until: str = "load"
    ) -> VisitedPage:
        context = browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            device_scale_factor=1,
            is_mobile=phone,
            has_touch=phone,
            color_scheme="dark" if dark else "light",
            reduced_motion="reduce",
        )
        context.set_default_timeout(10_000)  # a local site: anything slower is a failure, not a wait
        visited = VisitedPage(context.new_page())
        visits.append(visited)

        def guard(route):
            if _allowed(route.request):
                route.continue_()
            else:
                visited.forbidden.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        # Requests that bypass routing (none expected) are still seen here.
        context.on("request", lambda request: None if _allowed(request) else visited.forbidden.append(request.url))
        page = visited.page
        page.on(
            "console", lambda message: visited.console_errors.append(message.text) if message.type == "error" else None
        )
        page.on("pageerror", lambda error: visited.console_errors.append(f"uncaught: {error}"))
        page.on(
            "requestfailed",
            lambda request: (
                visited.failed.append(f"{request.url} ({request.failure})")
                if request.url not in visited.forbidden
                else None
            ),
        )
        page.on("response", lambda response: visited.failed.append(f"{response.url} ({response.status})")
                if response.status >= 400 else None)  # fmt: skip
        base_url = site.base_url if origin is None else origin + urllib.parse.urlsplit(site.base_url).path
        page.goto(base_url + path, wait_until=wait_until)
        return visited

    yield open_
    for visited in visits:
        visited.page.context.close()
    forbidden = sorted({url for visited in visits for url in visited.forbidden})
    assert forbidden == [], "the site asked for outside URLs or web fonts"


def _allowed(request) -> bool:
    return request.resource_type != "font" and _local(request.url)


def _local(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"
