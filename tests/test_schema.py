"""The editor schema (settings/schema.json) and the field reference on the Contributing page."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import jsonschema
import pytest
import regress
from pydantic import BaseModel, ValidationError

from settings_guide.cli import main
from settings_guide.pages.schema_reference import (
    SCHEMA_REFERENCE_MARKER,
    insert_schema_reference,
    schema_reference_markdown,
)
from settings_guide.settings import model
from settings_guide.settings.json_schema import (
    MODELINE,
    SCHEMA_FILE_NAME,
    setting_json_schema,
    setting_json_schema_text,
)
from settings_guide.settings.load import find_setting_files, load_settings
from settings_guide.settings.yaml_reader import read_yaml
from settings_guide.site.plugin import SettingsGuidePlugin

from .conftest import BIN, ROOT, run_tool

COMMITTED = ROOT / "settings" / SCHEMA_FILE_NAME
GOLDEN_SETTING = ROOT / "tests" / "golden" / "inference-steps.yml"
MODELS = [
    model.Setting,
    model.ValueRange,
    model.Choice,
    model.ModelRecommendation,
    model.Comparison,
    model.ComparisonModel,
    model.Recipe,
    model.Adapter,
    model.Sweep,
    model.Source,
    model.Tools,
    model.ToolRow,
    model.ToolPlace,
    model.ToolDefault,
]

# Every keyword draft-07 defines; anything else (2019-09/2020-12 keywords, pydantic's own
# names) would be ignored or misread by the YAML language server.
DRAFT_07_KEYWORDS = {
    "$schema", "$id", "$ref", "$comment", "title", "description", "default", "readOnly", "writeOnly", "examples",
    "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength", "minLength",
    "pattern", "additionalItems", "items", "maxItems", "minItems", "uniqueItems", "contains", "maxProperties",
    "minProperties", "required", "additionalProperties", "definitions", "properties", "patternProperties",
    "dependencies", "propertyNames", "const", "enum", "type", "format", "contentMediaType", "contentEncoding",
    "if", "then", "else", "allOf", "anyOf", "oneOf", "not",
}  # fmt: skip


def schema_nodes(node: dict, path: str = "#"):
    """Every schema object in a schema, with its JSON pointer (not the values of enum/default)."""
    yield path, node
    for key in ("items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"):
        if isinstance(node.get(key), dict):
            yield from schema_nodes(node[key], f"{path}/{key}")
    for key in ("allOf", "anyOf", "oneOf"):
        for index, item in enumerate(node.get(key, [])):
            yield from schema_nodes(item, f"{path}/{key}/{index}")
    for key in ("properties", "patternProperties", "definitions"):
        for name, item in node.get(key, {}).items():
            yield from schema_nodes(item, f"{path}/{key}/{name}")


def check_jsonschema(*files: Path, schema: Path = COMMITTED) -> subprocess.CompletedProcess:
    # --verbose lists the errors inside anyOf (optional fields), e.g. a typo in `comparison`.
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--verbose", "--schemafile", str(schema), *map(str, files)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


# --- the committed file and the command -------------------------------------------------


def test_committed_schema_matches_the_models():
    assert COMMITTED.read_text("utf-8") == setting_json_schema_text(), (
        "settings/schema.json is out of date; run `.venv/bin/settings-guide schema --write`"
    )


def test_schema_command_prints_the_schema(capsys):
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert printed == setting_json_schema_text()
    assert json.loads(printed)["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_schema_write_replaces_a_stale_file_and_leaves_a_current_one(tmp_path, capsys):
    target = tmp_path / SCHEMA_FILE_NAME
    target.write_text('{"stale": true}\n')
    assert main(["schema", "--write", "--dir", str(tmp_path)]) == 0
    assert target.read_text("utf-8") == setting_json_schema_text()
    assert capsys.readouterr().out.strip().endswith("schema.json written")
    mtime = target.stat().st_mtime_ns
    assert main(["schema", "--write", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip().endswith("schema.json unchanged")
    assert target.stat().st_mtime_ns == mtime
    assert [p.name for p in tmp_path.iterdir()] == [SCHEMA_FILE_NAME], "no temporary file may be left behind"


def test_schema_write_without_a_settings_folder_is_a_one_line_error(tmp_path, capsys):
    assert main(["schema", "--write", "--dir", str(tmp_path / "missing")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error and "missing" in error


# --- what the YAML language server needs: draft-07, strict ------------------------------


def test_schema_uses_draft_07_features_only():
    schema = setting_json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    assert "$defs" not in json.dumps(schema)
    for path, node in schema_nodes(schema):
        unknown = set(node) - DRAFT_07_KEYWORDS
        assert not unknown, f"{path}: not draft-07: {sorted(unknown)}"
        if "$ref" in node:
            assert set(node) == {"$ref"}, f"{path}: draft-07 ignores keywords beside $ref"
            assert node["$ref"].startswith("#/definitions/"), path
            assert node["$ref"].removeprefix("#/definitions/") in schema["definitions"], path


def test_every_object_rejects_unknown_keys():
    objects = [(path, node) for path, node in schema_nodes(setting_json_schema()) if node.get("type") == "object"]
    # The models, plus the `arguments` and `scheduler_config` of comparisons and of their models.
    assert len(objects) == 4 + len(MODELS)
    for path, node in objects:
        assert node["additionalProperties"] is False, path


def test_constraints_behind_validators_survive():
    # Pydantic drops a chain's later steps and leaks `ge`/`lt`; the converter keeps and renames them.
    comparison = setting_json_schema()["definitions"]["Comparison"]["properties"]
    assert comparison["parameter"]["anyOf"][0]["pattern"] == r"^(scheduler\.)?[A-Za-z_][A-Za-z0-9_]*$"
    assert comparison["seed"]["anyOf"][0] == {"minimum": 0, "exclusiveMaximum": 2**63, "type": "integer"}
    assert setting_json_schema()["properties"]["related"]["items"]["pattern"].startswith("^[a-z0-9]")


def test_every_pattern_is_an_ecmascript_unicode_regex():
    # Editors and check-jsonschema compile patterns as JavaScript regexes in unicode mode.
    patterns = [node["pattern"] for _, node in schema_nodes(setting_json_schema()) if "pattern" in node]
    patterns += [key for _, node in schema_nodes(setting_json_schema()) for key in node.get("patternProperties", {})]
    assert len(patterns) >= 5
    for pattern in patterns:
        regress.Regex(pattern, "u")


def test_every_field_has_a_description():
    for path, node in schema_nodes(setting_json_schema()):
        for name, field in node.get("properties", {}).items():
            assert field.get("description"), f"{path}/properties/{name}: add description= to the model field"


# --- the setting files and an external validator ------------------------------------------


def test_every_setting_file_starts_with_the_modeline():
    files = find_setting_files(ROOT / "settings")
    assert files
    for path in files:
        assert path.read_text("utf-8").splitlines()[0] == MODELINE, f"{path.name}: first line must be {MODELINE!r}"


def test_check_jsonschema_accepts_every_real_setting():
    files = find_setting_files(ROOT / "settings")
    result = check_jsonschema(*files)
    assert result.returncode == 0, result.stdout + result.stderr


GOOD = GOLDEN_SETTING.read_text("utf-8")
BAD = {
    "typo-top-level": (GOOD.replace("\nsummary:", "\nsumary:"), "'sumary' was unexpected"),
    "typo-in-a-range": (GOOD.replace("  - label: Low", "  - lable: Low"), "'lable' was unexpected"),
    "typo-in-comparison": (GOOD.replace("  parameter:", "  parameters:"), "'parameters' was unexpected"),
    "unknown-category": (GOOD.replace("category: sampling", "category: sampler"), "'sampler' is not one of"),
    "http-source": (GOOD.replace("url: https://", "url: http://"), "does not match"),
    "bad-related-slug": (GOOD.replace("related: []", "related: [Guidance Scale]"), "does not match"),
    "one-compared-value": (re.sub(r"values: \[[^\]]*\]", "values: [4]", GOOD), "is too short"),
}


def test_check_jsonschema_and_validate_reject_the_same_mistakes(tmp_path):
    files = []
    for name, (text, _) in BAD.items():
        assert text != GOOD, name
        files.append(tmp_path / f"{name}.yml")
        files[-1].write_text(text, "utf-8")
        with pytest.raises(ValidationError):
            model.Setting.model_validate(read_yaml(text.encode()).data)
    result = check_jsonschema(*files)
    assert result.returncode == 1
    reported: dict[str, str] = {}
    current = None
    for line in result.stdout.splitlines():
        if match := re.match(r"\s+(\S+?)\.yml::", line):
            current = Path(match.group(1)).name
        if current:
            reported[current] = reported.get(current, "") + line + "\n"
    for name, (_, expected) in BAD.items():
        assert expected in reported.get(name, ""), (name, reported.get(name))


def test_the_golden_setting_passes_both_validators(tmp_path):
    path = tmp_path / "inference-steps.yml"
    path.write_text(GOOD, "utf-8")
    assert check_jsonschema(path).returncode == 0
    assert load_settings([path])


# --- the field reference on the Contributing page -----------------------------------------


def reference_tables(markdown: str) -> dict[str, dict[str, list[str]]]:
    """{section anchor or "setting": {field: [type, required, description]}} from the Markdown."""
    tables: dict[str, dict[str, list[str]]] = {}
    section = "setting"
    for line in markdown.splitlines():
        if heading := re.match(r"### .*\{#([a-z-]+)\}$", line):
            section = heading.group(1)
        elif row := re.match(r"\| `(\w+)` \| (.*) \|$", line):
            tables.setdefault(section, {})[row.group(1)] = [cell.strip() for cell in row.group(2).split(" | ")]
    return tables


@pytest.mark.parametrize("model_class", MODELS, ids=lambda cls: cls.__name__)
def test_reference_lists_every_field_with_its_description_and_whether_it_is_required(model_class: type[BaseModel]):
    tables = reference_tables(schema_reference_markdown())
    section = "setting" if model_class is model.Setting else f"schema-{model_class.__name__.lower()}"
    rows = tables[section]
    assert list(rows) == list(model_class.model_fields)
    for name, field in model_class.model_fields.items():
        type_text, required, description = rows[name]
        assert required.startswith("yes" if field.is_required() else "no"), name
        assert description == field.description, name
        assert type_text, name


def test_reference_types_follow_the_models():
    rows = reference_tables(schema_reference_markdown())
    assert rows["setting"]["category"][0] == "one of " + ", ".join(f"`{key}`" for key in model.CATEGORIES)
    assert rows["setting"]["ranges"][0] == "list of [value range](#schema-valuerange) entries"
    assert rows["setting"]["tips"][0] == "list of text, up to 8000 characters (at least 1)"
    assert rows["schema-comparison"]["values"][0].startswith("list of number, text or true/false; or a list of 2 or 3")
    assert rows["schema-comparison"]["task"][1] == "no (default `text-to-image`)"


def test_reference_links_lead_to_its_sections():
    markdown = schema_reference_markdown()
    links = set(re.findall(r"\]\(#([a-z-]+)\)", markdown))
    anchors = set(re.findall(r"\{#([a-z-]+)\}$", markdown, re.MULTILINE))
    assert links and links == anchors


def test_marker_line_is_replaced_and_other_pages_are_untouched():
    page = f"# Contributing\n\n## Every field\n\n{SCHEMA_REFERENCE_MARKER}\n\nMore text.\n"
    result = insert_schema_reference(page)
    assert SCHEMA_REFERENCE_MARKER not in result
    assert result.startswith("# Contributing\n\n## Every field\n\n| Field | Type | Required | What it holds |")
    assert result.endswith("\n\nMore text.\n")
    assert insert_schema_reference("# Other page\n") == "# Other page\n"
    assert SettingsGuidePlugin().on_page_markdown(page, None, None, None) == result


def test_contributing_page_has_the_marker_instead_of_a_hand_written_table():
    page = (ROOT / "docs" / "contributing.md").read_text("utf-8")
    assert page.splitlines().count(SCHEMA_REFERENCE_MARKER) == 1
    assert "| `name` |" not in page


@pytest.mark.parametrize("builder", ["mkdocs", "properdocs"])
def test_built_contributing_page_shows_the_generated_reference(project, builder):
    site = project / "built"
    result = run_tool(builder, "build", "-f", "mkdocs.yml", "--strict", "--site-dir", str(site), cwd=project)
    assert result.returncode == 0, result.stderr
    page = (site / "contributing" / "index.html").read_text("utf-8")
    assert "schema-reference" not in page
    assert re.search(r"<td><code>what_it_does</code></td>\s*<td>text, up to 8000 characters</td>", page)
    for model_class in MODELS[1:]:
        assert f'id="schema-{model_class.__name__.lower()}"' in page


def test_committed_model_file_schema_matches_the_catalogue_model():
    from settings_guide.catalogue.entry import CatalogueModel

    committed = ROOT / "models" / SCHEMA_FILE_NAME
    assert committed.read_text("utf-8") == setting_json_schema_text(CatalogueModel), (
        "models/schema.json is out of date; run `.venv/bin/settings-guide schema --write`"
    )


def test_every_model_file_validates_against_its_schema():
    files = sorted((ROOT / "models").glob("[!_]*.yml"))
    result = check_jsonschema(*files, schema=ROOT / "models" / SCHEMA_FILE_NAME)
    assert result.returncode == 0, result.stdout + result.stderr
