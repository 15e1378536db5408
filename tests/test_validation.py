"""Validation: every kind of bad input gets one precise line, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings_guide.errors import ProblemsFound
from settings_guide.settings.load import load_settings
from settings_guide.settings.yaml_reader import MAX_FILE_BYTES

from .conftest import ROOT, minimal_setting, run_tool

GOOD = minimal_setting()


def problems_for(tmp_path: Path, files: dict[str, bytes | str]) -> list[str]:
    paths = []
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        paths.append(path)
    with pytest.raises(ProblemsFound) as caught:
        load_settings(paths)
    return [str(problem).replace(f"{tmp_path.as_posix()}/", "") for problem in caught.value.problems]


def replace_line(text: str, startswith: str, new: str) -> str:
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(startswith))
    lines[index] = new
    return "\n".join(lines) + "\n"


def test_the_real_settings_are_valid():
    loaded = load_settings(sorted((ROOT / "settings").glob("[!_]*.yml")))
    assert "inference-steps" in {item.slug for item in loaded}


def test_minimal_setting_is_valid(tmp_path):
    path = tmp_path / "example.yml"
    path.write_text(GOOD)
    [item] = load_settings([path])
    assert item.setting.ranges[1].max == 50
    assert item.setting.comparison.values == [4, 25]


# (description, file content, expected "line:col: field: message" pattern)
BAD_FILES = [
    (
        "syntax error",
        GOOD.replace("summary: A short summary.", "summary: [unclosed"),
        r"^x\.yml:5:10: the \[ opened here is not closed",  # where it opens, not where YAML gave up
    ),
    ("duplicate key", GOOD + "name: Again\n", r"^x\.yml:48:1: duplicate key 'name' \(first set on line 2\)"),
    (
        "tab indentation",
        GOOD.replace("  - label: Low", "\t- label: Low"),
        r"^x\.yml:10:1: tab character in indentation",
    ),
    ("empty file", "", r"^x\.yml:1:1: file is empty"),
    ("only a comment", "# nothing here\n", r"^x\.yml:1:1: file is empty"),
    ("list instead of mapping", "- name: A\n- name: B\n", r"^x\.yml:1:1: expected a mapping .* found a list"),
    ("scalar instead of mapping", "just text\n", r"^x\.yml:1:1: expected a mapping .* found a single value"),
    (
        "invalid UTF-8",
        GOOD.replace("A short summary.", "A short \udcff.").encode("utf-8", "surrogateescape"),
        r"^x\.yml:5:18: not valid UTF-8 \(byte 0xff\)",
    ),
    (
        "python object tag",
        GOOD.replace("summary: A short summary.", "summary: !!python/object/apply:os.system [ls]"),
        r"^x\.yml:5:10: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
    (
        "custom tag",
        GOOD.replace("intro: An intro paragraph.", "intro: !include other.yml"),
        r"^x\.yml:6:8: YAML tag '!include' is not allowed",
    ),
    (
        "alias bomb",
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
        r"^x\.yml:1:4: YAML anchors and aliases .* are not allowed",
    ),
    ("very large file", GOOD + "# " + "x" * MAX_FILE_BYTES + "\n", r"^x\.yml:1:1: file is [\d,]+ bytes"),
    ("two documents", GOOD + "---\nname: second\n", r"^x\.yml:48:1: YAML syntax error: expected a single document"),
    (
        "unknown key",
        GOOD.replace("summary:", "sumary:"),
        r"^x\.yml:5:1: sumary: unknown field 'sumary'; did you mean 'summary'\?",
    ),
    ("missing field", replace_line(GOOD, "intro:", ""), r"^x\.yml:\d+:\d+: intro: this field is required"),
    (
        "wrong category",
        GOOD.replace("category: sampling", "category: samplng"),
        r"^x\.yml:4:11: category: unknown category 'samplng'; did you mean 'sampling'\?",
    ),
    (
        "text where a list belongs",
        GOOD.replace("aliases: [example_alias]", "aliases: example_alias"),
        r"^x\.yml:3:10: aliases: input should be a valid list, got 'example_alias'",
    ),
    (
        "number field given text",
        GOOD.replace("    max: 10", "    max: ten"),
        r"^x\.yml:12:10: ranges\[0\]\.max: expected a number, got 'ten'",
    ),
    (
        "float in an integer setting",
        GOOD.replace("    max: 10", "    max: 10.5"),
        r"^x\.yml:12:10: ranges\[0\]\.max: expected a whole number because value_type is 'integer'",
    ),
    (
        "min above max",
        GOOD.replace("    min: 20", "    min: 60"),
        r"^x\.yml:16:10: ranges\[1\]\.max: max \(50\) is smaller",
    ),
    (
        "overlapping ranges",
        GOOD.replace("    min: 20", "    min: 5"),
        r"^x\.yml:15:10: ranges\[1\]\.min: range 'High' starts at 5, inside the previous range 'Low'",
    ),
    (
        "comparison value outside ranges",
        GOOD.replace("values: [4, 25]", "values: [4, 500]"),
        r"^x\.yml:20:15: comparison\.values\[1\]: 500 lies outside the declared ranges \(1 – 50\)",
    ),
    (
        "raw HTML in prose",
        GOOD.replace("intro: An intro paragraph.", "intro: Hi <script>alert(1)</script>"),
        r"^x\.yml:6:8: intro: raw HTML is not allowed",
    ),
    (
        "javascript link in prose",
        GOOD.replace("  - A tip.", "  - '[click](javascript:alert(1))'"),
        r"^x\.yml:22:5: tips\[0\]: link target 'javascript:alert\(1' uses 'javascript:'",
    ),
    (
        "newline in a name",
        GOOD.replace("name: Example Setting", 'name: "Two\\nlines"'),
        r"^x\.yml:2:7: name: must be a single line of plain text",
    ),
    (
        "source link not https",
        GOOD.replace("    url: https://example.com/a", "    url: 'http://example.com'"),
        r"^x\.yml:47:10: sources\[0\]\.url: must be an https:// link",
    ),
]


@pytest.mark.parametrize("content,expected", [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_bad_input_names_file_line_and_column(tmp_path, content, expected):
    problems = problems_for(tmp_path, {"x.yml": content})
    assert any(re.search(expected, problem) for problem in problems), problems


@pytest.mark.parametrize("text", ["no", "on", "yes", "off", "1e3", "0x1F", "12:30", "2024-01-01", "~x", "true"])
def test_yaml_1_1_words_stay_text_in_text_fields(tmp_path, text):
    path = tmp_path / "example.yml"
    path.write_text(GOOD.replace("name: Example Setting", f"name: {text}").replace("- A tip.", f"- {text}"))
    [item] = load_settings([path])
    assert item.setting.name == text
    assert item.setting.tips == [text]


def test_quoted_number_is_not_a_number(tmp_path):
    problems = problems_for(tmp_path, {"x.yml": GOOD.replace("    max: 10", '    max: "10"')})
    assert any("ranges[0].max: expected a number, got '10'" in problem for problem in problems)


def test_cross_file_rules(tmp_path):
    problems = problems_for(
        tmp_path,
        {
            "first.yml": minimal_setting("First", "shared_name"),
            "second.yml": minimal_setting("Second", "Shared Name") + "related: [frist]\n",
        },
    )
    assert any(
        re.search(r"^second\.yml:3:11: aliases\[0\]: alias 'Shared Name' already belongs to first\.yml", p)
        for p in problems
    ), problems
    assert any(
        re.search(r"^second\.yml:48:11: related\[0\]: no setting has the slug 'frist'; did you mean 'first'\?", p)
        for p in problems
    ), problems


def test_alias_may_not_take_another_settings_name(tmp_path):
    problems = problems_for(
        tmp_path, {"first.yml": minimal_setting("First", "a1"), "second.yml": minimal_setting("Second", "first")}
    )
    assert any("second.yml:3:11: aliases[0]: alias 'first' already belongs to first.yml" in p for p in problems)


def test_file_name_must_be_a_slug(tmp_path):
    problems = problems_for(tmp_path, {"Bad Name.yml": GOOD})
    assert any("must be a slug" in problem for problem in problems)


def test_cli_reports_every_problem_of_every_file_in_one_run(tmp_path):
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "good.yml").write_text(GOOD)
    (settings / "one.yml").write_text(minimal_setting("One", "one_alias").replace("sampling", "nope"))
    (settings / "two.yml").write_text("- a list\n")
    (settings / "three.yml").write_bytes(b"name: \xff\n")
    result = run_tool("settings-guide", "validate", "settings", cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert any(line.startswith("settings/one.yml:4:11: category: unknown category 'nope'") for line in lines)
    assert any(line.startswith("settings/two.yml:1:1: expected a mapping") for line in lines)
    assert any(line.startswith("settings/three.yml:1:7: not valid UTF-8") for line in lines)
    assert lines[-1] == "3 problems in 3 files"
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_exit_zero_on_valid_files(tmp_path):
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "good.yml").write_text(GOOD)
    result = run_tool("settings-guide", "validate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 setting file valid" in result.stdout


def test_cli_prints_github_annotations_on_actions(tmp_path):
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "bad.yml").write_text(GOOD.replace("summary:", "sumary:"))
    result = run_tool("settings-guide", "validate", cwd=tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert result.returncode == 1
    assert (
        "::error file=settings/bad.yml,line=5,col=1::sumary: unknown field 'sumary'; did you mean 'summary'?"
        in result.stdout.splitlines()[1]
    )
    plain = run_tool("settings-guide", "validate", cwd=tmp_path, env={"GITHUB_ACTIONS": ""})
    assert "::error" not in plain.stdout


def test_cli_validates_named_files_with_their_neighbours(tmp_path):
    settings = tmp_path / "settings"
    settings.mkdir()
    (settings / "first.yml").write_text(minimal_setting("First", "a1"))
    (settings / "second.yml").write_text(minimal_setting("Second", "a2") + "related: [first]\n")
    result = run_tool("settings-guide", "validate", "settings/second.yml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_comparison_with_its_own_model_must_name_the_pipeline(tmp_path):
    text = GOOD.replace("  values: [4, 25]", "  values: [4, 25]\n  model: black-forest-labs/FLUX.1-dev")
    problems = problems_for(tmp_path, {"x.yml": text})
    assert any(
        p.startswith("x.yml:21:10: comparison.model: a comparison that sets `model` must also set `pipeline`")
        for p in problems
    ), problems


@pytest.mark.parametrize(
    "description, change, expected",
    [
        (
            "tool name missing from aliases",
            ("- name: example_alias", "- name: num_inference_steps"),
            r"^x\.yml:26:15: tools\.diffusers\.places\[0\]\.name: 'num_inference_steps' is not among the `aliases`",
        ),
        (
            "row cites a source the page does not list",
            (
                '  automatic1111:\n    absent: Not in this tool.\n    sources: ["https://example.com/a"]',
                '  automatic1111:\n    absent: Not in this tool.\n    sources: ["https://example.com/b"]',
            ),
            r"^x\.yml:\d+:\d+: tools\.automatic1111\.sources\[0\]: https://example\.com/b is not among the page's `sources`",
        ),
        (
            "row neither has places nor says absent",
            ("  comfyui:\n    absent: Not in this tool.\n", "  comfyui:\n"),
            r"^x\.yml:\d+:\d+: tools\.comfyui: list where the tool has the setting under `places`, or say under `absent`",
        ),
        (
            "a missing tool row",
            ('  invokeai:\n    absent: Not in this tool.\n    sources: ["https://example.com/a"]\n', ""),
            r"^x\.yml:\d+:\d+: tools\.invokeai: this field is required",
        ),
        (
            "Forge, AUTOMATIC1111's fork, has a row of its own",
            ('  forge:\n    absent: Not in this tool.\n    sources: ["https://example.com/a"]\n', ""),
            r"^x\.yml:\d+:\d+: tools\.forge: this field is required",
        ),
        (
            "SwarmUI writes no infotext",
            (
                "  swarmui:\n    absent: Not in this tool.\n",
                "  swarmui:\n    places:\n      - name: example_alias\n        infotext: example_alias\n",
            ),
            r"^x\.yml:\d+:\d+: tools\.swarmui\.places\[0\]\.infotext: only AUTOMATIC1111 and Forge write infotext",
        ),
        (
            "ComfyUI place without its node",
            ("  comfyui:\n    absent: Not in this tool.\n", "  comfyui:\n    places:\n      - name: example_alias\n"),
            r"^x\.yml:\d+:\d+: tools\.comfyui\.places\[0\]: a ComfyUI place needs `where`",
        ),
        (
            "unknown key in a place",
            ("        defaults:\n", "        default:\n"),
            r"^x\.yml:\d+:\d+: tools\.diffusers\.places\[0\]\.default: unknown field 'default'; did you mean 'defaults'\?",
        ),
    ],
)
def test_tool_table_problems_name_file_line_and_column(tmp_path, description, change, expected):
    old, new = change
    assert old in GOOD, description
    problems = problems_for(tmp_path, {"x.yml": GOOD.replace(old, new, 1)})
    assert any(re.search(expected, problem) for problem in problems), problems


COMPARISON = "comparison:\n  parameter: num_inference_steps\n  values: [4, 25]\n"


def with_comparison(block: str) -> str:
    """GOOD with its comparison block replaced (``block`` starts at `comparison:`, lines 18 on)."""
    return GOOD.replace(COMPARISON, block)


LORA = (
    "  adapter:\n    kind: lora\n    name: pixel-art\n    model: nerijs/pixel-art-xl\n"
    "    revision: 0123456789abcdef0123456789abcdef01234567\n"
)


@pytest.mark.parametrize(
    "description, block, expected",
    [
        (
            "hires fix without its upscale",
            "comparison:\n  parameter: strength\n  values: [4, 25]\n  recipe:\n    kind: hires-fix\n",
            r"^x\.yml:22:5: comparison\.recipe: the hires fix enlarges its first image: set `upscale`",
        ),
        (
            "refiner recipe comparing another argument",
            "comparison:\n  parameter: strength\n  values: [4, 25]\n  recipe:\n    kind: refiner\n    refiner: r\n",
            r"^x\.yml:19:14: comparison\.parameter: the refiner recipe compares `denoising_end`",
        ),
        (
            "unknown recipe kind",
            "comparison:\n  parameter: strength\n  values: [4, 25]\n  recipe:\n    kind: hiresfix\n",
            r"^x\.yml:22:11: comparison\.recipe\.kind: .*'hires-fix', 'refiner' or 'inpainting'",
        ),
        (
            "LoRA without its weight file",
            "comparison:\n  parameter: lora_scale\n  values: [4, 25]\n" + LORA,
            r"^x\.yml:22:5: comparison\.adapter: a lora adapter names its weight file",
        ),
        (
            "lora_scale without a LoRA",
            "comparison:\n  parameter: lora_scale\n  values: [4, 25]\n",
            r"^x\.yml:19:14: comparison\.parameter: `lora_scale` needs an `adapter` of kind lora",
        ),
        (
            "ControlNet field on a LoRA",
            "comparison:\n  parameter: lora_scale\n  values: [4, 25]\n"
            + LORA
            + "    weight_name: a.safetensors\n    control: canny\n",
            r"^x\.yml:27:14: comparison\.adapter\.control: `control` is for ControlNet adapters",
        ),
        (
            "pair value for two arguments with one item",
            "comparison:\n  parameter: [original_size, crops_coords_top_left]\n  values: [[[8, 8], [0, 0]], [[8, 8]]]\n",
            r"^x\.yml:20:30: comparison\.values\[1\]: a list value holds 2 or 3 items: a pair, or one item per",
        ),
        (
            "three arguments, two items",
            "comparison:\n  parameter: [original_size, target_size, crops_coords_top_left]\n"
            "  values: [[[8, 8], [8, 8], [0, 0]], [[8, 8], [0, 0]]]\n",
            r"^x\.yml:20:38: comparison\.values\[1\]: compare original_size and target_size and crops_coords_top_left",
        ),
        (
            "a pair of three numbers",
            "comparison:\n  parameter: original_size\n  values: [[8, 8], [8, 8, 8, [1]]]\n",
            r"^x\.yml:20:20: comparison\.values\[1\]: a list value holds 2 or 3 items",
        ),
        (
            "unknown output format",
            "comparison:\n  parameter: format\n  measure: output-format\n  values: [png, jpg-90]\n",
            r"^x\.yml:21:17: comparison\.values\[1\]: .*did you mean 'jpeg-90'",
        ),
        (
            "a dtype that does not exist",
            "comparison:\n  parameter: dtype\n  values: [fp32, fp8]\n",
            r"^x\.yml:20:18: comparison\.values\[1\]: a dtype is one of fp32, bf16, fp16",
        ),
        (
            "format compared without the measurement",
            "comparison:\n  parameter: format\n  values: [png, webp-80]\n",
            r"^x\.yml:19:14: comparison\.parameter: `format` is compared by a measurement: add `measure: output-format`",
        ),
    ],
)
def test_recipe_adapter_and_pair_problems_name_file_line_and_column(tmp_path, description, block, expected):
    problems = problems_for(tmp_path, {"x.yml": with_comparison(block)})
    assert any(re.match(expected, problem) for problem in problems), (description, problems)


def test_a_well_formed_recipe_adapter_and_pair_comparison_is_valid(tmp_path):
    path = tmp_path / "x.yml"
    path.write_text(
        with_comparison(
            "comparison:\n  parameter: [control_guidance_start, control_guidance_end]\n"
            "  values: [[0.0, 1.0], [0.0, 0.5]]\n  adapter:\n    kind: controlnet\n    name: canny\n"
            "    model: diffusers/controlnet-canny-sdxl-1.0\n"
            "    revision: 0123456789abcdef0123456789abcdef01234567\n    control: canny\n"
        )
    )
    (item,) = load_settings([path])
    assert item.setting.comparison.names == ("control_guidance_start", "control_guidance_end")
    assert item.setting.comparison.adapter.control == "canny"
