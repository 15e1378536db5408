"""Read one YAML file safely, keeping each value's source text and position.

Nothing here constructs Python objects from YAML tags: scalars stay the text the
contributor typed (so YAML 1.1 surprises like ``no`` or ``1e3`` can never turn a
text field into a bool or a float), and the schema decides what each one means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import yaml

from ..errors import Problem, first_line
from .yaml_errors import explain_syntax_error

MAX_FILE_BYTES = 256 * 1024
MAX_DEPTH = 16

_NULL_TEXT = re.compile(r"^(?:~|null|Null|NULL|)$")
_CORE_TAGS = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DEFAULT_TAGS = {
    yaml.ScalarNode: "tag:yaml.org,2002:str",
    yaml.SequenceNode: "tag:yaml.org,2002:seq",
    yaml.MappingNode: "tag:yaml.org,2002:map",
}


class _Loader(_Base):
    """Composes without guessing types: an untagged node gets its kind's plain tag (the schema types the
    text later), so no resolver regex runs per scalar; an explicit `!tag` is still seen and refused."""

    def resolve(self, kind, value, implicit):
        return _DEFAULT_TAGS[kind]


class PlainScalar(str):
    """An unquoted scalar, kept as its source text; the schema decides its type."""


class Position(NamedTuple):  # a tuple: one is made for every node of every file
    line: int  # 1-based
    column: int  # 1-based


class YamlReadError(Exception):
    def __init__(self, position: Position, message: str):
        self.position = position
        self.message = message
        super().__init__(message)

    def problem(self, shown: str) -> Problem:
        """The mistake at its line and column of the file shown as ``shown``."""
        return Problem(shown, self.position.line, self.position.column, "", self.message)


@dataclass
class YamlDocument:
    """A file's plain data, and where each value and key is in its text (found only when a problem asks)."""

    data: dict
    text: str = field(default="", repr=False)

    @cached_property
    def _positions(self) -> tuple[dict[tuple, Position], dict[tuple, Position]]:
        # Composed again: most files never have a problem, and a position per node is most of what
        # reading a file costs (and keeps alive for the whole build).
        values: dict[tuple, Position] = {}
        keys: dict[tuple, Position] = {}
        _walk_positions(yaml.compose(self.text, Loader=_Loader), (), values, keys)
        return values, keys

    @property
    def value_positions(self) -> dict[tuple, Position]:
        return self._positions[0]

    @property
    def key_positions(self) -> dict[tuple, Position]:
        return self._positions[1]

    def position_of(self, loc: tuple, *, prefer_key: bool = False) -> Position:
        """The position of the deepest part of ``loc`` that exists in the file."""
        for end in range(len(loc), -1, -1):
            prefix = tuple(loc[:end])
            if prefer_key and prefix in self.key_positions:
                return self.key_positions[prefix]
            if prefix in self.value_positions:
                return self.value_positions[prefix]
        return Position(1, 1)


def read_yaml(raw: bytes) -> YamlDocument:
    """Parse one setting file's bytes into plain data plus positions, or raise YamlReadError."""
    if len(raw) > MAX_FILE_BYTES:
        raise YamlReadError(
            Position(1, 1),
            f"file is {len(raw):,} bytes; a setting file may be at most {MAX_FILE_BYTES // 1024} KiB",
        )
    text = _decode(raw)
    _reject_tab_indentation(text)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        line, column, message = explain_syntax_error(error, text)
        raise YamlReadError(Position(line, column), message) from None
    except yaml.reader.ReaderError as error:
        raise YamlReadError(_position_of_index(text, error.position), _describe_bad_character(error)) from None
    except yaml.YAMLError as error:
        raise YamlReadError(Position(1, 1), f"YAML syntax error: {first_line(error)}") from None
    except RecursionError:
        raise YamlReadError(Position(1, 1), "YAML is nested too deeply") from None
    if root is None:
        raise YamlReadError(Position(1, 1), "file is empty; a setting needs at least name, summary and category")
    if not isinstance(root, yaml.MappingNode):
        kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        raise YamlReadError(
            _position(root),
            f"expected a mapping of fields (like `name: Inference Steps`) at the top level, found {kind}",
        )
    return YamlDocument(data=_convert(root, seen=set()), text=text)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        bad = raw[error.start : error.start + 1].hex()
        raise YamlReadError(Position(line, column), f"not valid UTF-8 (byte 0x{bad}); save the file as UTF-8") from None


_TAB_IN_INDENT = re.compile(r"^ *\t", re.MULTILINE)  # the first tab of a line's indentation


def _reject_tab_indentation(text: str) -> None:
    found = _TAB_IN_INDENT.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        column = found.end() - found.start()
        raise YamlReadError(
            Position(line, column),
            "tab character in indentation; YAML uses spaces, not tabs: indent this line with spaces",
        )


def _describe_bad_character(error: yaml.reader.ReaderError) -> str:
    code = error.character if isinstance(error.character, int) else ord(error.character[:1] or "\0")
    return f"character U+{code:04X} is not allowed in YAML (a control character, usually invisible); delete it"


def _position_of_index(text: str, index: int) -> Position:
    line_start = text.rfind("\n", 0, index) + 1
    return Position(text.count("\n", 0, index) + 1, index - line_start + 1)


def _position(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _convert(node: yaml.Node, seen: set[int], depth: int = 0):
    if id(node) in seen:
        # The composer shares one node between an anchor and its aliases; expanding
        # them could blow up exponentially ("billion laughs"), so refuse them outright.
        raise YamlReadError(
            _position(node), "YAML anchors and aliases (&name / *name) are not allowed; write the value out"
        )
    seen.add(id(node))
    if depth > MAX_DEPTH:
        raise YamlReadError(_position(node), f"nested more than {MAX_DEPTH} levels deep")
    if node.tag not in _CORE_TAGS:
        raise YamlReadError(_position(node), f"YAML tag {node.tag!r} is not allowed; remove the `!` tag")

    if isinstance(node, yaml.ScalarNode):
        if not node.style:  # plain (the C parser says "", the Python one None)
            return None if _NULL_TEXT.match(node.value) else PlainScalar(node.value)
        return node.value
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, seen, depth + 1) for item in node.value]

    mapping: dict[str, object] = {}
    key_nodes: dict[str, yaml.Node] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _CORE_TAGS:
            raise YamlReadError(_position(key_node), "a key must be plain text")
        key = str(key_node.value)
        if key in mapping:
            first = _position(key_nodes[key])
            raise YamlReadError(
                _position(key_node), f"duplicate key {key!r} (first set on line {first.line}); keep one of them"
            )
        key_nodes[key] = key_node
        mapping[key] = _convert(value_node, seen, depth + 1)
    return mapping


def _walk_positions(node: yaml.Node, path: tuple, values: dict, keys: dict) -> None:
    """Every value's and key's position, by its path of keys and indexes (a file that read cleanly)."""
    values[path] = _position(node)
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_positions(item, (*path, index), values, keys)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = (*path, str(key_node.value))
            keys[key] = _position(key_node)
            _walk_positions(value_node, key, values, keys)
