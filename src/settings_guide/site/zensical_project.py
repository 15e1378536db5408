"""A Zensical project for the generated site, written into a build folder (no MkDocs here).

Zensical reads mkdocs.yml but runs none of our MkDocs plugin. This module does the plugin's
work ahead of the build instead: the generated pages, charts and figures go into a docs folder
beside the hand-written pages, and a config names the category nav, the alias redirects (Zensical's
own redirects plugin) and each setting page's edit link. Nothing is written into the repo's docs/.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import yaml

from ..atomic import write_bytes_atomic, write_text_atomic
from ..pages.render import SITE_ROOT_FROM_SOURCE_FILE, page_path
from ..pages.schema_reference import insert_schema_reference
from .mkdocs_config import drop_edit_links_without_repo, read_mkdocs_config
from .pages import ProjectPaths, expand_nav, generate_site, setting_file_from_docs

CONFIG_NAME = "mkdocs.yml"
SITE_FOLDER = "site"
OUR_PLUGIN = "settings-guide"
# Our lightbox is mkdocs-glightbox with a faster hook; Zensical implements glightbox itself.
RENAMED_PLUGINS = {"settings-guide-lightbox": "glightbox"}
SANITIZER_EXTENSION = "settings_guide.site.zensical_sanitizer"


@dataclass(frozen=True)
class ZensicalProject:
    config_file: Path
    docs_dir: Path
    site_dir: Path
    pages: int
    redirects: int


def write_zensical_project(paths: ProjectPaths, out: Path) -> ZensicalProject:
    """Generate the site into ``out`` (docs/ and mkdocs.yml) for ``zensical build`` to publish into ``out/site``.

    Raises ProblemsFound on an invalid setting file, like the MkDocs build. Files are written
    only when their content changed, and files left over from an earlier run are removed, so a
    deleted setting's page does not linger in the next build.
    """
    out = Path(out).resolve()
    config = read_mkdocs_config(paths.root / CONFIG_NAME)  # its `!ENV` addresses resolved, as MkDocs would
    drop_edit_links_without_repo(config)
    source_docs = paths.root / config.get("docs_dir", "docs")
    docs = out / "docs"
    site = generate_site(paths, site_root=SITE_ROOT_FROM_SOURCE_FILE, site_url=config.get("site_url"))

    # 1. The hand-written pages, with the field reference the plugin would insert.
    files: dict[Path, bytes] = {}
    for source in sorted(p for p in source_docs.rglob("*") if p.is_file()):
        data = source.read_bytes()
        if source.suffix == ".md":
            data = insert_schema_reference(data.decode("utf-8")).encode("utf-8")
        files[docs / source.relative_to(source_docs)] = data

    # 2. The generated pages; a setting page names its YAML as the page to edit, as the plugin does.
    edit_base = _edit_base(config)
    for page in site.pages:
        markdown = page.markdown
        if page.setting is not None and edit_base:
            edit_url = urljoin(edit_base, setting_file_from_docs(paths, page.setting.slug, source_docs))
            markdown = with_front_matter_line(markdown, "edit_url", edit_url)
        files[docs / page.path] = markdown.encode("utf-8")

    # 3. What the pages show: sweep charts (exist only in the build) and the comparison images.
    for path, text in site.generated_files.items():
        files[docs / path] = text.encode("utf-8")
    for image in site.figure_files:
        files[docs / image.relative_to(paths.root)] = image.read_bytes()

    for path, data in files.items():
        write_bytes_atomic(path, data, durable=False)  # remade by every build, like the site itself
    _remove_files_not_in(docs, set(files))

    # 4. The config: ours minus our plugin, plus the nav, the redirects and the sanitiser.
    config["docs_dir"] = "docs"
    config["site_dir"] = SITE_FOLDER  # Zensical refuses a site folder outside the config's folder
    theme = config.setdefault("theme", {})
    if theme.get("custom_dir"):
        theme["custom_dir"] = str((paths.root / theme["custom_dir"]).resolve())
    config["nav"] = expand_nav(config.get("nav"), site.nav_sections())
    config["plugins"] = [*_other_plugins(config.get("plugins", [])), _redirects_plugin(site.redirects)]
    config["markdown_extensions"] = [
        *config.get("markdown_extensions", []),
        {SANITIZER_EXTENSION: {"pages": sorted(site.page_paths)}},
    ]
    config_file = out / CONFIG_NAME
    header = "# Written by `settings-guide zensical` from mkdocs.yml; edit that file, not this one.\n"
    write_text_atomic(config_file, header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return ZensicalProject(config_file, docs, out / SITE_FOLDER, len(site.pages), len(site.redirects))


def with_front_matter_line(markdown: str, key: str, value: str) -> str:
    """``markdown`` with ``key: value`` added to its front matter (our templates always open one)."""
    if not markdown.startswith("---\n"):
        raise ValueError("a generated page must start with front matter")
    return f"---\n{key}: {json.dumps(value)}\n{markdown[4:]}"  # JSON is YAML, and quotes any value


def _edit_base(config: dict) -> str | None:
    """Where MkDocs points "edit this page" for the docs folder, e.g. https://github.com/o/r/edit/main/docs/."""
    repo_url, edit_uri = config.get("repo_url"), config.get("edit_uri")
    if not repo_url or not edit_uri:
        return None
    return urljoin(repo_url.rstrip("/") + "/", edit_uri if edit_uri.endswith("/") else edit_uri + "/")


def _other_plugins(plugins: list) -> list:
    """The plugins Zensical should run: all but ours, under the names Zensical knows them by."""
    kept = []
    for entry in plugins:
        name, options = (entry, None) if isinstance(entry, str) else next(iter(entry.items()))
        if name == OUR_PLUGIN:
            continue
        name = RENAMED_PLUGINS.get(name, name)
        kept.append(name if options is None else {name: options})
    return kept


def _redirects_plugin(redirects: dict[str, str]) -> dict:
    """Zensical's redirects plugin maps page sources: settings/<alias>.md -> settings/<slug>.md."""
    return {"redirects": {"redirect_maps": {page_path(alias): page_path(slug) for alias, slug in redirects.items()}}}


def _remove_files_not_in(folder: Path, keep: set[Path]) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):  # files before the folders that hold them
        if path.is_file() and path not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
