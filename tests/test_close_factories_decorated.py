"""Factories decorated by a transparent decorator of the project (``facts/decorators.py``), and
factories that open through ``urllib.request.build_opener`` (``facts/factories.py``)."""

from __future__ import annotations

import pytest

from tests.test_close_factories import factories, make, run

UTILS = """\
import functools
import threading
import time
from typing import Callable, TypeVar, cast

F = TypeVar("F", bound=Callable)


def function_with_previous(func: F) -> F:
    \"\"\"Biopython's: the function itself, with an attribute.\"\"\"
    function_with_previous = cast(F, func)
    function_with_previous.previous = None
    return function_with_previous


def throttled(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        time.sleep(0.01)
        return func(*args, **kwargs)

    wrapper.calls = 0
    return wrapper


_LOCK = threading.Lock()


def serialised(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _LOCK:
            return func(*args, **kwargs)

    return wrapper
"""

REST = """\
from urllib.request import urlopen

from pkg.utils import DECORATOR


@DECORATOR
def _q(op, arg):
    _q.previous = op
    resp = urlopen("https://rest.example/%s/%s" % (op, arg))
    return resp


def kegg_info(db):
    handle = _q("info", db)
    return handle.read()
"""


def project(tmp_path, decorator: str, utils: str = UTILS):
    return make(tmp_path, {"pkg/utils.py": utils, "pkg/rest.py": REST.replace("DECORATOR", decorator)})


@pytest.mark.parametrize("decorator", ["function_with_previous", "throttled", "serialised"])
def test_a_factory_under_a_transparent_decorator_is_one_and_its_callers_are_fixed(tmp_path, decorator):
    root = project(tmp_path, decorator)
    assert factories(root) == ["pkg.rest._q"]
    sites = run(root)["pkg/rest.py"]
    # The factory's own binding is no site any more; its caller is fixed.
    assert [(line, action) for line, action, _ in sites] == [(14, "fixed")]
    text = (root / "pkg" / "rest.py").read_text()
    assert '    with _q("info", db) as handle:\n        return handle.read()\n' in text
    compile(text, "rest.py", "exec")
    assert not any(a == "fixed" for s in run(root).values() for _, a, _ in s)  # a second run changes nothing


def test_a_decorator_of_the_same_module_is_read_too(tmp_path):
    source = REST.replace("from pkg.utils import DECORATOR\n", UTILS).replace("DECORATOR", "throttled")
    root = make(tmp_path, {"pkg/rest.py": source})
    assert factories(root) == ["pkg.rest._q"]
    assert [action for _, action, _ in run(root)["pkg/rest.py"]] == ["fixed"]


CACHING = """\
import contextlib
import functools

_CACHE = {}


def cached(func):
    @functools.wraps(func)
    def wrapper(*args):
        if args not in _CACHE:
            _CACHE[args] = func(*args)
        return _CACHE[args]

    return wrapper


def other(func):
    def wrapper(*args, **kwargs):
        result = func(*args, **kwargs)
        return result.read()

    return wrapper


def twice(func):
    def wrapper(*args, **kwargs):
        func(*args, **kwargs)
        return func(*args, **kwargs)

    return wrapper


def swallow(func):
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except OSError:
            return None

    return wrapper


def maybe(func):
    def wrapper(*args, **kwargs):
        if args:
            return func(*args, **kwargs)

    return wrapper


def suppressed(func):
    def wrapper(*args, **kwargs):
        with contextlib.suppress(OSError):
            return func(*args, **kwargs)

    return wrapper


def locked_by_a_parameter(func):
    def wrapper(lock, *args, **kwargs):
        with lock:
            return func(*args, **kwargs)

    return wrapper


def registered(func):
    REGISTRY.append(func)
    return func


def recode(func):
    func.__code__ = (lambda *a: None).__code__
    return func


def rebound(func):
    return func


rebound = functools.lru_cache(rebound)

REGISTRY = []
"""


@pytest.mark.parametrize(
    "decorator",
    [
        "cached",  # keeps the response and hands it out again
        "other",  # returns something else
        "twice",  # drops a response
        "swallow",  # returns None on an error
        "maybe",  # falls off its end
        "suppressed",  # its with may swallow the exception: falls off its end
        "locked_by_a_parameter",  # a with of anything: it may swallow it
        "registered",  # keeps the function: called out of sight
        "recode",  # replaces what it runs
        "rebound",  # bound twice in its module
        "functools.lru_cache",  # not the project's
        "unknown",  # not bound at all
    ],
)
def test_a_decorator_not_proven_transparent_keeps_the_factory_reported(tmp_path, decorator):
    if decorator == "functools.lru_cache":
        rest = REST.replace("from pkg.utils import DECORATOR", "import functools")
    elif decorator == "unknown":
        rest = REST.replace("from pkg.utils import DECORATOR\n", "")
    else:
        rest = REST.replace("pkg.utils", "pkg.decorators")
    root = make(tmp_path, {"pkg/decorators.py": CACHING, "pkg/rest.py": rest.replace("DECORATOR", decorator)})
    assert factories(root) == []
    sites = run(root, "--check")["pkg/rest.py"]
    assert [(line, action) for line, action, _ in sites][0][1] == "reported", sites
    assert not any(action == "fixed" for _, action, _ in sites), sites  # the caller is left unchanged


def test_a_decorator_factory_call_stays_opaque(tmp_path):
    utils = UTILS + "\n\ndef every(seconds):\n    return throttled\n"
    rest = REST.replace("import DECORATOR", "import every").replace("@DECORATOR", "@every(1)")
    root = make(tmp_path, {"pkg/utils.py": utils, "pkg/rest.py": rest})
    assert factories(root) == []
    # What ``every(1)`` returns is not read; ``throttled`` itself is transparent.
    root = make(tmp_path / "plain", {"pkg/utils.py": utils, "pkg/rest.py": REST.replace("DECORATOR", "throttled")})
    assert factories(root) == ["pkg.rest._q"]


OPENER = """\
import urllib.request


def urlopen(url, *args, **kwargs):
    handlers = [urllib.request.HTTPSHandler()]
    opener = urllib.request.build_opener(*handlers)
    return opener.open(url, *args, **kwargs)


def fetch(url):
    # from pkg.net import urlopen, other   (a comment names it: no use)
    resp = urlopen(url)
    return resp.read()
"""


def test_an_openers_open_is_a_fresh_response_of_a_factory(tmp_path):
    # nltk ``pathsec.urlopen``
    root = make(tmp_path, {"pkg/net.py": OPENER})
    assert factories(root) == ["pkg.net.urlopen"]
    assert [(line, action) for line, action, _ in run(root)["pkg/net.py"]] == [(12, "fixed")]
    text = (root / "pkg" / "net.py").read_text()
    assert "    with urlopen(url) as resp:\n        return resp.read()\n" in text


def test_an_opener_bound_to_something_else_too_is_no_factory(tmp_path):
    source = OPENER.replace(
        "    return opener.open", "    if not handlers:\n        opener = make_opener()\n    return opener.open"
    )
    root = make(tmp_path, {"pkg/net.py": source})
    assert factories(root) == []


ENTREZ = """\
import io
from urllib.error import URLError
from urllib.request import urlopen

MAX_TRIES = 3


def _open(request):
    for i in range(MAX_TRIES):
        try:
            handle = urlopen(request)
        except URLError:
            if i >= MAX_TRIES - 1:
                raise
        else:
            break
    if handle.headers.get_content_subtype() == "plain":
        url = handle.url
        handle = io.TextIOWrapper(handle, encoding="UTF-8")
        handle.url = url
    return handle


def efetch(request):
    stream = _open(request)
    return stream.read()
"""


def test_a_name_rebound_to_an_owning_wrapper_of_itself_still_holds_the_response(tmp_path):
    # biopython Entrez ``_open``: ``handle = io.TextIOWrapper(handle, ...)``
    root = make(tmp_path, {"pkg/entrez.py": ENTREZ})
    assert factories(root) == ["pkg.entrez._open"]
    assert [(line, action) for line, action, _ in run(root)["pkg/entrez.py"]] == [(25, "fixed")]


@pytest.mark.parametrize(
    "change",
    [
        ("            handle = urlopen(request)", "            handle = open(request)"),  # no response
        ("            handle = urlopen(request)", "            handle = io.TextIOWrapper(handle)"),  # only itself
        ('handle = io.TextIOWrapper(handle, encoding="UTF-8")', "handle = io.TextIOWrapper(url)"),  # another name
    ],
)
def test_a_wrapper_of_itself_is_a_response_only_with_a_response_among_its_bindings(tmp_path, change):
    root = make(tmp_path, {"pkg/entrez.py": ENTREZ.replace(*change)})
    assert factories(root) == []
    assert not any(action == "fixed" and line == 25 for line, action, _ in run(root).get("pkg/entrez.py", []))


RETRIES = """\
import requests


def _give_up(error):
    if error is not None:
        raise RuntimeError("gave up") from error
    raise RuntimeError("gave up")


def _get(*, sess: requests.Session, url, retries):
    last = None
    for _ in range(retries):
        try:
            return sess.get(url, stream=True, timeout=5)
        except requests.ConnectionError as error:
            last = error
    _give_up(last)


def size(sess, url):
    res = _get(sess=sess, url=url, retries=3)
    return len(res.content)
"""


def test_a_retry_loop_ended_by_a_function_that_always_raises_on_an_annotated_session(tmp_path):
    # gdown ``_get_response_with_retries``: ``sess: requests.Session``; after the loop
    # ``_raise_retries_exhausted(...)``, whose every path raises
    root = make(tmp_path, {"pkg/dl.py": RETRIES})
    assert factories(root) == ["pkg.dl._get"]
    assert [(line, action) for line, action, _ in run(root)["pkg/dl.py"]] == [(21, "fixed")]
    text = (root / "pkg" / "dl.py").read_text()
    assert "    with _get(sess=sess, url=url, retries=3) as res:\n        return len(res.content)\n" in text


@pytest.mark.parametrize(
    "change",
    [
        ('    raise RuntimeError("gave up")\n\n\ndef _get', "    print(error)\n\n\ndef _get"),  # may return
        ("sess: requests.Session", "sess"),  # the client's class is not settled
        ("sess: requests.Session", "sess: object"),
        ("    last = None\n", "    last = None\n    sess = make(sess)\n"),  # rebound
        ("def size", "_give_up = print\n\n\ndef size"),  # rebound in the module
        ('    raise RuntimeError("gave up")\n\n\ndef _get', '    return "gave up"\n\n\ndef _get'),
    ],
)
def test_a_path_after_the_loop_that_may_return_or_an_unsettled_session_is_no_factory(tmp_path, change):
    source = RETRIES.replace(*change)
    assert source != RETRIES
    root = make(tmp_path, {"pkg/dl.py": source})
    assert factories(root) == []
    assert not any(action == "fixed" for _, action, _ in run(root).get("pkg/dl.py", []))


def test_the_callers_cached_result_follows_the_decorators_file(tmp_path):
    # The decorator's module is neither the factory's nor the caller's: a change that makes
    # it opaque must reach the caller's cached result too.
    import json
    import os

    from click.testing import CliRunner

    from codemods.cli import command

    root = project(tmp_path, "throttled")
    cache = tmp_path / "cache"

    def cached():
        cwd = os.getcwd()
        os.chdir(root)
        try:
            args = ["--select", "close-response", "--check", "--format", "json", "-j", "1", "--cache-dir", str(cache)]
            result = CliRunner().invoke(command, [*args, "."])
        finally:
            os.chdir(cwd)
        data = json.loads(result.stdout)
        return {f["path"]: [(s["line"], s["action"]) for s in f["sites"]] for f in data["files"] if f["sites"]}

    assert cached()["pkg/rest.py"] == [(14, "fixed")]
    (root / "pkg" / "utils.py").write_text(UTILS.replace("        return func(*args, **kwargs)", "        func(*args)"))
    assert [action for _, action in cached()["pkg/rest.py"]] == ["reported"]  # its own site again


@pytest.mark.parametrize(
    "text, factory",
    [
        ('    """Calls _q, kegg_info or ..."""\n', True),  # a docstring names it: no use
        ("    # _q, or the like\n", True),  # a comment
        ("    handlers = [_q]\n", False),  # a reference handed on (a list)
        ('    run(_q, "x")\n', False),  # an argument
    ],
)
def test_a_factory_named_in_text_only_is_still_one(tmp_path, text, factory):
    # biopython Entrez's docstring ``# or esearch, efetch, ...``; the screen reads name
    # tokens of the code, not words of its strings and comments
    rest = REST.replace("DECORATOR", "throttled").replace("def kegg_info(db):\n", "def kegg_info(db):\n" + text)
    root = project(tmp_path, "throttled")
    (root / "pkg" / "rest.py").write_text(rest)
    assert factories(root) == (["pkg.rest._q"] if factory else [])
