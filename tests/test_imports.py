"""The package's shape: imports run one way, no cycles, heavy libraries only in the figure run, one home per kind."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

from settings_guide import kinds

from .conftest import BIN, ROOT

PACKAGE = ROOT / "src" / "settings_guide"
# Imported only by figures/run (and its tests): a site build or a plan never loads them.
RUN_ONLY = ("torch", "diffusers", "transformers", "numpy", "PIL", "cv2", "peft", "accelerate")


def our_modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found.append((".".join(parts[:-1] if parts[-1] == "__init__" else parts), path))
    return found


def test_the_import_contract_holds():
    """pyproject.toml's contracts: the layers, and the reading side never reaching the run (lazy imports too)."""
    result = subprocess.run([str(BIN / "lint-imports")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_no_module_of_ours_imports_another_in_a_cycle():
    graph = grimp.build_graph("settings_guide")  # every import statement, inside functions too
    modules = sorted(graph.modules)
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []

    def visit(module: str) -> None:  # Tarjan: each strongly connected group of two or more is a cycle
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for module in modules:
        if module not in index:
            visit(module)
    assert cycles == []
    # A kind file registers itself with its package, which imports it by name: the one allowed pairing.
    assert graph.find_modules_directly_imported_by("settings_guide.kinds.lora") >= {"settings_guide.kinds"}


def test_torch_numpy_and_pillow_are_imported_only_by_the_figure_run():
    offenders = []
    for module, path in our_modules():
        if module.startswith("settings_guide.figures.run"):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            offenders += [f"{module}: {name}" for name in names if name.split(".")[0] in RUN_ONLY]
    assert offenders == []


def test_each_kind_is_named_in_its_own_file_and_the_registry_only():
    """A kind's name as a string literal appears in at most two source files: its kind file and the registry."""
    names = {kind.name for kind in kinds.kinds()}
    assert len(names) >= 8
    files: dict[str, set[str]] = {name: set() for name in names}
    for _, path in our_modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                files[node.value].add(path.relative_to(PACKAGE).as_posix())
    for name, found in files.items():
        assert len(found) <= 2 and all(file.startswith("kinds/") for file in found), (name, sorted(found))
