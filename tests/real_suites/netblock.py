"""pytest plugin: block and record any look-up of / connection to a non-local host.

Load with `-p netblock` (this file's directory on PYTHONPATH). Every attempt is appended to
$NETBLOCK_LOG as `nodeid<TAB>function<TAB>host` (nodeid is `<collect>` outside a test), and
raises (socket.gaierror for look-ups, OSError for connects), so a test that catches the error
is still recorded."""

import os
import socket
import threading

import pytest

_LOCAL = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::", "", None, "ip6-localhost"}
_current = ["<collect>"]
_log = os.environ.get("NETBLOCK_LOG", "netblock.log")


def _local(host):
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return host in _LOCAL or (isinstance(host, str) and (host.startswith("127.") or host.endswith(".localhost")))


_noise = set(filter(None, os.environ.get("NETBLOCK_NOISE", "").split(",")))


def _record(func, host):
    # Hosts in $NETBLOCK_NOISE (e.g. a tracing thread's endpoint) are still blocked but logged
    # under `<noise>`, since they are not the test's own calls.
    who = "<noise>" if host in _noise else _current[0]
    with open(_log, "a") as f:
        f.write(f"{who}\t{func}\t{host}\t{threading.current_thread().name}\n")


_orig_getaddrinfo = socket.getaddrinfo
_orig_create_connection = socket.create_connection
_orig_connect = socket.socket.connect
_orig_connect_ex = socket.socket.connect_ex


def getaddrinfo(host, *args, **kwargs):
    if not _local(host):
        _record("getaddrinfo", host)
        raise socket.gaierror(socket.EAI_NONAME, f"netblock: look-up of {host!r} blocked")
    return _orig_getaddrinfo(host, *args, **kwargs)


def create_connection(address, *args, **kwargs):
    host = address[0] if isinstance(address, tuple) else address
    if not _local(host):
        _record("create_connection", host)
        raise OSError(f"netblock: connection to {address!r} blocked")
    return _orig_create_connection(address, *args, **kwargs)


def _check(sock, address, func):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple):
        if not _local(address[0]):
            _record(func, address[0])
            return False
    return True


def connect(self, address):
    if not _check(self, address, "connect"):
        raise OSError(f"netblock: connection to {address!r} blocked")
    return _orig_connect(self, address)


def connect_ex(self, address):
    if not _check(self, address, "connect_ex"):
        return 111  # ECONNREFUSED
    return _orig_connect_ex(self, address)


socket.getaddrinfo = getaddrinfo
socket.create_connection = create_connection
socket.socket.connect = connect
socket.socket.connect_ex = connect_ex


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    _current[0] = item.nodeid
    yield
    _current[0] = "<between>"
