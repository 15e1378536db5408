"""``settings-guide figures --pin``: write each unpinned Hub model's current commit into its YAML file.

Edits the text in place (comments and layout stay as they are) and writes each file atomically.
The commit comes from figures/defaults.yml where it declares one for that repository (the commit a
maintainer reviewed), else from the Hub (``model_info``), or, with ``HF_HUB_OFFLINE=1``, from the local
Hugging Face cache's ``refs/`` (what the Hub client itself would use offline). No torch.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..atomic import write_text_atomic
from ..errors import FigureError, first_line
from .layout import hub_cache_folder
from .profiles import COMMIT, Unpinned

_SCALAR = re.compile(r"""("[^"]*"|'[^']*'|[^\s#]+)""")


def resolve_commit(model: str, revision: str | None) -> str:
    """The commit ``revision`` (default ``main``) of a Hub model points at now; FigureError if unknown."""
    import huggingface_hub
    from huggingface_hub import constants

    wanted = revision or "main"
    if constants.HF_HUB_OFFLINE:
        refs = hub_cache_folder(model) / "refs"
        try:
            commit = (refs / wanted).read_text("utf-8").strip()
        except OSError:
            raise FigureError(
                f"{model}: the Hub is switched off (HF_HUB_OFFLINE) and the cache has no {wanted!r} for it; "
                "pin it on a machine with Hub access"
            ) from None
    else:
        try:
            commit = huggingface_hub.HfApi().model_info(model, revision=wanted).sha or ""
        except Exception as error:  # the Hub client raises many kinds; all mean "cannot tell"
            raise FigureError(f"{model}: the Hub did not say which commit {wanted!r} is: {first_line(error)}") from None
    if not COMMIT.fullmatch(commit):
        raise FigureError(f"{model}: {wanted!r} did not resolve to a commit (got {commit!r})")
    return commit


def pin_models(unpinned: list[Unpinned], root: Path) -> tuple[list[str], list[str]]:
    """Pin every model it can; returns (one line per pinned model, one line per failure)."""
    done, failed = [], []
    edits: dict[str, list[tuple[Unpinned, str]]] = {}
    for item in unpinned:
        try:
            commit = item.declared or resolve_commit(item.model, item.revision)
        except FigureError as error:
            failed.append(f"cannot pin {error}")
            continue
        edits.setdefault(item.source.source_path, []).append((item, commit))
    for shown, changes in edits.items():
        path = Path(shown) if Path(shown).is_absolute() else Path(root) / shown
        lines = path.read_text("utf-8").splitlines(keepends=True)
        # Bottom-up, so an inserted line does not move the positions of the edits above it.
        for item, commit in sorted(changes, key=lambda change: -_line_of(change[0])):
            _apply(lines, item, commit)
            done.append(f"pinned {item.model} at {commit} in {shown}:{_line_of(item)}")
        write_text_atomic(path, "".join(lines))
    return done, failed


def _line_of(item: Unpinned) -> int:
    loc = item.revision_loc if item.revision else item.model_loc
    return item.source.document.position_of(loc).line


def _apply(lines: list[str], item: Unpinned, commit: str) -> None:
    document = item.source.document
    if item.revision:  # replace the value in place, keeping any comment after it
        position = document.position_of(item.revision_loc)
        line = lines[position.line - 1]
        start = position.column - 1
        lines[position.line - 1] = line[:start] + _SCALAR.sub(commit, line[start:], count=1)
        return
    key = document.key_positions[item.model_loc]  # the `model:` key: the new line goes under it, same indent
    model_line = document.position_of(item.model_loc).line
    indent = " " * (key.column - 1)
    lines.insert(model_line, f"{indent}revision: {commit}  # pinned by `settings-guide figures --pin`\n")
