"""String enums: members compare, hash, format and serialise exactly as their values, so code
(and other branches) that compare with plain strings keep working."""

from __future__ import annotations

import enum


class StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)
