"""``settings-guide figures``: make the comparison images that are missing or out of date.

``--dry-run`` and ``--check`` only plan (no torch); a run loads each model once, on a GPU when
there is one. ``scripts/build_figures.py`` (``make figures``) calls this same command.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser(
        "figures",
        help="make the comparison images that are missing or out of date",
        description="Plan every comparison image from settings/*.yml and figures/defaults.yml, then make the "
        "missing and stale ones with diffusers and record them in figures/manifest.json.",
    )
    parser.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    parser.add_argument(
        "--model",
        metavar="ID_OR_PATH",
        help="a Hub model id or a local diffusers folder, instead of the configured default model",
    )
    parser.add_argument("--device", choices=("cuda", "mps", "cpu"), help="default: the best one available")
    parser.add_argument(
        "--dtype", choices=("bf16", "fp16", "fp32"), help="default: the configured dtype (bf16) on CUDA, fp32 elsewhere"
    )
    parser.add_argument("--size", type=_size, metavar="WxH", help="image size for a quick run, e.g. 512x512")
    parser.add_argument("--only", nargs="+", default=(), metavar="SLUG", help="only these settings")
    parser.add_argument("--shard", type=_shard, metavar="K/N", help="only the K-th of N equal parts (K from 1)")
    parser.add_argument("--force", action="store_true", help="make the selected images again even if fresh")
    parser.add_argument(
        "--offload",
        choices=("auto", "none", "model", "sequential"),
        default="auto",
        help="keep each model on the GPU (none), move its parts there one at a time (model) or layer by layer "
        "(sequential); auto (default) picks from its size and the free GPU memory",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="print the plan: each image fresh, missing or stale")
    mode.add_argument(
        "--check", action="store_true", help="exit 1 when any image is missing or stale, 2 when the plan has errors"
    )
    mode.add_argument(
        "--pin",
        action="store_true",
        help="write the current commit of every Hub model named without one into its YAML file (needs Hub access)",
    )
    mode.add_argument(
        "--merge",
        nargs="+",
        type=Path,
        metavar="DIR",
        help="adopt the images of shard runs (their figures folders) that match this plan",
    )
    parser.set_defaults(command=run)


def _size(text: str) -> tuple[int, int]:
    import argparse

    match = re.fullmatch(r"(\d+)[xX](\d+)", text)
    if not match or any(int(n) < 8 or int(n) % 8 for n in match.groups()):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in multiples of 8, e.g. 512x512, got {text!r}")
    return int(match[1]), int(match[2])


def _shard(text: str) -> tuple[int, int]:
    import argparse

    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise argparse.ArgumentTypeError(f"expected K/N with 1 <= K <= N, e.g. 2/4, got {text!r}")
    return int(match[1]), int(match[2])


def run(args) -> int:
    from ..cli import report_problems
    from ..errors import ProblemsFound
    from ..figures.build import (
        BuildOptions,
        build_figures,
        counts,
        merge_shards,
        model_lines,
        pin_project,
        plan_dtype,
        plan_lines,
        plan_project,
        unchanged_comparisons,
    )
    from ..figures.plan import FigureError, looks_like_path

    model = args.model
    if model and (looks_like_path(model) or Path(model).expanduser().is_dir()):
        model = str(Path(model).expanduser().resolve())  # relative to where the command runs, not --root
    options = BuildOptions(
        root=args.root,
        model=model,
        device=args.device,
        dtype=args.dtype,
        size=args.size,
        only=tuple(args.only),
        shard=args.shard,
        force=args.force,
        offload=args.offload,
    )
    try:
        if args.merge:
            return merge_shards(options, args.merge)
        if args.pin:
            return pin_project(options)
        if not (args.dry_run or args.check):
            return build_figures(options)
        planned = plan_project(options, plan_dtype(options, args.device))
        unchanged = unchanged_comparisons(planned)
    except FigureError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2 if args.check else 1
    except ProblemsFound as found:
        if not args.check:
            raise
        report_problems(found.problems)
        return 2  # the plan itself is broken: not the same as images waiting to be made
    for line in plan_lines(planned, only_pending=args.check):
        print(line)
    for line in model_lines(planned.states, planned.entries, args.offload):
        print(line)
    print(counts(planned.states, planned.sweep_states))
    for line in unchanged:  # a comparison that shows nothing must not be published
        print(line, file=sys.stderr)
    if args.check and unchanged:
        return 1
    pending = {"figure": len(planned.todo), "sweep": len(planned.sweeps_todo)}
    named = [f"{n} {what}{'s' if n != 1 else ''}" for what, n in pending.items() if n]
    if args.check and named:
        verb = "is" if sum(pending.values()) == 1 else "are"
        print(
            f"{' and '.join(named)} {verb} missing or stale; run `make figures` on a GPU machine, or the Figures workflow",
            file=sys.stderr,
        )
        return 1
    return 0
