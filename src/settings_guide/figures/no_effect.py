"""Comparisons that change nothing: arguments a set-up ignores, and values whose images came out the same.

A pipeline accepts many arguments it only reads in some set-ups (``eta`` only reaches a scheduler
whose ``step()`` takes it; FLUX's ``true_cfg_scale`` only acts with a negative prompt). Such a
comparison renders identical images and publishes a "comparison" that shows nothing. What can be
told from the plan is checked before rendering (``ignored_arguments``, called by figures/run/checks.py
with the scheduler's real signature); anything else shows as identical files after the run.
Pure: no torch, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

COMPARED_ROLES = ("comparison", "sweep")
LIKELY_CAUSES = {
    "eta": "`eta` only reaches a scheduler whose step() takes it, such as DDIMScheduler; set the comparison's "
    "`scheduler:`",
    "true_cfg_scale": "true CFG runs only with a `negative_prompt` and a value above 1",
    "guidance_rescale": "guidance rescale only acts while classifier-free guidance is on (guidance_scale above 1)",
    "negative_prompt": "the negative prompt is only read while classifier-free guidance is on (guidance_scale above 1)",
}


def ignored_arguments(arguments: dict[str, Any], scheduler: str | None, step_takes: set[str] | None) -> list[tuple]:
    """(argument, message) for each argument this call would accept and ignore.

    ``scheduler``: the class that will run; ``step_takes``: the names its ``step()`` takes (None: unknown).
    """
    found = []
    if "eta" in arguments and step_takes is not None and "eta" not in step_takes:
        found.append(
            (
                "eta",
                f"`eta` changes nothing here: {scheduler}.step() takes no `eta`, so the pipeline never passes it on; "
                "set `scheduler: DDIMScheduler` (or another scheduler whose step() takes eta)",
            )
        )
    if "true_cfg_scale" in arguments and arguments.get("negative_prompt") is None:
        found.append(
            (
                "true_cfg_scale",
                "`true_cfg_scale` changes nothing without a `negative_prompt`: the pipeline runs true CFG only "
                "when one is given; add `negative_prompt:` to the comparison",
            )
        )
    return found


@dataclass(frozen=True)
class Unchanged:
    """Values of one comparison (on one model) whose images are byte-for-byte the same file."""

    setting: str
    profile: str | None
    parameter: str
    values: tuple[Any, ...]
    files: tuple[str, ...]

    def message(self) -> str:
        shown = " and ".join(f"{self.parameter} = {value!r}" for value in self.values)
        on = f" on {self.profile}" if self.profile else ""
        return (
            f"{shown} made pixel-identical images{on} ({', '.join(self.files)}), so the comparison shows nothing; "
            f"likely cause: {likely_cause(self.parameter)}"
        )


def likely_cause(parameter: str) -> str:
    return LIKELY_CAUSES.get(
        parameter,
        f"the pipeline accepts `{parameter}` but ignores it in this set-up; another setting may have to switch it on",
    )


def unchanged_values(entries: Iterable[dict]) -> list[Unchanged]:
    """Each group of different compared values that produced the same image (same SHA-256), from manifest entries."""
    groups: dict[tuple, dict[str, list[dict]]] = {}
    for entry in entries:
        if entry.get("role") in COMPARED_ROLES and entry.get("sha256"):
            where = (entry.get("setting"), entry.get("profile"), entry.get("parameter"))
            groups.setdefault(where, {}).setdefault(entry["sha256"], []).append(entry)
    found = []
    for (setting, profile, parameter), by_image in groups.items():
        for same in by_image.values():
            distinct = _first_per_value(same)
            if len(distinct) > 1:
                values = tuple(entry.get("value") for entry in distinct)
                found.append(Unchanged(setting, profile, parameter, values, tuple(e["file"] for e in distinct)))
    return found


def _first_per_value(entries: list[dict]) -> list[dict]:
    seen: dict[Any, dict] = {}
    for entry in entries:
        seen.setdefault(_hashable(entry.get("value")), entry)
    return list(seen.values())


def _hashable(value: Any) -> Any:
    return tuple(map(_hashable, value)) if isinstance(value, list) else value  # pairs nest one level
