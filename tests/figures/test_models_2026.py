"""2026's models beside 2023-24's: their profiles (pinned, licensed, sized), sizes their pipelines take,
tabs that say a setting does nothing instead of showing identical images, and the pages that name them."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from settings_guide.figures.profiles import COMMIT, load_defaults
from settings_guide.site.pages import ProjectPaths, generate_site

from .conftest import FLUX_PROFILE, defaults_yaml, make_project, run_figures, setting_yaml
from .tiny_models import HUB_MODELS
from .tiny_models_2026 import BUILDERS

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = load_defaults(ROOT / "figures" / "defaults.yml").values
NEW = ("z-image-turbo", "flux2-klein-4b", "qwen-image", "krea2-turbo", "flux2-dev", "chroma1-hd")


def model_tab(page: str, label: str) -> str:
    """The HTML of one model's tab on a page (tabs are labels, then one block per label, in order)."""
    labels = re.findall(r'<label for="sg-model-[^"]+">([^<]*)</label>', page)
    assert label in labels, (label, labels)
    return page.split('<div class="tabbed-block">')[1:][labels.index(label)]


def catalogue(tmp_path: Path) -> Path:
    project = tmp_path / "catalogue"
    shutil.copytree(ROOT / "settings", project / "settings")
    (project / "figures").mkdir()
    shutil.copy(ROOT / "figures" / "defaults.yml", project / "figures" / "defaults.yml")
    return project


def test_every_profile_is_pinned_licensed_sized_and_has_a_tiny_stand_in():
    assert set(NEW) <= set(DEFAULTS.models)
    for name, profile in DEFAULTS.models.items():
        assert COMMIT.fullmatch(profile.revision), name
        assert profile.licence and str(profile.licence_url).startswith("https://"), name
        assert profile.published is not None and profile.published.download_gb > 0, name
        if name in NEW:
            assert profile.size_multiple == 16 and profile.width % 16 == 0 == profile.height % 16, name
    # Each new family's stand-in is laid out at the very commit its profile pins.
    assert set(NEW) <= set(BUILDERS) and all(HUB_MODELS[name][1] == DEFAULTS.models[name].revision for name in NEW)


def test_the_dry_run_names_licence_gating_and_the_offload_an_80_gb_card_needs(tmp_path):
    dry = run_figures(catalogue(tmp_path), "--dry-run", device="cuda")

    assert dry.code == 0, dry.err
    lines = {
        line.split(" (", 1)[0]: line for line in dry.out.splitlines() if re.match(r"\S.* \(\S+ @ [0-9a-f]{12}\)", line)
    }
    for name in NEW:
        profile = DEFAULTS.models[name]
        line = lines[profile.label]
        assert f"@ {profile.revision[:12]}" in line and re.search(r": [1-9]\d* images", line), line
        assert f"licence {profile.licence}" in line
        assert ("gated: HF_TOKEN" in line) == profile.gated, line
    # 112 GB of bf16 weights cannot sit whole on an 80 GB card: the plan says so before any file is here.
    assert "on an 80 GB GPU in bf16: needs model offload" in lines["FLUX.2 [dev]"]
    assert "on an 80 GB GPU in bf16: fits whole" in lines["FLUX.2 [klein] 4B"]


# --- sizes ---------------------------------------------------------------------------------------

SIXTEEN = FLUX_PROFILE + "  size_multiple: 16\n"


def test_a_size_the_pipeline_would_resize_is_refused_at_its_line_with_the_sizes_it_takes(tmp_path):
    widths = setting_yaml(
        "Widths",
        "parameter: width\nmodels:\n  - profile: flux-schnell\n    values: [32, 40]\n  - profile: sdxl\n    values: [32, 40]",
    )
    project = make_project(tmp_path / "p", {"widths": widths}, defaults=defaults_yaml(profiles=SIXTEEN))

    result = run_figures(project, "--dry-run")

    assert result.code != 0
    (problem,) = [line for line in result.err.splitlines() if "multiple of 16" in line]
    line = widths.splitlines().index("      values: [32, 40]") + 1
    assert f"settings/widths.yml:{line}:" in problem
    assert "FLUX.1 [schnell] (FluxPipeline) needs" in problem and "use 32 or 48" in problem
    # SDXL takes multiples of 8: its 40 is fine.
    assert "SDXL" not in result.err


def test_a_profile_whose_own_size_its_pipeline_would_resize_is_refused(tmp_path):
    bad = SIXTEEN.replace("  width: 32\n", "  width: 40\n")
    project = make_project(tmp_path / "p", defaults=defaults_yaml(profiles=bad))

    result = run_figures(project, "--dry-run")

    assert result.code != 0
    line = defaults_yaml(profiles=bad).splitlines().index("    width: 40") + 1
    assert f"figures/defaults.yml:{line}:" in result.err and "use 32 or 48" in result.err


def test_size_must_suit_every_model_it_shrinks(tmp_path):
    steps = setting_yaml("Steps", "parameter: num_inference_steps\nvalues: [1, 2]\nmodels: [flux-schnell]")
    project = make_project(tmp_path / "p", {"steps": steps}, defaults=defaults_yaml(profiles=SIXTEEN))

    refused = run_figures(project, "--dry-run", "--size", "40x40")
    fine = run_figures(project, "--dry-run", "--size", "48x48")

    assert (
        refused.code != 0
        and "--size 40x40: FLUX.1 [schnell] (FluxPipeline) takes sizes in multiples of 16" in refused.err
    )
    assert "use --size 48x48" in refused.err or "use --size 32x32" in refused.err
    assert fine.code == 0, fine.err


# --- a setting that does nothing on a model ------------------------------------------------------

NO_EFFECT = setting_yaml(
    "Negative",
    """
    parameter: guidance_scale
    values: [1.0, 5.0]
    models:
      - sdxl
      - profile: flux-schnell
        no_effect: The schnell model was distilled to run *without* guidance.
    """,
    value_type="number",
)


def test_a_model_the_setting_does_nothing_on_gets_a_tab_saying_why_and_no_images(tmp_path):
    project = make_project(tmp_path / "p", {"negative": NO_EFFECT}, defaults=defaults_yaml(profiles=FLUX_PROFILE))

    dry = run_figures(project, "--dry-run")
    site = generate_site(ProjectPaths.at(project, templates=str(ROOT / "templates")))
    (page,) = [page.markdown for page in site.pages if page.path == "settings/negative.md"]

    assert dry.code == 0, dry.err
    assert "negative/sdxl/" in dry.out and "flux-schnell" not in dry.out
    tab = model_tab(page, "FLUX.1 [schnell]")
    assert "No effect on FLUX.1 [schnell]" in tab and "distilled to run <em>without</em> guidance" in tab
    assert "sg-figure" not in tab and "sg-figure" in model_tab(page, "SDXL")


def test_no_effect_beside_values_is_refused_at_the_values_line(tmp_path):
    both = NO_EFFECT.replace("      no_effect:", "      values: [1.0, 2.0]\n      no_effect:")
    assert both != NO_EFFECT
    project = make_project(tmp_path / "p", {"negative": both}, defaults=defaults_yaml(profiles=FLUX_PROFILE))

    result = run_figures(project, "--dry-run")

    assert result.code != 0
    line = both.splitlines().index("      values: [1.0, 2.0]") + 1
    assert f"settings/negative.yml:{line}:" in result.err and "has no use beside `no_effect`" in result.err


# --- the catalogue's pages -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    site = generate_site(ProjectPaths.at(ROOT))
    return {page.path: page.markdown for page in site.pages}


@pytest.mark.parametrize(
    ("slug", "models"),
    [
        ("inference-steps", NEW),
        ("guidance-scale", NEW),
        ("negative-prompt", ("z-image-turbo", "flux2-klein-4b", "qwen-image", "krea2-turbo", "chroma1-hd")),
        ("seed", ("z-image-turbo", "flux2-klein-4b")),
        ("true-cfg-scale", ("qwen-image",)),
        ("max-sequence-length", ("z-image-turbo", "qwen-image")),
        ("width-and-height", ("z-image-turbo",)),
    ],
)
def test_the_pages_show_a_tab_for_each_new_model_with_its_licence(pages, slug, models):
    page = pages[f"settings/{slug}.md"]
    for name in models:
        profile = DEFAULTS.models[name]
        tab = model_tab(page, profile.label)
        assert profile.licence in tab and str(profile.licence_url) in tab, (slug, name)


def test_guidance_tabs_name_each_mechanism(pages):
    page = pages["settings/guidance-scale.md"]

    def tab(label: str) -> str:
        return model_tab(page, label)

    assert "1 + s" in tab("Z-Image-Turbo") and "1 + s" in tab("Krea 2 Turbo")
    assert "No effect on FLUX.2 [klein] 4B" in tab("FLUX.2 [klein] 4B")
    assert "No effect on Qwen-Image-2512" in tab("Qwen-Image-2512") and "true_cfg_scale" in tab("Qwen-Image-2512")
    assert "embedding" in tab("FLUX.1 [dev]") or "input" in tab("FLUX.2 [dev]")
