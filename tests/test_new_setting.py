"""`settings-guide new "Display Name"`: a new setting file with every field, refused until its placeholders are replaced."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from settings_guide.cli import main
from settings_guide.errors import ProblemsFound
from settings_guide.settings.json_schema import MODELINE, SCHEMA_FILE_NAME
from settings_guide.settings.load import find_setting_files, load_settings
from settings_guide.settings.model import CATEGORIES, TOOLS, Setting
from settings_guide.settings.scaffold import PLACEHOLDER, scaffold_setting
from settings_guide.settings.yaml_reader import read_yaml
from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import BIN, ROOT, run_tool


def new(project, *args: str) -> int:
    return main(["new", *args, "--dir", str(project / "settings")])


def filled_in(text: str) -> str:
    """The scaffold as a contributor finishes it: every placeholder replaced with real text."""
    text = text.replace(f"{PLACEHOLDER}_pipeline_argument", "num_inference_steps")
    text = text.replace(f"https://example.com/{PLACEHOLDER}", "https://example.com/source")
    text = text.replace(f'value: "{PLACEHOLDER}"', 'value: "20 – 30"')
    return text.replace(f"**{PLACEHOLDER}:** ", "").replace(f"{PLACEHOLDER}: ", "")


def fill_in(path) -> None:
    path.write_text(filled_in(path.read_text("utf-8")), "utf-8")


def placeholder_fields(text: str) -> list[str]:
    """The fields whose value holds the placeholder, as validation names them (``ranges[0].label``)."""
    return [path for path, value in text_leaves(read_yaml(text.encode()).data) if PLACEHOLDER in str(value or "")]


def text_leaves(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from text_leaves(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from text_leaves(item, f"{path}[{index}]")
    else:
        yield path, value


@pytest.mark.parametrize("value_type", ["integer", "number", "choice"])
def test_new_file_has_every_field_and_is_refused_until_each_placeholder_is_replaced(project, capsys, value_type):
    assert new(project, "Guidance Scale", "--category", "guidance", "--value-type", value_type) == 0
    path = project / "settings" / "guidance-scale.yml"
    assert capsys.readouterr().out.startswith(f"wrote {path.as_posix()}: replace every TODO")
    text = path.read_text("utf-8")
    assert text.splitlines()[0] == MODELINE
    data = read_yaml(text.encode()).data
    assert list(data) == list(Setting.model_fields), "every field, in the models' order"
    # A row per tool, Forge and SwarmUI included, in the table's order; each names its tool in its placeholder.
    assert (
        list(data["tools"]) == list(TOOLS) == ["diffusers", "automatic1111", "forge", "comfyui", "swarmui", "invokeai"]
    )
    assert all(f"where {TOOLS[tool]} has" in data["tools"][tool]["absent"] for tool in TOOLS)

    with pytest.raises(ProblemsFound) as refused:
        load_settings(find_setting_files(project / "settings"))
    problems = refused.value.problems
    # One problem per placeholder, naming its field, and nothing else wrong with the file.
    assert [problem.field for problem in problems] == placeholder_fields(text)
    lines = text.splitlines()
    for problem in problems:
        assert problem.file == path.as_posix()
        assert problem.message.startswith("still holds the TODO placeholder of `settings-guide new`; replace it with ")
        # At the placeholder itself (a block of Markdown starts on the line after its `|`).
        assert PLACEHOLDER in "\n".join(lines[problem.line - 1 : problem.line + 1])[problem.column - 1 :], problem

    fill_in(path)
    loaded = load_settings(find_setting_files(project / "settings"))  # with its neighbour's aliases
    setting = next(item.setting for item in loaded if item.slug == "guidance-scale")
    assert (setting.name, setting.category, setting.value_type) == ("Guidance Scale", "guidance", value_type)
    assert setting.comparison and len(setting.comparison.values) >= 2
    assert bool(setting.ranges) == (value_type != "choice") and bool(setting.choices) == (value_type == "choice")


def test_new_file_passes_the_editor_schema(project):
    for index, value_type in enumerate(["integer", "number", "choice"]):
        assert new(project, f"New Setting {index}", "--value-type", value_type) == 0
    shutil.copy2(ROOT / "settings" / SCHEMA_FILE_NAME, project / "settings" / SCHEMA_FILE_NAME)
    files = [project / "settings" / f"new-setting-{index}.yml" for index in range(3)]
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--schemafile", str(project / "settings" / SCHEMA_FILE_NAME), *map(str, files)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("value_type", ["integer", "choice"])
def test_every_placeholder_is_marked(value_type):
    data = read_yaml(scaffold_setting("Guidance Scale", "guidance", value_type).encode()).data
    unmarked = [
        (path, value)
        for path, value in text_leaves(data)
        if isinstance(value, str) and PLACEHOLDER not in value and not value.replace(".", "").isdigit()
    ]
    # Only what the command was told is not a placeholder.
    assert unmarked == [("name", "Guidance Scale"), ("category", "guidance"), ("value_type", value_type)]


def test_one_placeholder_left_is_refused_with_what_to_write_there(tmp_path, monkeypatch, capsys):
    text = filled_in(scaffold_setting("Guidance Scale", "guidance"))
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("summary:"))
    lines[index] = 'summary: "TODO: say what it does"'
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "guidance-scale.yml").write_text("\n".join(lines) + "\n", "utf-8")
    monkeypatch.chdir(tmp_path)

    assert main(["validate", "settings"]) == 1

    assert capsys.readouterr().err.splitlines() == [
        f"settings/guidance-scale.yml:{index + 1}:10: summary: still holds the TODO placeholder of "
        "`settings-guide new`; replace it with one plain sentence for the index card and the page's lead",
        "1 problem in 1 file",
    ]


def test_the_site_builds_a_new_setting_once_its_placeholders_are_replaced(project):
    assert new(project, "Guidance Scale") == 0
    site = project / "built"
    refused = run_tool("mkdocs", "build", "--strict", "--site-dir", str(site), cwd=project)
    assert refused.returncode == 1
    assert "settings/guidance-scale.yml:18:10: summary: still holds the TODO placeholder" in refused.stderr
    assert "Traceback" not in refused.stderr

    fill_in(project / "settings" / "guidance-scale.yml")
    generated = generate_site(ProjectPaths.at(project))
    page = next(page.markdown for page in generated.pages if page.path == "settings/guidance-scale.md")
    assert "The opening paragraph" in page and PLACEHOLDER not in page
    assert "### low (1 – 10)" in page
    assert "Image pending" in page
    index = next(page.markdown for page in generated.pages if page.path == "settings/index.md")
    assert "guidance-scale" in index

    result = run_tool("mkdocs", "build", "--strict", "--site-dir", str(site), cwd=project)
    assert result.returncode == 0, result.stderr
    html = (site / "settings" / "guidance-scale" / "index.html").read_text("utf-8")
    assert "How this setting changes the image" in html


def test_new_refuses_to_overwrite_an_existing_setting(project, capsys):
    assert new(project, "Guidance Scale") == 0
    path = project / "settings" / "guidance-scale.yml"
    path.write_text(path.read_text("utf-8").replace("TODO: low", "Low"), "utf-8")
    edited = path.read_bytes()
    capsys.readouterr()
    assert new(project, "guidance   scale") == 1  # the same file name
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "guidance-scale.yml already exists" in error
    assert path.read_bytes() == edited


def test_new_refuses_an_address_an_alias_already_uses(project, capsys):
    assert new(project, "Sample Steps") == 1  # an alias of inference-steps.yml
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert "/settings/sample-steps/ already forwards to" in error and "inference-steps.yml" in error
    assert not (project / "settings" / "sample-steps.yml").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["   "], "must not be empty"),
        (["!!!"], "needs at least one letter or digit"),
        (["x" * 81], "is 81 characters long; the most is 80"),
        (["Two\nLines"], "must be a single line"),
        (["Fine Name", "--category", "sampler"], f"choose one of: {', '.join(CATEGORIES)}"),
        (["Fine Name", "--value-type", "float"], "choose one of: integer, number, choice"),
    ],
)
def test_bad_input_is_a_one_line_error_and_writes_nothing(project, capsys, args, message):
    before = sorted(p.name for p in (project / "settings").iterdir())
    assert new(project, *args) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error and "Traceback" not in error
    assert sorted(p.name for p in (project / "settings").iterdir()) == before


def test_names_with_yaml_syntax_survive_exactly(project):
    name = 'CFG: "scale" #1 – φ'
    assert new(project, name) == 0
    fill_in(project / "settings" / "cfg-scale-1.yml")
    loaded = load_settings([project / "settings" / "cfg-scale-1.yml"])
    assert loaded[0].setting.name == name


def test_new_from_the_command_line(project):
    result = run_tool("settings-guide", "new", "Eta", "--value-type", "number", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote settings/eta.yml")
    refused = run_tool("settings-guide", "validate", cwd=project)
    assert refused.returncode == 1
    listed = [line for line in refused.stderr.splitlines() if line.startswith("settings/eta.yml:")]
    expected = placeholder_fields((project / "settings" / "eta.yml").read_text("utf-8"))
    assert [line.split(": ")[1] for line in listed] == expected
    assert refused.stderr.splitlines()[-1] == f"{len(expected)} problems in 1 file"
    fill_in(project / "settings" / "eta.yml")
    assert run_tool("settings-guide", "validate", cwd=project).returncode == 0
