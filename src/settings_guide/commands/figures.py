"""``settings-guide figures``: make the comparison images that are missing or out of date.

``--dry-run`` and ``--check`` only plan (no torch); a run loads each model once, on a GPU when
there is one. ``scripts/build_figures.py`` (``make figures``) calls this same command.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from .report import report_problems


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
        "--stale-on-upgrade",
        action="store_true",
        help="count images made with other diffusers, transformers or torch versions than the installed ones as "
        "stale (default: a warning per model, and they stay fresh)",
    )
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
        "--new-repositories",
        metavar="BASE",
        help="name the Hub repositories figures/defaults.yml declares that its copy at git commit BASE does not "
        "(a pull request's check: a maintainer reviews each one); a notice, never a failure",
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
    from ..errors import FigureError, ProblemsFound
    from ..figures.layout import looks_like_path
    from ..figures.machine import planning_device
    from ..figures.make import BuildOptions, plan_dtype, plan_project, unchanged_comparisons

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
        stale_on_upgrade=args.stale_on_upgrade,
    )
    try:
        if args.merge:
            return _merge(options, args.merge)
        if args.pin:
            return _pin(options)
        if args.new_repositories:
            return _new_repositories(options, args.new_repositories)
        if not (args.dry_run or args.check):
            return _make(options)
        planned = plan_project(options, plan_dtype(options, planning_device(args.device)))
        unchanged = unchanged_comparisons(planned)
    except FigureError as error:
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return 2 if args.check else 1
    except ProblemsFound as found:
        if not args.check:
            raise
        report_problems(found.problems)
        return 2  # the plan itself is broken: not the same as images waiting to be made
    return _report_plan(planned, unchanged, args)


def _report_plan(planned, unchanged: list[str], args) -> int:
    """``--dry-run`` and ``--check``: the plan in words; --check exits 1 when anything is to make."""
    from ..figures.summary import counts, model_lines, plan_lines

    for line in plan_lines(planned, only_pending=args.check):
        print(line)
    for line in model_lines(planned.states, planned.entries, args.offload, planned.profiles):
        print(line)
    for line in planned.versions.lines(stale=args.stale_on_upgrade) if planned.versions else ():
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


def _make(options) -> int:
    """A run: a progress bar while it makes images, then what failed and why, and one summary line."""
    from ..figures.make import build_figures

    with _ProgressBar() as progress:
        report = build_figures(options, progress)
    if report.refused:
        report_problems(report.refused)
    for file, message in report.failed:
        print(f"failed: {file}: {message}", file=sys.stderr)
    for model in report.unavailable:  # a model, or an adapter ("LoRA"), that could not be had
        images = f"{model.images} image{'s' if model.images != 1 else ''}"
        adapter = f" with adapter {model.adapter}" if model.adapter else ""
        print(
            f"error: {model.what} {model.model} (revision {model.revision}){adapter}, {images} not made: "
            f"{model.reason}",
            file=sys.stderr,
        )
    if not report.attempted:  # every model it needed is out of reach: the lines above say why
        return 1
    done = [f"generated {report.generated}", f"cached {report.cached}", f"failed {report.failures}"]
    if report.removed:
        done.append(f"removed {report.removed}")
    if report.measured:
        done.append(f"measured {report.measured} sweep{'s' if report.measured != 1 else ''}")
    loaded = f"{report.models_loaded} model{'s' if report.models_loaded != 1 else ''} loaded, "
    print(f"{', '.join(done)} ({loaded if report.models_loaded else ''}{report.seconds:.1f} s on {report.device})")
    for line in report.unchanged:
        print(line, file=sys.stderr)
    return 0 if report.ok else 1


def _pin(options) -> int:
    from ..figures.make import pin_project

    report = pin_project(options)
    for line in report.pinned:
        print(line)
    for line in report.failed:
        print(line, file=sys.stderr)
    print(
        f"pinned {len(report.pinned)} of {report.unpinned} unpinned models"
        if report.unpinned
        else "every model is pinned"
    )
    return 1 if report.failed else 0


def _new_repositories(options, base: str) -> int:
    """``--new-repositories BASE``: one line naming what a reviewer must look at; on GitHub Actions also a warning
    at each one's line. Exits 0 either way: CODEOWNERS makes the change a maintainer's review already."""
    from ..figures.layout import DEFAULTS_NAME
    from ..figures.profiles import load_defaults
    from ..figures.repositories import declared_since

    defaults = load_defaults(options.figures_dir / DEFAULTS_NAME)
    new = declared_since(defaults, options.root, base)
    if not new:
        print(f"this pull request declares no new Hub repositories (compared with {base})")
        return 0
    print(
        f"this pull request declares new Hub repositories: {', '.join(new)} — "
        "a maintainer must review them before merging"
    )
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for notice in new.values():
            print(notice.github_annotation("warning"))
    return 0


def _merge(options, folders) -> int:
    from ..figures.make import merge_shards

    report = merge_shards(options, folders)
    print(
        f"merged {report.merged} images from {report.folders} folders; {report.left} still missing or stale"
        f"{f'; {report.sweeps_adopted} of {report.sweeps_todo} sweeps measured' if report.sweeps_todo else ''}"
        f"{f'; removed {report.removed}' if report.removed else ''}"
    )
    return 0


class _ProgressBar:
    """A rich progress bar on stderr (images made, the one just done, seconds per image), shown once a run starts.

    Where stderr is no terminal (a CI log), a bar would reach the log only when the run ends: there each
    image gets a line of its own as it is done instead.
    """

    def __enter__(self):
        self._progress = None
        self._lines = not sys.stderr.isatty()
        self._done, self._total = 0, 0
        self._seconds: list[float] = []
        return self

    def start(self, total: int) -> None:
        self._total = total
        if self._lines:
            print(f"making {total} image{'s' if total != 1 else ''}", file=sys.stderr, flush=True)
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("images"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[rate]}"),
        )
        self._progress = Progress(*columns, console=Console(stderr=True))
        self._progress.start()
        self._task = self._progress.add_task("figures", total=total, rate="")

    def done(self, outcome) -> None:
        self._done += 1
        if outcome.ok:
            self._seconds.append(outcome.seconds)
        if self._lines:
            result = f"{outcome.seconds:.1f} s" if outcome.ok else "failed"
            print(f"[{self._done}/{self._total}] {outcome.job.file} {result}", file=sys.stderr, flush=True)
            return
        rate = f"{sum(self._seconds) / len(self._seconds):.2f} s/image" if self._seconds else ""
        self._progress.update(self._task, advance=1, rate=rate, description=outcome.job.file)

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()
