"""tests/real_suites/netblock.py, the plugin the README's real-suite runs (issue 11) load: it must
block and log a look-up of a non-local host even when the test catches the error, let local
connections through, and name the test; compare.py must count that test as newly networked."""

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

SUITES = Path(__file__).resolve().parent / "real_suites"

PROJECT_TEST = """
import socket

def test_catches_lookup():
    try:
        socket.getaddrinfo("api.example.invalid", 443)
    except OSError:
        pass

def test_local(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.close()

def test_connect_ip():
    s = socket.socket()
    try:
        assert s.connect_ex(("192.0.2.1", 80)) != 0
    finally:
        s.close()
"""


def _run(tmp_path, port):
    (tmp_path / "test_proj.py").write_text(PROJECT_TEST)
    (tmp_path / "conftest.py").write_text(f"import pytest\n\n@pytest.fixture\ndef port():\n    return {port}\n")
    env = dict(os.environ, PYTHONPATH=str(SUITES), NETBLOCK_LOG=str(tmp_path / "net.log"))
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "netblock", "-q"]
    cmd += ["--junitxml", str(tmp_path / "out.xml"), "test_proj.py"]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_blocks_and_logs_by_test(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    threading.Thread(target=lambda: server.accept()[0].close(), daemon=True).start()
    try:
        proc = _run(tmp_path, server.getsockname()[1])
    finally:
        server.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line.split("\t")[:3] for line in (tmp_path / "net.log").read_text().splitlines()]
    assert ["test_proj.py::test_catches_lookup", "getaddrinfo", "api.example.invalid"] in lines
    assert ["test_proj.py::test_connect_ip", "connect_ex", "192.0.2.1"] in lines
    assert not any(test.endswith("test_local") for test, _, _ in lines)

    empty = tmp_path / "none.log"
    cmd = [sys.executable, str(SUITES / "compare.py"), str(tmp_path / "out.xml"), str(tmp_path / "out.xml")]
    cmp = subprocess.run(cmd + [str(empty), str(tmp_path / "net.log")], capture_output=True, text=True)
    assert cmp.returncode == 1 and "newly: 2" in cmp.stdout, cmp.stdout
    same = subprocess.run(cmd + [str(tmp_path / "net.log")] * 2, capture_output=True, text=True)
    assert same.returncode == 0 and "newly failing: 0" in same.stdout, same.stdout
