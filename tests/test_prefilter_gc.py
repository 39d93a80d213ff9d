"""``prefilter.parse_ast`` parses with the cyclic garbage collector off, and puts it back."""

import gc

from codemods import prefilter

SOURCE = b"import requests\n" + b"".join(b"x%d = [requests.get(a, b=c) for a in range(3)]\n" % i for i in range(3000))


def _collections_during(data: bytes) -> int:
    seen = []

    def callback(phase, info):
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(callback)
    try:
        prefilter.parse_ast(data)
    finally:
        gc.callbacks.remove(callback)
    return len(seen)


def test_no_collection_while_parsing_and_gc_back_on():
    assert gc.isenabled()
    assert _collections_during(SOURCE) == 0
    assert gc.isenabled()


def test_gc_back_on_after_a_syntax_error():
    assert prefilter.parse_ast(b"def (:\n") is None
    assert gc.isenabled()


def test_gc_left_off_when_it_was_off():
    gc.disable()
    try:
        assert prefilter.parse_ast(SOURCE) is not None
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_same_tree_as_ast_parse():
    import ast

    assert ast.dump(prefilter.parse_ast(SOURCE)) == ast.dump(ast.parse(SOURCE))
