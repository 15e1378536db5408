"""The MkDocs plugin: the only module that imports MkDocs. A thin shell over site.pages."""

from __future__ import annotations

import gc
import logging
from contextlib import contextmanager
from pathlib import Path

from mkdocs.config import config_options
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

from ..atomic import write_text_atomic
from ..errors import ProblemsFound
from ..pages.schema_reference import insert_schema_reference
from ..settings.load import forget_loaded_settings
from .code_breaks import break_identifiers
from .html_safety import sanitize_page_html
from .mkdocs_config import drop_edit_links_without_repo
from .pages import (
    GeneratedSite,
    ProjectPaths,
    RenderedSite,
    expand_nav,
    generate_site,
    setting_file_from_docs,
)
from .redirects import redirect_html
from .serve_polling import poll_more_often
from .template_cache import THEME_TEMPLATES

log = logging.getLogger("mkdocs.plugins.settings_guide")


@contextmanager
def _no_cycle_collection():
    """Reading and rendering a thousand settings allocates millions of short-lived, acyclic objects: the cycle
    collector would walk them again and again for nothing (reference counting frees them), so it waits."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class SettingsGuideConfig(Config):
    settings_dir = config_options.Type(str, default="settings")
    templates_dir = config_options.Type(str, default="templates")
    figures_dir = config_options.Type(str, default="figures")


class SettingsGuidePlugin(BasePlugin[SettingsGuideConfig]):
    serving = False  # `mkdocs serve`: parsed settings are kept for the next rebuild

    def on_startup(self, *, command, dirty) -> None:
        self.serving = command == "serve"

    def on_config(self, config):
        root = Path(config.config_file_path).parent
        self.paths = ProjectPaths.at(root, self.config.settings_dir, self.config.templates_dir, self.config.figures_dir)
        self.site: GeneratedSite | RenderedSite | None = None
        drop_edit_links_without_repo(config)
        return config

    def on_files(self, files: Files, config) -> Files:
        try:
            with _no_cycle_collection():
                self.site = generate_site(self.paths, site_url=config.site_url)
        except ProblemsFound as found:
            # The same lines `settings-guide validate` prints; the build stops instead of
            # publishing a site that silently lacks a page.
            raise PluginError("invalid setting files:\n" + "\n".join(str(p) for p in found.problems)) from None
        for page in self.site.pages:
            generated = File.generated(config, page.path, content=page.markdown)
            if page.setting is not None:
                # Material's "edit this page" should open the YAML, not a page that only exists in the build.
                generated.edit_uri = setting_file_from_docs(self.paths, page.setting.slug, Path(config.docs_dir))
            files.append(generated)
        for path, text in self.site.generated_files.items():
            files.append(File.generated(config, path, content=text))
        for image in self.site.figure_files:
            files.append(
                File(
                    image.relative_to(self.paths.root).as_posix(),
                    str(self.paths.root),
                    config.site_dir,
                    config.use_directory_urls,
                )
            )
        config.nav = expand_nav(config.nav, self.site.nav_sections())
        # What this build writes, so a redirect never replaces a page (known now: no disk reads later).
        self.written_urls = {file.dest_uri for file in files}
        # Later hooks need only these: the settings and their parsed files can go before MkDocs renders
        # a thousand pages beside them (fewer live objects, less garbage collection).
        self.site = self.site.after_rendering()
        if not self.serving:
            forget_loaded_settings()
        return files

    def on_env(self, env, config, files):
        if env.bytecode_cache is None:
            env.bytecode_cache = THEME_TEMPLATES  # serve rebuilds reuse the compiled theme
        return env

    def on_page_markdown(self, markdown: str, page, config, files) -> str:
        # The Contributing page's field reference comes from the models, so it cannot drift.
        return insert_schema_reference(markdown)

    def on_page_content(self, html: str, page, config, files) -> str:
        # Generated pages carry contributor text: keep only the HTML our templates intend. Then mark where
        # long identifiers may wrap (only <wbr> inside inline code, so the clean-up need not allow it).
        if self.site and page.file.src_uri in self.site.page_paths:
            return break_identifiers(sanitize_page_html(html))
        return html

    def on_post_build(self, config) -> None:
        if self.site is None:
            return
        for alias, slug in self.site.redirects.items():
            url = f"settings/{alias}/index.html"
            if url in self.written_urls:
                log.warning("alias URL /settings/%s/ is taken by a page; no redirect written for it", alias)
                continue
            target = Path(config.site_dir, url)
            # Remade by every build, so atomic is enough; fsync per page would dominate a large build.
            write_text_atomic(target, redirect_html(f"../{slug}/", self.site.name_of(slug)), durable=False)

    def on_serve(self, server, config, builder):
        # Rebuild when a setting, a template or a figure changes, not only docs/.
        for folder in (self.paths.settings, self.paths.templates, self.paths.figures):
            if folder.is_dir():
                server.watch(str(folder))
        if not poll_more_often(server):
            log.debug("serve keeps its own polling interval (watchdog's internals changed)")
        return server
