"""Shapes of JSON data, and `conform`, which keeps the parts of a value that have the expected
shape and lists the parts it had to drop: a results header from another tool, another version
or a hostile hand is read for what it validly says, never trusted to be well-formed.

A shape is a Python type (str, int, bool, NUMBER for int or float; bool is never a number), ANY,
`Optional(shape)`, `ListOf(shape)`, `DictOf(shape)` (any string keys), or `Fields({key: shape},
required=(...))`: a dict whose named keys must have their shapes (other keys are kept as they
are); a dict missing a required key is dropped whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ANY = object()
NUMBER = (int, float)
DROPPED = object()  # what conform returns for a value that has not the shape


@dataclass(frozen=True, slots=True)
class Optional:
    shape: Any


@dataclass(frozen=True, slots=True)
class ListOf:
    shape: Any


@dataclass(frozen=True, slots=True)
class DictOf:
    shape: Any


@dataclass(frozen=True, slots=True)
class Fields:
    shapes: dict[str, Any]
    required: tuple[str, ...] = field(default=())


def _scalar_fits(value: Any, shape: Any) -> bool:
    if isinstance(value, bool):
        return shape is bool or (isinstance(shape, tuple) and bool in shape)
    return isinstance(value, shape)


def conform(value: Any, shape: Any, path: str, dropped: list[str]) -> Any:
    """`value` with every part that has not its shape left out (DROPPED when the whole value
    has not); each part left out is named in `dropped` by its path."""
    if shape is ANY:
        return value
    if isinstance(shape, Optional):
        return None if value is None else conform(value, shape.shape, path, dropped)
    if isinstance(shape, ListOf | DictOf | Fields):
        return _conform_container(value, shape, path, dropped)
    if _scalar_fits(value, shape):
        return value
    dropped.append(f"{path}: expected {_name(shape)}, got {type(value).__name__}")
    return DROPPED


def _conform_container(value: Any, shape: ListOf | DictOf | Fields, path: str,
                       dropped: list[str]) -> Any:  # fmt: skip
    if isinstance(shape, ListOf):
        if not isinstance(value, list):
            dropped.append(f"{path}: expected a list")
            return DROPPED
        items = (conform(item, shape.shape, f"{path}[{i}]", dropped)
                 for i, item in enumerate(value))  # fmt: skip
        return [item for item in items if item is not DROPPED]
    if not isinstance(value, dict):
        dropped.append(f"{path}: expected a JSON object")
        return DROPPED
    if isinstance(shape, Fields):
        missing = [key for key in shape.required if key not in value]
        if missing:
            dropped.append(f"{path}: no {missing[0]!r}")
            return DROPPED
    kept = {}
    for key, item in value.items():
        item_shape = shape.shape if isinstance(shape, DictOf) else shape.shapes.get(key, ANY)
        conformed = conform(item, item_shape, f"{path}.{key}", dropped)
        if conformed is not DROPPED:
            kept[key] = conformed
        elif isinstance(shape, Fields) and key in shape.required:
            return DROPPED
    return kept


def _name(shape: Any) -> str:
    if isinstance(shape, tuple):
        return " or ".join(kind.__name__ for kind in shape)
    return getattr(shape, "__name__", str(shape))
