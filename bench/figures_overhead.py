"""Benchmark: the figure pipeline against calling the same pipeline directly; and planning time.

Run by hand:  .venv/bin/python bench/figures_overhead.py [--repeats 3] [--figures 1000]

1. Overhead. A tiny random-weight Stable Diffusion model (built here, nothing downloaded) makes
   the images of two comparisons at 64×64 (steps 4/25/50 and guidance 1/5/9 at 30 steps, 169
   denoising steps). Whole processes are timed, alternating, after a warm-up; the median and the
   minimum of the repeats are printed (the minimum is the one to trust on a busy shared machine):
     harness - `settings-guide figures --force` (settings, plan, checks, lock, manifest, WebP)
     direct  - a script that loads the same folder with StableDiffusionPipeline.from_pretrained
               and calls it with the same arguments and seeds (read from the harness's
               manifest), saving each image as WebP with the same quality
   Target: harness <= 1.10 × direct.
2. Planning. N figures (N/4 settings of four values) that are all fresh: whole
   `settings-guide figures --check` processes, and `plan_project` in-process (load settings and
   defaults, plan, read the manifest, hash every image file). Target: under a second; no torch.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from tests.figures.conftest import build_tiny_pipeline, defaults_yaml, make_project, setting_yaml  # noqa: E402

DIRECT = """
import json, sys, time
started = time.perf_counter()
import torch
from diffusers import StableDiffusionPipeline

model, calls_file, out = sys.argv[1:4]
pipe = StableDiffusionPipeline.from_pretrained(model)
pipe.set_progress_bar_config(disable=True)
for index, (call, seed) in enumerate(json.load(open(calls_file))):
    call = {k: v for k, v in call.items() if k != "output_type"}
    image = pipe(**call, generator=torch.Generator("cpu").manual_seed(seed)).images[0]
    image.save(f"{out}/{index}.webp", quality=80)
"""


def timed(command: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        sys.exit(f"{command[:3]} failed:\n{result.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def overhead(work: Path, repeats: int) -> None:
    model = build_tiny_pipeline(work / "models" / "tiny")
    project = make_project(
        work / "project",
        {
            "steps": setting_yaml("Steps", "parameter: num_inference_steps\nvalues: [4, 25, 50]"),
            "guidance": setting_yaml(
                "Guidance",
                "parameter: guidance_scale\nvalues: [1.0, 5.0, 9.0]\narguments:\n  num_inference_steps: 30",
                "number",
            ),
        },
        defaults=defaults_yaml(model=str(model), dtype="fp32", size=64),
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "NO_MKDOCS_2_WARNING": "1"}
    harness = [str(BIN / "settings-guide"), "figures", "--root", str(project), "--device", "cpu", "--force"]
    timed(harness, env)  # warm-up, and the manifest the direct script reads its calls from
    entries = json.loads((project / "figures" / "manifest.json").read_text())["images"]
    calls_file = work / "calls.json"
    calls_file.write_text(json.dumps([[entry["call"], entry["seed"]] for entry in entries]))
    (work / "direct").mkdir()
    direct = [sys.executable, "-c", DIRECT, str(model), str(calls_file), str(work / "direct")]
    timed(direct, env)  # warm-up
    times: dict[str, list[tuple[float, float]]] = {"harness": [], "direct": []}
    for _ in range(repeats):
        times["direct"].append(timed(direct, env))
        times["harness"].append(timed(harness, env))
    wall = {name: statistics.median(run[0] for run in runs) for name, runs in times.items()}
    best = {name: min(run[0] for run in runs) for name, runs in times.items()}
    cpu = {name: statistics.median(run[1] for run in runs) for name, runs in times.items()}
    print(f"overhead: {len(entries)} images, 64x64, tiny SD on the CPU, whole processes, {repeats} runs each")
    for name, runs in times.items():
        shown = ", ".join(f"{run[0]:.2f}" for run in runs)
        print(
            f"  {name:<8} wall median {wall[name]:6.2f} s, min {best[name]:6.2f} s; cpu median {cpu[name]:6.2f} s"
            f"   (wall of each run: {shown})"
        )
    print(
        f"  ratio    wall median {wall['harness'] / wall['direct']:6.3f} x, min {best['harness'] / best['direct']:6.3f} x;"
        f" cpu {cpu['harness'] / cpu['direct']:6.3f} x   (target <= 1.10; on a shared machine trust the min)"
    )


def planning(work: Path, count: int, repeats: int) -> None:
    import hashlib

    from settings_guide.figures.make import BuildOptions, plan_project
    from settings_guide.figures.manifest import write_manifest

    settings = {
        f"setting-{n:04d}": setting_yaml(
            f"Setting {n}",
            f"parameter: guidance_scale\nvalues: [{n % 7 + 1}, {n % 7 + 2}, {n % 7 + 3}, {n % 7 + 4}]",
            "number",
        )
        for n in range(count // 4)
    }
    project = make_project(work / "planning", settings)
    figures = project / "figures"
    planned = plan_project(BuildOptions(root=project), None)
    payload = os.urandom(110 * 1024)  # about a 1024x1024 WebP at quality 80
    entries = {}
    for state in planned.states:
        data = payload + state.job.key.encode()
        (figures / state.job.file).parent.mkdir(parents=True, exist_ok=True)
        (figures / state.job.file).write_bytes(data)
        entries[state.job.file] = {
            "file": state.job.file,
            "key": state.job.key,
            "inputs": state.job.inputs,
            "sha256": hashlib.sha256(data).hexdigest(),
            "setting": state.job.spec.slug,
        }
    write_manifest(figures, entries)

    in_process = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        planned = plan_project(BuildOptions(root=project), None)
        in_process.append(time.perf_counter() - started)
    assert all(state.state == "fresh" for state in planned.states) and len(planned.states) == len(entries)
    assert "torch" not in sys.modules
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    check = [str(BIN / "settings-guide"), "figures", "--root", str(project), "--check"]
    timed(check, env)
    processes = [timed(check, env)[0] for _ in range(repeats)]
    print(f"planning: {len(entries)} fresh figures ({len(settings)} settings), median of {repeats}")
    print(
        f"  plan_project in-process          {statistics.median(in_process[1:]):6.3f} s   "
        "(settings + defaults + plan + manifest + sha256 of every file)"
    )
    print(f"  `settings-guide figures --check` {statistics.median(processes):6.3f} s   (whole process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--figures", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        planning(Path(folder), args.figures, args.repeats)
        overhead(Path(folder), args.repeats)


if __name__ == "__main__":
    main()
