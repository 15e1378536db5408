"""``settings-guide zensical``: write the generated site as a Zensical project, then build it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("zensical", help="build the site with Zensical instead of MkDocs")
    parser.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("build/zensical"),
        help="folder for the generated project (default: build/zensical)",
    )
    parser.add_argument(
        "--site-dir", type=Path, default=Path("site-zensical"), help="where the site goes (default: site-zensical)"
    )
    parser.add_argument("--no-build", action="store_true", help="only write the project; do not run zensical")
    parser.set_defaults(command=run)


def run(args) -> int:
    from ..site.pages import ProjectPaths
    from ..site.zensical_project import write_zensical_project

    project = write_zensical_project(ProjectPaths.at(args.root), args.out)
    print(f"{project.pages} pages and {project.redirects} alias redirects in {project.docs_dir}")
    if args.no_build:
        return 0
    zensical = shutil.which("zensical", path=str(Path(sys.executable).parent)) or shutil.which("zensical")
    if zensical is None:
        print("zensical is not installed: pip install -e '.[zensical]'", file=sys.stderr)
        return 1
    # --clean: Zensical's cache does not notice a page that was removed from the docs folder.
    command = [zensical, "build", "--clean", "--strict", "-f", project.config_file.name]
    result = subprocess.run(command, cwd=project.config_file.parent)
    if result.returncode != 0:
        return result.returncode
    # Zensical writes only inside the config's folder; the finished site moves to where it was asked for.
    shutil.rmtree(args.site_dir, ignore_errors=True)
    shutil.move(project.site_dir, args.site_dir)
    print(f"site written to {args.site_dir}")
    return 0
