"""``settings-guide render --out DIR``: the generated Markdown, for inspection or plugin-less builders."""

from __future__ import annotations

from pathlib import Path


def register(commands) -> None:
    parser = commands.add_parser("render", help="write the generated Markdown pages to a folder")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the pages into")
    parser.add_argument("--root", type=Path, default=Path("."), help="project folder (default: .)")
    parser.set_defaults(command=run)


def run(args) -> int:
    from ..atomic import write_text_atomic
    from ..site.pages import ProjectPaths, generate_site

    site = generate_site(ProjectPaths.at(args.root))
    changed = sum(write_text_atomic(args.out / page.path, page.markdown) for page in site.pages)
    # The sweep charts exist only in the build; a builder without our plugin needs them beside the pages.
    changed += sum(write_text_atomic(args.out / path, text) for path, text in site.generated_files.items())
    print(f"{len(site.pages)} pages in {args.out} ({changed} changed)")
    return 0
