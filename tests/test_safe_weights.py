"""Safe weights: the figure run loads safetensors files only. A setting that names a pickled weight file is
refused at its line with the reason, each adapter kind fetches safetensors and configs only, and nothing
asks a library to run a repository's own code. No torch."""

from __future__ import annotations

import re
import shutil

import pytest

from settings_guide import kinds
from settings_guide.cli import main
from settings_guide.settings.load import find_setting_files, load_settings

from .conftest import ROOT

LORA_WEIGHT = "weight_name: pixel-art-xl.safetensors"


@pytest.mark.parametrize("pickled", ["pixel-art-xl.bin", "pixel-art-xl.ckpt", "pixel-art-xl.pt", "lora.pkl"])
def test_a_pickled_weight_name_is_refused_at_its_line_with_why_and_what_to_do(tmp_path, capsys, pickled):
    shutil.copytree(ROOT / "settings", tmp_path / "settings")
    setting = tmp_path / "settings" / "lora-weight.yml"
    text = setting.read_text("utf-8")
    setting.write_text(text.replace(LORA_WEIGHT, f"weight_name: {pickled}"))
    [line] = [n for n, row in enumerate(text.splitlines(), 1) if LORA_WEIGHT in row]

    code = main(["validate", str(tmp_path / "settings"), "--figures", str(tmp_path / "none.yml")])

    out = capsys.readouterr().err
    assert code == 1
    assert (
        f"lora-weight.yml:{line}:18: comparison.adapter.weight_name: `{pickled}` is a pickled weight file: loading "
        "one runs any code it holds, on the figures runner that holds HF_TOKEN; name the repository's .safetensors "
        "file instead"
    ) in out
    assert out.endswith("1 problem in 1 file\n")


def test_a_weight_file_of_another_format_is_refused_too(tmp_path, capsys):
    shutil.copytree(ROOT / "settings", tmp_path / "settings")
    setting = tmp_path / "settings" / "lora-weight.yml"
    setting.write_text(setting.read_text("utf-8").replace(LORA_WEIGHT, "weight_name: pixel-art-xl.gguf"))

    assert main(["validate", str(tmp_path / "settings"), "--figures", str(tmp_path / "none.yml")]) == 1
    assert "the figure run loads .safetensors weight files only, got `pixel-art-xl.gguf`" in capsys.readouterr().err


def test_every_file_an_adapter_kind_fetches_is_safetensors_or_a_config():
    adapters = [
        item.setting.comparison.adapter
        for item in load_settings(find_setting_files(ROOT / "settings"))
        if item.setting.comparison and item.setting.comparison.adapter
    ]
    assert {adapter.kind for adapter in adapters} == set(kinds.names("adapter"))  # the catalogue uses each one
    for adapter in adapters:
        files = kinds.get(adapter.kind).hub_files(adapter)
        assert files, adapter.kind  # an adapter kind loads something: it says what, so the run fetches it first
        assert all(re.fullmatch(r"[\w./-]+\.(safetensors|json)", file) for file in files), (adapter.kind, files)


def test_nothing_asks_a_library_to_run_a_repositorys_own_code():
    """`trust_remote_code` would run Python from a Hub repository on the runner that holds HF_TOKEN."""
    word = "trust_remote" + "_code"  # spelt in two, so this file does not find itself
    roots = [ROOT / part for part in ("src", "scripts", "bench", "templates", ".github", "Makefile", "pyproject.toml")]
    files = [path for root in roots for path in ([root] if root.is_file() else root.rglob("*")) if path.is_file()]
    assert len(files) > 50
    found = [str(path.relative_to(ROOT)) for path in files if word in path.read_text("utf-8", errors="replace")]
    assert found == []
