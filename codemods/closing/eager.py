"""What is eager: the vocabulary the taint analysis (``taint.py``) and the escape checks
(``escape.py``) use to decide whether a value may still refer to a response or client.

An expression is *eager* when its value cannot hold a reference to the object it was computed
from (``r.json()``, ``r.status_code``, ``list(r.iter_lines())``); everything else may keep the
object alive and is followed as tainted.
"""

from __future__ import annotations


#: Attributes of a response (or client) whose value holds no reference to it.
EAGER_ATTRS = frozenset(
    {
        "status_code",
        "status",
        "code",
        "reason",
        "reason_phrase",
        "ok",
        "url",
        "headers",
        "cookies",
        "encoding",
        "apparent_encoding",
        "text",
        "content",
        "elapsed",
        "history",
        "links",
        "is_redirect",
        "is_permanent_redirect",
        "request",
        "http_version",
        "is_success",
        "is_error",
        "is_client_error",
        "is_server_error",
        "is_informational",
        "data",
        "msg",
        "version",
        "length",
        "closed",
        "content_type",
        "charset",
        "content_length",
        "real_url",
        "host",
        "method",
        "raw_headers",
        "num_bytes_downloaded",
        "auth",
        "params",
        "verify",
        "cert",
        "proxies",
        "trust_env",
        "max_redirects",
        "base_url",
        "timeout",
    }
)
#: ... except in aiohttp, where ``resp.content`` is the body's stream reader.
LAZY_ATTRS_BY_LIBRARY = {"aiohttp": frozenset({"content", "text", "json", "read"})}

#: Methods that return a coroutine reading from the object: eager only when awaited at once
#: (every aiohttp response method, and httpx's async ones).
COROUTINE_METHODS = frozenset({"aread", "aclose", "wait_for_close"})
ALL_METHODS_ARE_COROUTINES = frozenset({"aiohttp"})

#: Methods of a response whose result holds no reference to it.
EAGER_METHODS = frozenset(
    {
        "json",
        "read",
        "read1",
        "readline",
        "readlines",
        "readinto",
        "getcode",
        "geturl",
        "info",
        "getheader",
        "getheaders",
        "getstatus",
        "text",
        "release",
        "close",
        "aclose",
        "aread",
        "drain_conn",
        "release_conn",
        "tell",
        "fileno",
        "decode",
        "wait_for_close",
        "isclosed",
        "readable",
        "seekable",
        "writable",
        "peek",
        "merge_environment_settings",
    }
)

#: Iterating these (or a response itself) yields plain data: bytes, str or lines.
ELEMENT_EAGER_METHODS = frozenset(
    {
        "iter_content",
        "iter_lines",
        "iter_bytes",
        "iter_text",
        "iter_raw",
        "aiter_bytes",
        "aiter_text",
        "aiter_lines",
        "aiter_raw",
        "iter_chunked",
        "iter_any",
        "iter_chunks",
        "readlines",
        "stream",
    }
)

#: Functions that consume their arguments and return plain data (normalised qualified names).
EAGER_FUNCTIONS = frozenset(
    {
        "builtins." + n
        for n in (
            "list",
            "tuple",
            "bytes",
            "bytearray",
            "str",
            "int",
            "float",
            "bool",
            "len",
            "sorted",
            "sum",
            "min",
            "max",
            "any",
            "all",
            "set",
            "frozenset",
            "dict",
            "repr",
            "print",
            "isinstance",
            "hash",
            "id",
            "next",
            "type",
            "format",
            "ord",
            "hex",
            "abs",
            "round",
            "callable",
            "issubclass",
            "hasattr",
            "ascii",
        )
    }
    | {
        "json.load",
        "json.loads",
        "json.dump",
        "json.dumps",
        "shutil.copyfileobj",
        "base64.b64encode",
        "base64.b64decode",
        "zlib.decompress",
        "gzip.decompress",
        "hashlib.md5",
        "hashlib.sha1",
        "hashlib.sha256",
        "hashlib.sha512",
        "os.path.join",
        "logging.info",
        "logging.debug",
        "logging.warning",
        "logging.error",
    }
)

#: Eager functions whose result may be one of their arguments (or an element of one).
PASS_THROUGH_FUNCTIONS = frozenset(
    "builtins." + n for n in ("dict", "max", "min", "next", "sorted", "list", "tuple", "set", "frozenset", "sum")
)

#: Functions whose result wraps their argument but which keep it nowhere else: the taint
#: follows the result (``reader = csv.reader(io.TextIOWrapper(r.raw))``).
WRAPPING_FUNCTIONS = frozenset(
    {
        "io.TextIOWrapper",
        "io.BufferedReader",
        "io.BytesIO",
        "io.StringIO",
        "csv.reader",
        "csv.DictReader",
        "codecs.getreader",
        "codecs.iterdecode",
        "gzip.GzipFile",
        "gzip.open",
        "zipfile.ZipFile",
        "tarfile.open",
        "builtins.iter",
        "builtins.enumerate",
        "builtins.zip",
        "builtins.map",
        "builtins.filter",
        "builtins.reversed",
        "itertools.islice",
        "itertools.chain",
        "contextlib.closing",
        "contextlib.aclosing",
        # ``ProgressBar(iterable)``: ``self.iter = iter(iterable)``, read while it is iterated
        # (shodan's ``with click.progressbar(r.iter_content(...)) as bar: for chunk in bar``).
        "click.progressbar",
        "click.termui.progressbar",
        # sseclient-py's ``SSEClient(event_source)``: ``self._event_source = event_source``, read
        # while ``events()`` is iterated (its ``Event`` s hold strings), closed by its ``close()``
        # (langchain's ``client = sseclient.SSEClient(response)``).
        "sseclient.SSEClient",
    }
)

#: Methods of another object that consume their (tainted) argument and keep nothing.
CONSUMER_METHODS = frozenset(
    {"join", "write", "writelines", "info", "debug", "warning", "error", "exception", "critical", "log"}
)

#: Methods and functions that keep what they are given: passing a tainted object is an escape.
RETAINING_METHODS = frozenset(
    {
        "append",
        "appendleft",
        "add",
        "extend",
        "extendleft",
        "insert",
        "put",
        "put_nowait",
        "setdefault",
        "update",
        "push",
        "enter_context",
        "enter_async_context",
        "callback",
        "push_async_exit",
        "push_async_callback",
        "submit",
        "create_task",
        "ensure_future",
        "run_in_executor",
        "call_soon",
        "call_soon_threadsafe",
        "call_later",
        "start_soon",
        "apply_async",
        "map_async",
        "register",
        "set_result",
        # ``monkeypatch.setattr(obj, "attr", x)``, ``obj.__setattr__("attr", x)`` and the
        # item forms install ``x`` where it outlives the call, as ``obj.attr = x`` does.
        "setattr",
        "setitem",
        "__setattr__",
        "__setitem__",
    }
)
RETAINING_FUNCTIONS = frozenset(
    {
        "builtins.setattr",
        "functools.partial",
        "weakref.finalize",
        "atexit.register",
        "asyncio.create_task",
        "asyncio.ensure_future",
        "threading.Thread",
        "multiprocessing.Process",
        "contextlib.ExitStack",
        "contextlib.AsyncExitStack",
    }
)

#: Functions whose result reads its file argument lazily (``PIL.Image.open(r.raw)`` keeps
#: ``r.raw`` as ``im.fp``) -> the methods of that result that read all of it and return a new
#: object keeping nothing of the file (``Image.convert``/``copy`` load the pixels first).
LOADING_METHODS = {"PIL.Image.open": frozenset({"convert", "copy"})}

#: Methods of a response that raise an exception carrying it (``e.response``).
RAISING_METHODS = frozenset({"raise_for_status"})

#: Methods that close the object they are called on (``finally: r.close()``).
CLOSING_METHODS = frozenset({"close", "aclose", "release", "release_conn"})


#: Client methods whose response has its body read before it is returned, so it holds no
#: connection and nothing its client's ``close()`` affects (``s.get(u).json()`` after the
#: session is closed works): client class -> (methods, the keyword that would stream it and
#: the literal value that keeps it read, how many positional arguments reach that parameter
#: or None when none can). ``prepare_request``/``build_request`` make a request object that
#: refers to nothing of the client. aiohttp reads bodies later: none of its methods are here.
READ_RESPONSE_METHODS = {
    "requests.Session": {
        **{
            verb: ("stream", "False", None)
            for verb in ("get", "options", "head", "post", "put", "patch", "delete", "send")
        },
        "request": ("stream", "False", 13),
        "prepare_request": (None, None, None),
    },
    "httpx.Client": {
        **{
            verb: (None, None, None) for verb in ("get", "options", "head", "post", "put", "patch", "delete", "request")
        },
        "send": ("stream", "False", None),
        "build_request": (None, None, None),
    },
    "urllib3.PoolManager": {
        "request": ("preload_content", "True", None),
        "request_encode_url": ("preload_content", "True", None),
        "request_encode_body": ("preload_content", "True", None),
        "urlopen": ("preload_content", "True", 13),
    },
}
#: The same for async clients, whose methods return a coroutine holding the client: the
#: response is read only when the call is awaited at once.
READ_RESPONSE_METHODS["httpx.AsyncClient"] = READ_RESPONSE_METHODS["httpx.Client"]
AWAITED_CLIENTS = frozenset({"httpx.AsyncClient"})
