"""A small API client written as module-level functions, as many SDKs are.

Every call goes through ``requests.get``/``requests.post``, which build and tear down a whole
Session per call: a new TCP connection (and, over TLS, a new handshake) every time.
"""

import http.cookiejar as _cookiejar
import json
import os

import requests

_session = requests.Session()
_session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))

API = os.environ.get("SERVER_URL", "http://127.0.0.1:8000")


def get_user(user_id):
    response = _session.get(f"{API}/json", params={"user": user_id})
    response.raise_for_status()
    return response.json()["query"]["user"]


def create_note(user_id, text):
    response = _session.post(f"{API}/json", json={"user": user_id, "text": text})
    response.raise_for_status()
    return json.loads(response.json()["body"])


def visit(path):
    """A cookie set by one call must not leak into the next: bare calls never share them."""
    return _session.get(f"{API}{path}").json()


def main():
    users = [get_user(i) for i in range(8)]
    notes = [create_note(user, f"hello {user}")["text"] for user in users[:4]]
    visit("/set-cookie")
    cookie = visit("/cookies")["cookie"]
    print(json.dumps({"users": users, "notes": notes, "cookie": cookie}, sort_keys=True))


if __name__ == "__main__":
    main()
