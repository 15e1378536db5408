"""Make the missing and stale comparison images: the entry a GPU runner calls (``make figures``).

Same as ``settings-guide figures``; every option passes through, e.g.
``python scripts/build_figures.py --shard 1/2`` or ``--dry-run``. Needs the package installed
with its ``figures`` extra (``make figures`` does that).
"""

import sys

from settings_guide.cli import main

if __name__ == "__main__":
    sys.exit(main(["figures", *sys.argv[1:]]))
