"""Tagged JSON: how the cache stores a result (any dataclass or enum of this package, tuples,
sets, dicts with any keys, bytes) as JSON, and reads it back naming no code but this package's
dataclasses and enums."""

from __future__ import annotations

import base64
import dataclasses
import enum
import sys
from typing import Any, Tuple


class NotStorable(Exception):
    pass


def pack(value: Any) -> Any:
    """Tagged JSON for any result: every dataclass and enum of this package, tuples, sets,
    dicts with any keys, bytes. Nothing else (a value this cannot hold is not stored)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, enum.Enum):
        return {"$e": [*_class_name(type(value)), pack(value.value)]}
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [pack(v) for v in value]
    if isinstance(value, tuple):
        return {"$t": [pack(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"$s" if isinstance(value, set) else "$f": [pack(v) for v in value]}
    if isinstance(value, dict):
        return {"$m": [[pack(k), pack(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: pack(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$o": [*_class_name(type(value)), fields]}
    raise NotStorable(type(value).__qualname__)


def _class_name(cls: type) -> Tuple[str, str]:
    if not (cls.__module__ == "codemods" or cls.__module__.startswith("codemods.")):
        raise NotStorable(cls.__qualname__)
    return cls.__module__, cls.__qualname__


def _class(module: str, qualname: str) -> Any:
    """Only classes of this package, only dataclasses and enums: an entry names no code."""
    if not (module == "codemods" or module.startswith("codemods.")) or module not in sys.modules:
        raise ValueError(module)
    found: Any = sys.modules[module]
    for part in qualname.split("."):
        found = getattr(found, part)
    if not isinstance(found, type) or not (dataclasses.is_dataclass(found) or issubclass(found, enum.Enum)):
        raise ValueError(qualname)
    return found


def unpack(value: Any) -> Any:
    if isinstance(value, list):
        return [unpack(v) for v in value]
    if not isinstance(value, dict):
        return value
    ((tag, body),) = value.items()
    if tag == "$t":
        return tuple(unpack(v) for v in body)
    if tag == "$s":
        return {unpack(v) for v in body}
    if tag == "$f":
        return frozenset(unpack(v) for v in body)
    if tag == "$m":
        return {unpack(k): unpack(v) for k, v in body}
    if tag == "$b":
        return base64.b64decode(body)
    if tag == "$e":
        return _class(body[0], body[1])(unpack(body[2]))
    if tag == "$o":
        cls = _class(body[0], body[1])
        fields = {name: unpack(v) for name, v in body[2].items()}
        init = {f.name for f in dataclasses.fields(cls) if f.init}
        obj = cls(**{k: v for k, v in fields.items() if k in init})
        for name, v in fields.items():
            if name not in init:
                object.__setattr__(obj, name, v)
        return obj
    raise ValueError(tag)
