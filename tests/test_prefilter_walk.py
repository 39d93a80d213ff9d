"""``prefilter.walk`` is ``ast.walk`` as a list (same nodes, same order): the screen's and
pruning's walks use it instead of ``ast.walk``'s generators (issue 14: worker CPU time)."""

import ast
import glob
import os

from codemods import prefilter

SOURCE = """
import requests as r, httpx
from urllib.request import urlopen as u
@decorator(r.get("x", stream=True))
async def f(a, /, b: int = 1, *c, d, **e) -> "T":
    async with httpx.AsyncClient() as client:
        resp = await client.get(f"{a!r:>{b}}")
    x = [y for y in range(3) if y] + [*{k: v for k, v in {}.items()}]
    match resp:
        case {"a": [1, *rest]} | str() if rest:
            pass
        case _:
            lambda q=1: q
    try:
        u("x").read()
    except* (ValueError, TypeError) as exc:
        raise RuntimeError from exc
    finally:
        del x
class C(Base, metaclass=M):
    s: requests.Session = r.Session()
    def g(self): global G; return (yield from self.s)
"""


def _same(tree: ast.AST) -> None:
    expected = list(ast.walk(tree))
    got = prefilter.walk(tree)
    assert len(got) == len(expected)
    assert all(a is b for a, b in zip(got, expected))


def test_walk_is_ast_walk_in_order() -> None:
    tree = ast.parse(SOURCE)
    _same(tree)
    for node in ast.walk(tree):  # every subtree too (pruning walks functions)
        _same(node)


def test_walk_is_ast_walk_on_the_samples() -> None:
    root = os.path.join(os.path.dirname(__file__), os.pardir, "samples")
    paths = sorted(glob.glob(os.path.join(root, "**", "*.py"), recursive=True))
    assert paths
    for path in paths:
        try:
            tree = ast.parse(open(path, "rb").read())
        except SyntaxError:
            continue
        _same(tree)


def test_nodes_of_walks_the_tree_asked_about() -> None:
    first, second = ast.parse("import requests\nrequests.get(x)\n"), ast.parse("x = 1\n")
    assert prefilter.nodes_of(first) == prefilter.walk(first)
    assert prefilter.nodes_of(second)[0] is second  # a new tree: walked again, not the last one's
    assert prefilter.nodes_of(first)[0] is first
