"""share-session and an optional dependency: ``try: import requests`` / ``except ImportError``.

The client goes into the ``try``, right after the import (codemods/share/guarded.py): the
module still imports without requests, and a call made without it fails as it did.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.helpers import cli_sites, make_project, reasons, transform


def fix(source, **options):
    values = {k.replace("_", "-"): v for k, v in options.items()}
    return transform(source, ["share-session"], {"share-session": values})


def test_pass_handler_gets_the_client_inside_the_try():
    new, sites = fix(
        """
        import json

        try:
            import requests
        except ImportError:
            pass


        def fetch(url):
            return json.loads(requests.get(url).text)
        """
    )
    assert new == (
        "\nimport json\n\n"
        "try:\n"
        "    import http.cookiejar as _cookiejar\n\n"
        "    import requests\n\n"
        "    _session = requests.Session()\n"
        "    _session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))\n"
        "except ImportError:\n"
        "    pass\n\n\n"
        "def fetch(url):\n"
        "    return json.loads(_session.get(url).text)\n"
    )
    assert [s.action for s in sites] == ["fixed"]


def test_none_handler_gets_none_for_the_client_too():
    new, _ = fix(
        """
        try:
            import requests
        except ImportError:  # optional
            requests = None


        def fetch(url):
            return requests.get(url).json()
        """
    )
    assert "    requests = None\n    _session = None\n" in new
    assert "except ImportError:  # optional\n" in new
    assert "return _session.get(url).json()" in new


@pytest.mark.parametrize(
    "guard",
    [
        "try:\n    import requests\nexcept ImportError:\n    import fallback as requests\n",
        "try:\n    import requests\nexcept ImportError:\n    requests = object()\n",
        "try:\n    import requests\nexcept ValueError:\n    pass\n",
        "try:\n    import requests\nexcept ImportError:\n    pass\nelse:\n    pass\n",
        "try:\n    import requests\nexcept ImportError:\n    pass\nfinally:\n    pass\n",
        "import os\nif os.environ.get('HTTP'):\n    import requests\n",
    ],
    ids=["rebound-by-import", "rebound-to-object", "not-import-error", "else", "finally", "if"],
)
def test_other_conditional_imports_stay_reported(guard):
    source = guard + "\n\ndef f(u):\n    return requests.get(u)\n"
    new, sites = fix(source)
    assert new == source
    [(_, reason)] = reasons(sites)
    assert "requests is" in reason


def test_function_scope_keeps_the_report():
    source = "try:\n    import requests\nexcept ImportError:\n    pass\n\n\ndef f(u):\n    return requests.get(u)\n"
    new, sites = fix(source, session_scope="function")
    assert new == source


PACKAGE = {
    "pkg/api.py": """\
        try:
            import requests
        except ImportError:
            requests = None


        def status(url):
            try:
                return requests.get(url, timeout=5).status_code
            except OSError:
                return None
        """,
}


def _run(root, code):
    """Run ``code`` in ``root`` with requests unimportable; its last line printed."""
    program = "import sys\nsys.modules['requests'] = None\n" + textwrap.dedent(code)
    out = subprocess.run([sys.executable, "-c", program], cwd=root, capture_output=True, text=True, timeout=120)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr


def test_package_strategy_imports_the_client_inside_the_try_and_fails_alike(tmp_path):
    root = make_project(tmp_path, {k: textwrap.dedent(v) for k, v in PACKAGE.items()})
    check = """
        import pkg.api
        try:
            pkg.api.status("http://127.0.0.1:9/")
        except Exception as exc:
            print(type(exc).__name__, exc)
        """
    before = _run(root, check)
    assert before == "AttributeError 'NoneType' object has no attribute 'get'", before
    sites = cli_sites(root, "--select", "share-session")
    assert [a for _, a, _ in sites["pkg/api.py"]] == ["fixed"]
    text = (root / "pkg/api.py").read_text()
    assert text.startswith(
        "try:\n    import requests\n\n    from ._http_client import session as _session\n"
        "except ImportError:\n    requests = None\n    _session = None\n"
    ), text
    assert _run(root, check) == before


def test_a_later_run_reuses_the_guarded_client_and_sees_it(tmp_path):
    # review: a second run added `from ._http_client import session as _session_1` (a new
    # I001), and the `_session = None` fallback hid the client from add-timeout
    first = (
        "try:\n    import requests\nexcept ImportError:\n    requests = None\n\n\n"
        "def status(url):\n    return requests.get(url, timeout=5).status_code\n"
    )
    root = make_project(tmp_path, {"pkg/api.py": first})
    cli_sites(root, "--select", "share-session")
    text = (root / "pkg/api.py").read_text()
    assert "    from ._http_client import session as _session\n" in text, text
    later = "\n\ndef send(url):\n    return requests.post(url, data=b'x', timeout=5).status_code\n"
    (root / "pkg/api.py").write_text(text + later)
    sites = cli_sites(root, "--select", "share-session")
    assert [a for _, a, _ in sites["pkg/api.py"]] == ["fixed"], sites
    text = (root / "pkg/api.py").read_text()
    assert "_session_1" not in text, text
    assert "return _session.post(url, data=b'x', timeout=5).status_code" in text, text
    (root / "pkg/api.py").write_text(text.replace(", timeout=5", ""))
    sites = cli_sites(root, "--select", "add-timeout")
    assert [a for _, a, _ in sites["pkg/api.py"]] == ["fixed", "fixed"], sites
