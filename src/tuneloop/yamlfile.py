"""Load YAML files into pydantic models with errors that point at file:line:column.

Why not plain ``yaml.safe_load`` + ``Model.model_validate``: both lose positions — a user with a
40-line prompt or suite file deserves "seoul.yaml:12:5: variables.count.type: …", not a dotted
path to hunt for. We compose PyYAML's node tree once, build the Python value and a map from each
key path to its line and column, and translate pydantic's error locations through that map.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from tuneloop.errors import TuneloopError

__all__ = ["YamlDocument", "load_yaml", "parse_yaml", "validate_yaml"]

M = TypeVar("M", bound=BaseModel)
Path_ = tuple[int | str, ...]


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: the value, and (line, column) — both 1-based — for each key path."""

    path: Path
    data: Any
    positions: dict[Path_, tuple[int, int]]
    value_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, loc: Path_, *, value: bool = False) -> str:
        """``file:line:col`` of the deepest known prefix of ``loc`` (its key, or its scalar
        value when ``value`` is true — where a wrong value is)."""
        for cut in range(len(loc), -1, -1):
            prefix = tuple(loc[:cut])
            pos = (self.value_positions.get(prefix) if value else None) or self.positions.get(
                prefix
            )
            if pos is not None:
                return f"{self.path}:{pos[0]}:{pos[1]}"
        return str(self.path)


def _build(
    node: yaml.Node,
    loc: Path_,
    positions: dict[Path_, tuple[int, int]],
    values: dict[Path_, tuple[int, int]],
) -> Any:
    mark = (node.start_mark.line + 1, node.start_mark.column + 1)
    positions.setdefault(loc, mark)
    if isinstance(node, yaml.ScalarNode):
        values[loc] = mark
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = (
                yaml.safe_load(yaml.serialize(key_node))
                if not isinstance(key_node, yaml.ScalarNode)
                else _scalar(key_node)
            )
            positions[(*loc, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = _build(value_node, (*loc, key), positions, values)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), positions, values) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    return yaml.SafeLoader("").construct_object(node, deep=True)


def parse_yaml(text: str, path: Path, error: type[TuneloopError]) -> YamlDocument:
    """Parse YAML text; a syntax error becomes ``error`` with file:line:column."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise error(
            f"{where}: invalid YAML — {exc.problem or exc}.",
            hint="Check indentation and quoting there (strings with ':' or '{{' need quotes).",
        ) from exc
    positions: dict[Path_, tuple[int, int]] = {}
    values: dict[Path_, tuple[int, int]] = {}
    data = _build(node, (), positions, values) if node is not None else None
    return YamlDocument(path=path, data=data, positions=positions, value_positions=values)


def load_yaml(path: str | Path, error: type[TuneloopError]) -> YamlDocument:
    """Read and parse a UTF-8 YAML file; unreadable files raise ``error`` naming the file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise error(f"{file}: no such file.", hint="Check the path.") from exc
    except UnicodeDecodeError as exc:
        raise error(
            f"{file}: not UTF-8 text ({exc.reason}).", hint="Save the file as UTF-8."
        ) from exc
    return parse_yaml(text, file, error)


def validate_yaml(doc: YamlDocument, model: type[M], error: type[TuneloopError]) -> M:
    """Validate ``doc.data`` as ``model``; every problem is listed with its file:line:column."""
    if not isinstance(doc.data, dict):
        raise error(
            f"{doc.path}: expected a mapping of keys at the top level, got "
            f"{type(doc.data).__name__}.",
            hint=f"See `tuneloop schema` for the {model.__name__} format.",
        )
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            dotted = ".".join(str(p) for p in loc) or "(top level)"
            msg = err["msg"]
            extra = err["type"] == "extra_forbidden"
            if extra:
                msg = "unknown key"
            lines.append(f"{doc.where(loc, value=not extra)}: {dotted}: {msg}")
        raise error(
            "; ".join(lines) + ".",
            hint=f"Fix the {model.__name__} file at those lines.",
        ) from exc
