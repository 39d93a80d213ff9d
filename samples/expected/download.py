"""Download a list of files in chunks, skipping the ones that are missing or too large.

The skip paths leave the streamed response unread and unclosed: its connection stays open.
"""

import hashlib
import http.cookiejar as _cookiejar
import json
import os
import tempfile

import requests

_session = requests.Session()
_session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))

SERVER_URL = os.environ.get("SERVER_URL", "http://127.0.0.1:8000")
MAX_BYTES = 100_000

FILES = [
    ("small.bin", "/bytes?size=1000"),
    ("missing.bin", "/status/404"),
    ("medium.bin", "/bytes?size=40000"),
    ("huge.bin", "/bytes?size=500000"),
    ("log.txt", "/stream?chunks=50"),
]


def download(files, dest):
    saved = {}
    for name, path in files:
        with _session.get(SERVER_URL + path, stream=True) as r:
            if r.status_code != 200:
                saved[name] = {"skipped": r.status_code}
                continue
            size = r.headers.get("Content-Length")
            if size is not None and int(size) > MAX_BYTES:
                saved[name] = {"skipped": "too large"}
                continue
            digest = hashlib.sha256()
            target = os.path.join(dest, name)
            with open(target, "wb") as f:
                for chunk in r.iter_content(chunk_size=8192):
                    f.write(chunk)
                    digest.update(chunk)
        saved[name] = {"bytes": os.path.getsize(target), "sha256": digest.hexdigest()[:16]}
    return saved


def main():
    with tempfile.TemporaryDirectory() as dest:
        saved = download(FILES, dest)
    print(json.dumps(saved, sort_keys=True))


if __name__ == "__main__":
    main()
