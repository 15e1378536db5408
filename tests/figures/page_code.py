"""Run the Reproduce code a rendered page shows, as a reader would: each model's set-up once, then each image's
lines, and hand back what each image's lines saved beside the figure file the page shows for it."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

BLOCK = '<details class="example sg-reproduce" data-search-exclude>'
CODE = re.compile(r'<pre><code class="language-python">(.*?)</code></pre>', re.DOTALL)
SAVED = re.compile(r'^image\.save\("([^"]+)"', re.MULTILINE)
SHOWN = re.compile(r'<img src="(?:\.\./)+(figures/[^"]+)"')


@dataclass
class Reproduced:
    name: str  # the file the image's lines save
    made: bytes  # what they saved
    shown: bytes  # the figure file the page shows under that name, in the same model's images


@dataclass
class ModelBlock:
    setup: str
    images: list[str]  # each image's own lines
    shown: dict[str, Path]  # file name -> the figure file shown beside this block


def model_blocks(markdown: str, project: Path) -> list[ModelBlock]:
    """Every Reproduce block of a page (one per model), with the figure files shown above it."""
    pieces = markdown.split("## Visual Comparison", 1)[1].split(BLOCK)
    blocks = []
    for above, piece in zip(pieces[:-1], pieces[1:], strict=True):
        images = SHOWN.findall(above.rsplit("</details>", 1)[-1])  # this model's: after the previous block
        inside = piece.split("</details>", 1)[0]
        assert 'class="sg-reproduce-setup"' in inside, "a Reproduce block without its set-up"
        codes = [html.unescape(code) for code in CODE.findall(inside)]
        blocks.append(ModelBlock(codes[0], codes[1:], {path.rsplit("/", 1)[-1]: project / path for path in images}))
    return blocks


def run_block(block: ModelBlock, order: list[int] | None = None) -> list[Reproduced]:
    """Execute a block's set-up once and then its images' lines in ``order`` (page order by default), in the
    working directory, in one namespace."""
    namespace: dict = {}
    exec(compile(block.setup, "setup", "exec"), namespace)
    done = []
    for index in order if order is not None else range(len(block.images)):
        code = block.images[index]
        exec(compile(code, f"image {index}", "exec"), namespace)
        [name] = SAVED.findall(code)
        done.append(Reproduced(name, Path(name).read_bytes(), block.shown[name].read_bytes()))
    return done
