"""Decide from raw bytes, before any parse, whether a file can hold a target at all.

A target needs an HTTP library (or a client the configuration names) to be mentioned by name,
so a file whose bytes never contain one of those words is skipped without being parsed. This
never rejects a file a codemod could change, and never turns a parseable file into an error:
it reads bytes, it does not parse.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Pattern, Tuple

LIBRARY_WORDS = ("requests", "httpx", "aiohttp", "urllib3", "urllib")


@lru_cache(maxsize=32)
def _pattern(extra: Tuple[str, ...]) -> Pattern[bytes]:
    words = sorted(set(LIBRARY_WORDS) | set(extra), key=len, reverse=True)
    return re.compile(rb"\b(?:" + b"|".join(re.escape(w.encode()) for w in words) + rb")\b")


def might_contain_target(data: bytes, extra_words: Iterable[str] = ()) -> bool:
    return _pattern(tuple(sorted(set(extra_words)))).search(data) is not None
