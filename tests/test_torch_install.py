"""`make test` installs the CPU build of torch wherever it runs, never PyPI's multi-GB CUDA build.

The real Makefile target runs the real pip in a new virtual environment. The three places a torch
wheel may come from (pip's find-links folder, PyTorch's CPU index, PyPI) are local folders here, each
holding a small wheel named torch 2.13.0 that says where it came from, so the test needs no network
and shows which source the Makefile chose.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import zipfile
from pathlib import Path

from .conftest import ROOT


def torch_wheel(folder: Path, source: str) -> Path:
    """A minimal installable wheel for torch==2.13.0 whose module records its source."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "torch-2.13.0-py3-none-any.whl"
    info = "torch-2.13.0.dist-info"
    files = {
        "torch/__init__.py": f"SOURCE = {source!r}\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: torch\nVersion: 2.13.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


def index_with_torch(root: Path, source: str) -> str:
    """A PEP 503 index folder (root/torch/<wheel>) serving one torch wheel, as a file: URL."""
    wheel = torch_wheel(root / "torch", source)
    (root / "torch" / "index.html").write_text(f'<a href="{wheel.name}">{wheel.name}</a>\n')
    return root.as_uri()


def install_cpu_torch(tmp_path: Path, find_links: Path | None) -> str:
    """Run the Makefile's torch step in a new venv; return where the installed torch came from."""
    venv = tmp_path / "venv"
    pypi = index_with_torch(tmp_path / "pypi", "pypi (a CUDA build on Linux)")
    env = {key: value for key, value in os.environ.items() if not key.startswith("PIP_") and key != "MAKEFLAGS"}
    # Only the folders above: no config files (this machine's pip.conf names a wheel folder), no network.
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=pypi, PIP_DISABLE_PIP_VERSION_CHECK="1")
    if find_links is not None:
        env["PIP_FIND_LINKS"] = str(find_links)
    cpu_index = index_with_torch(tmp_path / "cpu-index", "PyTorch's CPU index")
    made = subprocess.run(
        ["make", "-s", f"VENV={venv}", f"CPU_TORCH_INDEX={cpu_index}", f"{venv}/.torch-cpu"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    shown = subprocess.run(
        [str(venv / "bin/python"), "-c", "import torch; print(torch.SOURCE)"], capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    return shown.stdout.strip()


def test_without_a_local_wheel_torch_comes_from_the_cpu_index_not_pypi(tmp_path):
    assert install_cpu_torch(tmp_path, find_links=None) == "PyTorch's CPU index"


def test_a_cpu_wheel_in_pips_wheel_folder_is_taken_first(tmp_path):
    folder = tmp_path / "wheels"
    torch_wheel(folder, "the local wheel folder")
    assert install_cpu_torch(tmp_path, find_links=folder) == "the local wheel folder"
