"""Setting files -> validated models, with every problem mapped to file:line:column."""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path

from pydantic import BaseModel, ValidationError

from ..errors import Problem, ProblemsFound
from .model import CATEGORIES, LoadedSetting, Setting, describe_value
from .placeholders import PLACEHOLDER, find_placeholders
from .positions import display_path, problem_in_document
from .rules import check_catalogue, check_setting, settings_linking_to, slugify
from .schema_fields import model_holding
from .yaml_reader import YamlDocument, YamlReadError, read_yaml

SETTING_SUFFIX = ".yml"
_PLACEHOLDER_BYTES = PLACEHOLDER.encode()


def find_setting_files(directory: Path) -> list[Path]:
    """Every setting file in a folder, sorted; files starting with ``_`` are not settings."""
    return sorted(p for p in Path(directory).glob(f"*{SETTING_SUFFIX}") if not p.name.startswith("_"))


def load_settings(paths: list[Path]) -> list[LoadedSetting]:
    """Load and check every file, raising ProblemsFound with all problems of all files."""
    problems: list[Problem] = []
    loaded: list[LoadedSetting] = []
    documents: dict[str, YamlDocument] = {}
    unloaded: dict[str, str] = {}  # slug -> shown path of each file that did not load
    for path in paths:
        shown = display_path(path)
        try:
            item, document = _load_one(Path(path), shown)
        except ProblemsFound as found:
            problems.extend(found.problems)
            unloaded[Path(path).stem] = shown
            continue
        loaded.append(item)
        documents[shown] = document
    for item, loc, message in check_catalogue(loaded, unloaded):
        problems.append(problem_in_document(item.source_path, documents[item.source_path], loc, message))
    # A link to a file that did not load is no mistake of the linking file: one line, not one error per link.
    for slug, shown in unloaded.items():
        if linking := settings_linking_to(loaded, slug):
            problems.append(Problem.about_file(shown, _links_wait_for(len(linking))))
    if problems:
        raise ProblemsFound(problems)
    return sorted(loaded, key=lambda item: item.slug)


# Files that loaded cleanly, kept for the life of the process so that `mkdocs serve` rebuilds
# parse and validate only the files that changed. Keyed by the bytes' digest: an edit is never missed.
_LOADED: dict[tuple[str, str], tuple[bytes, LoadedSetting, YamlDocument]] = {}


def forget_loaded_settings() -> None:
    """Drop the files kept for later rebuilds: a one-off build needs them no more once its pages exist."""
    _LOADED.clear()


def _load_one(path: Path, shown: str) -> tuple[LoadedSetting, YamlDocument]:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ProblemsFound([Problem(shown, 1, 1, "", f"cannot read file: {error.strerror}")]) from None
    key, digest = (str(Path(path).resolve()), shown), hashlib.sha256(raw).digest()
    cached = _LOADED.get(key)
    if cached is not None and cached[0] == digest:
        return cached[1], cached[2]
    item, document = _parse_and_check(path, shown, raw)
    _LOADED[key] = (digest, item, document)
    return item, document


def _parse_and_check(path: Path, shown: str, raw: bytes) -> tuple[LoadedSetting, YamlDocument]:
    try:
        document = read_yaml(raw)
    except YamlReadError as error:
        raise ProblemsFound([error.problem(shown)]) from None

    slug = path.stem
    # Text the scaffold left to be replaced is refused whatever else is wrong, so one run lists all of it.
    # Most files hold no placeholder at all: a byte search saves walking every text of every file.
    findings = list(find_placeholders(document.data)) if _PLACEHOLDER_BYTES in raw else []
    try:
        setting = Setting.model_validate(document.data)
    except ValidationError as error:
        problems = problems_from_validation_error(error, shown, document)
        problems += [problem_in_document(shown, document, loc, message) for loc, message in findings]
        raise ProblemsFound(problems) from None

    findings += check_setting(setting)
    if not _is_slug(slug):
        findings.append(((), f"file name {path.name!r} must be a slug like 'guidance-scale.yml' (a-z, 0-9, dashes)"))
    if findings:
        raise ProblemsFound([problem_in_document(shown, document, loc, message) for loc, message in findings])
    return LoadedSetting(slug=slug, source_path=shown, setting=setting, document=document), document


def _links_wait_for(count: int) -> str:
    if count == 1:
        return "1 other setting links to it in `related`; that link is checked again once this file loads"
    return f"{count} other settings link to it in `related`; those links are checked again once this file loads"


def _is_slug(text: str) -> bool:
    return bool(text) and slugify(text) == text


def problems_from_validation_error(
    error: ValidationError, shown: str, document: YamlDocument, root: type[BaseModel] = Setting
) -> list[Problem]:
    """pydantic's errors about a file read as ``root`` (a setting, a model file) as file:line:col problems."""
    problems: dict[tuple, Problem] = {}
    for detail in error.errors(include_url=False):
        loc = _data_loc(detail["loc"], document.data)
        kind = detail["type"]
        message = _message(detail, loc, root)
        problem = problem_in_document(shown, document, loc, message, prefer_key=kind == "extra_forbidden")
        problems.setdefault(loc, problem)  # a union reports once per branch; keep one
    return list(problems.values())


def _data_loc(loc: tuple, data) -> tuple:
    """Drop the parts of a pydantic location that name union branches, not YAML keys."""
    kept, node = [], data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and len(kept) == len(loc) - 1:
            pass  # a missing field: keep it so the message names it
        else:
            continue
        kept.append(part)
    return tuple(kept)


def _message(detail: dict, loc: tuple, root: type[BaseModel] = Setting) -> str:
    kind, message = detail["type"], detail["msg"]
    field_name = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        allowed = _allowed_fields(loc, root)
        hint = difflib.get_close_matches(str(field_name), allowed, n=1)
        suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"unknown field {field_name!r}{suggestion} (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return "this field is required"
    if kind == "literal_error" and field_name == "category":
        hint = difflib.get_close_matches(str(detail.get("input")), list(CATEGORIES), n=1)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        return f"unknown category {detail.get('input')!r}; {suggestion}choose one of: {', '.join(CATEGORIES)}"
    if kind == "string_pattern_mismatch" and field_name == "url":
        return "must be an https:// link"
    if kind in ("string_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
        return f"{message[0].lower()}{message[1:]}, got {describe_value(detail.get('input'))}"
    return message.removeprefix("Value error, ")


def _allowed_fields(loc: tuple, root: type[BaseModel] = Setting) -> list[str]:
    return list((model_holding(loc, root) or root).model_fields)
