"""Print every planned image's cache key, ``{file: key}`` as JSON, for the catalogue at its configured defaults.

A change that must not change any image (a refactoring) is checked by running this before and after
it and diffing the two outputs: they must be identical.

    .venv/bin/python scripts/cache_keys.py > before.json   # on the old commit
    .venv/bin/python scripts/cache_keys.py > after.json    # on the new one
    diff before.json after.json

No torch: planning reads the settings and figures/defaults.yml only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from settings_guide.figures.plan import ModelResolver, plan_figures
from settings_guide.figures.profiles import load_defaults
from settings_guide.figures.spec import all_specs
from settings_guide.settings.load import find_setting_files, load_settings


def main(root: Path) -> int:
    loaded = load_settings(find_setting_files(root / "settings"))
    defaults = load_defaults(root / "figures" / "defaults.yml")
    plan = plan_figures(all_specs(loaded, defaults), ModelResolver(root))
    print(json.dumps({job.file: job.key for job in plan.jobs}, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]))
