"""Which comparison images exist, for the pages. Reads the manifest; never imports torch."""

from __future__ import annotations

import json
from pathlib import Path

from ..pages.figure_slots import FigureSlot, PageFigures, caption_for
from ..settings.model import LoadedSetting

MANIFEST_NAME = "manifest.json"


def figures_reader(root: Path, figures_dir: Path):
    """A function giving each setting's PageFigures from ``figures/manifest.json``."""
    manifest_path = figures_dir / MANIFEST_NAME
    entries = json.loads(manifest_path.read_text("utf-8")).get("images", []) if manifest_path.is_file() else []
    by_setting: dict[str, dict[str, dict]] = {}
    for entry in entries:
        by_setting.setdefault(entry["setting"], {})[str(entry["value"])] = entry

    def figures_for(item: LoadedSetting) -> PageFigures:
        comparison = item.setting.comparison
        known = by_setting.get(item.slug, {})
        slots = []
        for value in comparison.values:
            entry = known.get(str(value))
            image = figures_dir / entry["file"] if entry else None
            if entry and image.is_file():
                slots.append(
                    FigureSlot(
                        caption=caption_for(comparison.parameter, value),
                        status="fresh",
                        image=image.relative_to(root).as_posix(),
                        width=entry["width"],
                        height=entry["height"],
                        seconds=entry.get("seconds"),
                    )
                )
            else:
                slots.append(FigureSlot(caption=caption_for(comparison.parameter, value)))
        return PageFigures(slots=slots)

    return figures_for
