"""Read spec YAML with positions, and write models back as YAML.

``parse_yaml`` turns text into plain Python data plus a map from every field path (a pydantic
``loc`` such as ``("metrics", 3, "owner")``) to the 1-based line and column where it is written.
Syntax problems come back as findings with a plain hint instead of an exception.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from demandos.errors import Finding, Location

PathPart = str | int
FieldPath = tuple[PathPart, ...]


@dataclass(frozen=True)
class Position:
    """1-based line and column in a file."""

    line: int
    column: int


@dataclass
class FilePositions:
    """Where each field path of one file is written."""

    file: str
    values: dict[FieldPath, Position] = field(default_factory=dict)
    keys: dict[FieldPath, Position] = field(default_factory=dict)

    def find(self, path: Sequence[PathPart], *, key: bool = False) -> Position | None:
        """The position of ``path`` or, if it is not written, of its nearest written ancestor.

        Scalars point at the value, mappings and lists at their key; ``key=True`` points at the
        key itself (for unknown keys).
        """
        parts = tuple(path)
        if key and parts in self.keys:
            return self.keys[parts]
        while parts:
            if parts in self.values:
                return self.values[parts]
            parts = parts[:-1]
        return self.values.get(())

    def locate(self, path: Sequence[PathPart], *, key: bool = False) -> Location:
        pos = self.find(path, key=key)
        if pos is None:
            return Location(self.file)
        return Location(self.file, pos.line, pos.column)


@dataclass
class ParsedYaml:
    """The outcome of reading one YAML file."""

    file: str
    data: Any = None
    positions: FilePositions = field(default_factory=lambda: FilePositions(""))
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def _record(node: Any, path: FieldPath, positions: FilePositions) -> None:
    """Walk a round-trip tree and record the position of every key, item and value."""
    if isinstance(node, CommentedMap):
        for key in node:
            child = node[key]
            k_line, k_col = node.lc.key(key)
            child_path = (*path, str(key))
            positions.keys[child_path] = Position(k_line + 1, k_col + 1)
            if isinstance(child, CommentedMap | CommentedSeq) and child:
                positions.values[child_path] = Position(k_line + 1, k_col + 1)
            else:
                v_line, v_col = node.lc.value(key)
                positions.values[child_path] = Position(v_line + 1, v_col + 1)
            _record(child, child_path, positions)
    elif isinstance(node, CommentedSeq):
        for index, child in enumerate(node):
            line, col = node.lc.item(index)
            positions.values[(*path, index)] = Position(line + 1, col + 1)
            _record(child, (*path, index), positions)


def _plain(node: Any) -> Any:
    """Round-trip types (CommentedMap, ScalarFloat, TimeStamp…) → plain Python values."""
    if isinstance(node, CommentedMap | dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq | list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, datetime):
        return datetime(*node.timetuple()[:6], node.microsecond, tzinfo=node.tzinfo)
    if isinstance(node, date):
        return date(node.year, node.month, node.day)
    if isinstance(node, str):
        return str(node)
    return node


def _syntax_hint(error: MarkedYAMLError) -> tuple[str, str]:
    """A plain message and hint for a YAML syntax error."""
    problem = (error.problem or "").strip()
    context = (error.context or "").strip()
    ctx_line = error.context_mark.line + 1 if error.context_mark is not None else None
    if "duplicate key" in problem:
        key = problem.split('"')[1] if '"' in problem else "?"
        return (
            f"duplicate key {key!r}",
            f"each key may appear once in a mapping (it is already set at line {ctx_line or '?'}); "
            "remove or rename one of them",
        )
    if "'\\t'" in problem:
        return "tab character in indentation", "YAML indentation uses spaces only: replace tabs"
    if "quoted scalar" in context:
        return (
            f"a quoted value opened at line {ctx_line} is never closed",
            "add the closing quote (' or \") at the end of the value",
        )
    if "mapping values are not allowed" in problem:
        return (
            "unexpected ':' in a value",
            "put quotes around a value that contains ': ', or move a nested key to its own "
            "line, indented under its parent",
        )
    if "flow sequence" in context or "flow mapping" in context:
        return (
            f"a [list] or {{mapping}} opened at line {ctx_line} is not closed",
            "close the bracket, and separate items with commas",
        )
    if "undefined alias" in problem:
        return problem, "an alias *name needs an anchor &name defined earlier in the file"
    if "block end" in problem or "expected key" in problem or "block collection" in context:
        return (
            "bad indentation",
            "keys of the same mapping must start in the same column, and nested keys need more "
            "spaces than their parent; list items start with '- ' at one indentation",
        )
    return f"YAML syntax error: {problem or context}", "check the YAML syntax around this line"


_OPENING_QUOTE = re.compile(r"""^\s*(?:-\s+)?(?:[^#'"\s][^#:]*:\s+)?(["'])""")


def _closing_quote(text: str, start: int, quote: str) -> int:
    """Offset of the quote that closes a scalar opened just before ``start``, or -1."""
    index = start
    while (index := text.find(quote, index)) != -1:
        if quote == '"' and text[index - 1] == "\\":
            index += 1
        elif quote == "'" and text[index + 1 : index + 2] == "'":
            index += 2
        else:
            return index
    return -1


def _unclosed_quote(text: str, error_line: int) -> tuple[int, int] | None:
    """0-based line and column of a quote that runs on to ``error_line``: one never closed."""
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for n in range(min(error_line, len(lines)) - 1, -1, -1):
        match = _OPENING_QUOTE.match(lines[n])
        if not match:
            continue
        close = _closing_quote(text, offsets[n] + match.end(), match[1])
        if close == -1 or close >= offsets[min(error_line, len(lines))]:
            return n, match.start(1)
        if close >= offsets[n + 1]:
            return None  # a legitimate multi-line quoted value that ends before the error
    return None


def parse_yaml(text: str, file: str) -> ParsedYaml:
    """Parse YAML ``text`` (from ``file``, used in findings) into data, positions and findings."""
    parsed = ParsedYaml(file=file, positions=FilePositions(file))
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message, hint = _syntax_hint(error)
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        if "quoted scalar" in (error.context or "") and error.context_mark is not None:
            line, column = error.context_mark.line + 1, error.context_mark.column + 1
        elif mark is not None and "duplicate" not in message and "tab" not in message:
            opened = _unclosed_quote(text, mark.line)
            if opened is not None:
                line, column = opened[0] + 1, opened[1] + 1
                message = f"a quoted value opened at line {line} is never closed"
                hint = "add the closing quote (' or \") at the end of the value"
        parsed.findings.append(
            Finding("error", Location(file, line, column), "", message, hint, rule="yaml")
        )
        return parsed
    if tree is None:
        parsed.findings.append(
            Finding(
                "error",
                Location(file, 1, 1),
                "",
                "the file is empty",
                "`demandos init` writes a commented example of every file; copy this one "
                "from there",
                rule="yaml",
            )
        )
        return parsed
    if not isinstance(tree, CommentedMap):
        kind = "a list" if isinstance(tree, CommentedSeq) else f"a single value ({tree!r})"
        parsed.findings.append(
            Finding(
                "error",
                Location(file, 1, 1),
                "",
                f"the top level is {kind}, not a mapping of keys",
                "the file must start with keys such as `name: …` or `metrics:`, each at the "
                "start of a line, with lists nested under them",
                rule="yaml",
            )
        )
        return parsed
    parsed.positions.values[()] = Position(tree.lc.line + 1, tree.lc.col + 1)
    _record(tree, (), parsed.positions)
    parsed.data = _plain(tree)
    return parsed


def read_yaml(path: Path, file: str) -> ParsedYaml:
    """Read and parse the YAML file at ``path``; ``file`` is how findings name it."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return ParsedYaml(
            file=file,
            positions=FilePositions(file),
            findings=[
                Finding(
                    "error",
                    Location(file),
                    "",
                    f"the file is not UTF-8 text (byte {error.start})",
                    "save the file as UTF-8",
                    rule="yaml",
                )
            ],
        )
    return parse_yaml(text, file)


def _yaml_writer() -> YAML:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def dump_data(data: Any) -> str:
    """Plain data (dicts, lists, scalars) → YAML text."""
    buffer = io.StringIO()
    _yaml_writer().dump(data, buffer)
    return buffer.getvalue()


def dump_yaml(model: BaseModel, *, exclude_unset: bool = True) -> str:
    """A spec model as YAML text that loads back into an equal model.

    Fields left at their defaults are not written (``exclude_unset``), so a loaded file dumps
    back to what its author wrote, minus comments.
    """
    data = model.model_dump(mode="json", by_alias=True, exclude_unset=exclude_unset)
    return dump_data(data)
