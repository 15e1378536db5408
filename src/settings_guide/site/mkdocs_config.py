"""mkdocs.yml as MkDocs reads it, for the code that reads it without MkDocs (the Zensical project, tests).

The site's addresses come from the environment (``site_url: !ENV [SITE_URL, ...]``), so the same
file serves a local preview and the published site; this reads the `!ENV` tag as MkDocs does.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from pathlib import Path

import yaml
from yaml_env_tag import construct_env_tag  # MkDocs' own `!ENV` reader (a dependency of mkdocs)


class _Loader(yaml.SafeLoader):
    """The safe loader plus `!ENV`: no other tag runs code."""


_Loader.add_constructor("!ENV", construct_env_tag)


def read_mkdocs_config(path: Path) -> dict:
    """The config at ``path``, with each `!ENV` value taken from the environment (or its default)."""
    return yaml.load(Path(path).read_text("utf-8"), Loader=_Loader) or {}


def drop_edit_links_without_repo(config: MutableMapping) -> None:
    """No repository configured (a local build): no "edit this page" links, which would lead nowhere."""
    if not config.get("repo_url"):
        config["edit_uri"] = None
