"""The library versions an image was made with against those installed here: which images an upgrade touches.

Pure and light: the installed versions come from the packages' metadata (``importlib.metadata``), never
from importing them, so ``--dry-run`` and ``--check`` stay torch-free; a library that cannot be imported
here (the site-only install has no torch) is left out of the comparison rather than counted as changed.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

# The libraries whose upgrades can change pixels (schedulers, pipelines' defaults, kernels).
TRACKED = ("diffusers", "transformers", "torch")


def installed_versions() -> dict[str, str | None]:
    """Each tracked library's installed version, without importing it; None where it cannot be imported here."""
    found: dict[str, str | None] = {}
    for name in TRACKED:
        try:
            found[name] = version(name) if importlib.util.find_spec(name) is not None else None
        except (PackageNotFoundError, ImportError, ValueError):
            found[name] = None
    return found


def _release(text: str) -> str:
    # "2.5.1+cu124" and "2.5.1" are one release built for other devices; the device is recorded apart.
    return str(text).partition("+")[0]


def changed_libraries(entry: dict | None, installed: dict[str, str | None]) -> list[tuple[str, str, str]]:
    """(library, recorded, installed) for each tracked library this entry records at another release."""
    recorded = (entry or {}).get("versions") or {}
    return [
        (name, recorded[name], now)
        for name, now in installed.items()
        if now is not None and recorded.get(name) and _release(recorded[name]) != _release(now)
    ]


def describe_upgrade(changes: list[tuple[str, str, str]]) -> str:
    """The reason an image is stale after an upgrade, e.g. ``made with diffusers 0.42.1, now 0.43.0``."""
    return "made with " + ", ".join(f"{name} {before}, now {now}" for name, before, now in changes)


@dataclass(frozen=True)
class VersionReport:
    """Per model and library version, how many current images were made with another version than installed."""

    drift: dict[tuple[str, str, str, str], int]  # (model, library, recorded, installed) -> images
    not_installed: tuple[str, ...]  # tracked libraries not importable here: not compared

    def lines(self, stale: bool) -> list[str]:
        prefix = "stale" if stale else "warning"
        lines = [
            f"{prefix}: {model}: {n} image{'s' if n != 1 else ''} made with {library} {before}, now {now}"
            for (model, library, before, now), n in self.drift.items()
        ]
        if lines and not stale:
            lines.append(
                "warning: these images stay fresh; pass --stale-on-upgrade to make them again with the installed versions"
            )
        if self.not_installed:
            names = ", ".join(self.not_installed)
            lines.append(f"note: library versions not compared for {names}: not installed here (the site-only install)")
        return lines


def version_report(drifted: list[tuple[str, list[tuple[str, str, str]]]], installed: dict[str, str | None]):
    """The report of ``(model, changes)`` pairs, one per current image made with other versions."""
    drift: dict[tuple[str, str, str, str], int] = {}
    for model, changes in drifted:
        for name, before, now in changes:
            drift[(model, name, before, now)] = drift.get((model, name, before, now), 0) + 1
    return VersionReport(drift, tuple(name for name, now in installed.items() if now is None))
