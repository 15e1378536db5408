"""The quantization measurement on the tiny SDXL: each value loads the model afresh with its UNet quantized by
diffusers' torchao backend; a CUDA-only value gets a labelled slot on the CPU instead of failing the run; the
Reproduce code loads the same way and makes the same bytes; a missing backend is one clear line per image."""

from __future__ import annotations

import sys
from pathlib import Path

from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import TEST_DEVICE, defaults_yaml, images, make_project, manifest, run_figures, setting_yaml
from .page_code import model_blocks, run_block

ROOT = Path(__file__).resolve().parents[2]

QUANTIZED = setting_yaml(
    "Quantized",
    """
    parameter: quantization
    values: [none, int8-weight-only, int4-weight-only]
    measure: quantization
    """,
    value_type="choice",
)


def _page(project: Path):
    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    return next(page for page in site.pages if page.path == "settings/quantized.md")


def test_each_quantization_loads_its_own_model_and_reproduces(tmp_path, hub_cache, monkeypatch):
    project = make_project(tmp_path / "p", {"quantized": QUANTIZED}, defaults=defaults_yaml(dtype="fp32"))

    result = run_figures(project)

    assert result.code == 0, result.err
    made = {entry["value"]: entry for entry in manifest(project).values() if entry["role"] == "comparison"}
    assert set(made) == {"none", "int8-weight-only", "int4-weight-only"}
    assert made["int8-weight-only"]["quantized_component"] == "unet" and "quantized_component" not in made["none"]
    files = images(project)
    assert files[made["none"]["file"]] != files[made["int8-weight-only"]["file"]]  # 8-bit weights change pixels
    assert all(entry["seconds"] > 0 for value, entry in made.items() if value != "int4-weight-only")
    page = _page(project)
    if TEST_DEVICE != "cuda":  # torchao's 4-bit kernels are CUDA's: a labelled slot, not a failed run
        assert made["int4-weight-only"]["result"] == "needs-cuda" and made["int4-weight-only"]["file"] not in files
        assert "Needs a CUDA GPU" in page.markdown and "kernels run on CUDA only" in page.markdown
    (block,) = model_blocks(page.markdown, project)
    code = "\n".join(block.images)
    assert (
        "quantization_config=PipelineQuantizationConfig(quant_mapping={'unet': TorchAoConfig(Int8WeightOnlyConfig())})"
        in code
    )
    monkeypatch.chdir(tmp_path)
    reproduced = run_block(block)
    assert len(reproduced) == len([entry for entry in made.values() if "result" not in entry])
    assert all(image.made == image.shown for image in reproduced)


def test_a_quantization_without_its_backend_says_what_to_install(tmp_path, hub_cache, monkeypatch):
    for name in [name for name in sys.modules if name == "torchao" or name.startswith("torchao.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "torchao", None)  # as if it were not installed: importing it fails
    only_int8 = QUANTIZED.replace("[none, int8-weight-only, int4-weight-only]", "[none, int8-weight-only]")
    project = make_project(tmp_path / "p", {"quantized": only_int8}, defaults=defaults_yaml(dtype="fp32"))

    result = run_figures(project)

    assert result.code != 0 and "Traceback" not in result.err
    assert "needs the torchao package, which is not installed: pip install torchao" in result.err + result.out
    made = {entry["value"] for entry in manifest(project).values() if entry["role"] == "comparison"}
    assert made == {"none"}  # the plain image is still made


def test_an_unknown_quantization_is_refused_at_its_line(tmp_path):
    typo = QUANTIZED.replace("int8-weight-only,", "int8,")
    project = make_project(tmp_path / "p", {"quantized": typo}, defaults=defaults_yaml(dtype="fp32"))

    result = run_figures(project, "--dry-run")

    assert result.code != 0
    line = next(i for i, text in enumerate(typo.splitlines(), 1) if "int8," in text)
    assert (
        f"settings/quantized.yml:{line}:" in result.err
        and "a quantization is one of none, int8-weight-only" in result.err
    )
