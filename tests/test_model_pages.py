"""The model catalogue and what is built from it: a page per model (golden for one), every recommendation for
a model on that model's page, the cheat sheet, the open-data JSON against its schema and the pages, and a
model key or model file mistake refused at file:line:col."""

from __future__ import annotations

import difflib
import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest

from settings_guide.markdown_safety import escape_plain_text
from settings_guide.pages.dataset import MODELS_FILE, MODELS_SCHEMA, SETTINGS_FILE, SETTINGS_SCHEMA
from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import ROOT, minimal_setting, run_tool

GOLDEN = Path(__file__).parent / "golden" / "models"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
GOLDEN_MODEL = "z-image-turbo"


@pytest.fixture(scope="module")
def site():
    return generate_site(ProjectPaths.at(ROOT))


def _pages(site) -> dict[str, str]:
    return {page.path: page.markdown for page in site.pages}


def test_one_model_page_reads_as_its_golden_file(site):
    markdown = _pages(site)[f"models/{GOLDEN_MODEL}.md"]
    golden = GOLDEN / f"{GOLDEN_MODEL}.md"
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(markdown, "utf-8")
    diff = "".join(difflib.unified_diff(golden.read_text("utf-8").splitlines(True), markdown.splitlines(True)))
    assert markdown == golden.read_text("utf-8"), f"the model page changed (UPDATE_GOLDEN=1 if it should):\n{diff}"


def test_every_recommendation_for_a_model_is_on_that_models_page_and_the_cheat_sheet(site):
    pages = _pages(site)
    rows = 0
    for item in site.settings:
        for row in item.setting.recommendations:
            for key in row.models:
                page = pages[f"models/{key}.md"]
                line = f"| [{escape_plain_text(item.setting.name)}](../settings/{item.slug}.md) | "
                assert f"{line}{escape_plain_text(row.value)} |" in page, (key, item.slug, row.value)
                rows += 1
            if row.models:
                assert escape_plain_text(row.value) in pages["cheat-sheet.md"], (item.slug, row.value)
    assert rows >= 80  # the catalogue's pages name models in this many rows; a loader that dropped them fails


def test_a_model_page_links_each_comparison_tab_it_has_images_in(site):
    page = _pages(site)["models/z-image-turbo.md"]
    assert "(../settings/inference-steps.md#model-z-image-turbo)" in page
    assert "(../settings/timestep-shift.md#model-z-image-turbo)" in page
    # A setting that does nothing on the model says why instead of linking to identical images.
    assert "## Settings That Do Nothing on It" in page and "[Negative Prompt](../settings/negative-prompt.md):" in page
    steps = _pages(site)["settings/inference-steps.md"]
    assert '<span class="sg-tab-anchor" id="model-z-image-turbo"></span>' in steps  # where the link lands
    assert 'ZImagePipeline.from_pretrained(\n        "Tongyi-MAI/Z-Image-Turbo", revision="f332072a' in page


def test_the_open_data_validates_against_its_schema_and_agrees_with_the_pages(site):
    files = dict(site.generated_files)
    settings, models = json.loads(files[SETTINGS_FILE]), json.loads(files[MODELS_FILE])
    jsonschema.validate(settings, json.loads(files[SETTINGS_SCHEMA]))
    jsonschema.validate(models, json.loads(files[MODELS_SCHEMA]))
    pages = _pages(site)
    assert [s["key"] for s in settings["settings"]] == [item.slug for item in site.settings]
    for data in settings["settings"]:
        page = pages[f"settings/{data['key']}.md"]
        assert f"title: {json.dumps(data['name'])}" in page
        assert all(image["url"] in page for image in data["images"])
        assert all(f"{escape_plain_text(row['value'])}" in page for row in data["recommendations"])
    for data in models["models"]:
        page = pages[f"models/{data['key']}.md"]
        assert f"title: {json.dumps(data['name'])}" in page
        for row in data["recommended"]:
            assert f"(../settings/{row['setting']}.md) | {escape_plain_text(row['value'])} |" in page
    # A tool author reads the names per tool: the Guidance Scale row of ComfyUI names its node input.
    guidance = next(s for s in settings["settings"] if s["key"] == "guidance-scale")
    assert any(place.get("name") == "cfg" for place in guidance["tools"]["comfyui"]["places"])


def test_the_schema_refuses_what_a_reader_could_not_use(site):
    files = dict(site.generated_files)
    models = json.loads(files[MODELS_FILE])
    broken = {**models, "models": [{**models["models"][0], "gated": "yes"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, json.loads(files[MODELS_SCHEMA]))


def _project(tmp_path: Path, rows: str) -> Path:
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "example.yml").write_text(minimal_setting() + rows)
    shutil.copytree(ROOT / "models", tmp_path / "models")
    return tmp_path


def test_a_recommendation_naming_an_unknown_model_is_refused_at_its_line(tmp_path):
    rows = "recommendations:\n  - model: Z-Image-Turbo\n    value: '8'\n    models: [z-image-turb]\n"
    project = _project(tmp_path, rows)

    result = run_tool("settings-guide", "validate", cwd=project)

    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = (minimal_setting() + rows).splitlines().index("    models: [z-image-turb]") + 1
    (problem,) = result.stderr.splitlines()[:-1]
    assert problem.startswith(f"settings/example.yml:{line}:14: recommendations[0].models[0]: no model 'z-image-turb'")
    assert problem.endswith("did you mean 'z-image-turbo'?")


def test_a_model_file_with_an_unknown_field_is_refused_at_its_line(tmp_path):
    project = _project(tmp_path, "")
    text = (project / "models" / "sdxl.yml").read_text("utf-8").replace("\nfamily:", "\nfamliy:")
    (project / "models" / "sdxl.yml").write_text(text)

    result = run_tool("settings-guide", "validate", cwd=project)

    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = text.splitlines().index(next(row for row in text.splitlines() if row.startswith("famliy:"))) + 1
    assert f"models/sdxl.yml:{line}:1: famliy: unknown field 'famliy'; did you mean 'family'?" in result.stderr
