"""Health checks for a fleet of services: the pattern from the Go post-mortem, in Python.

Each check streams its response (a status page can be large), looks at the status code and
returns early when the service is down; otherwise it reads only the first bytes of the body.
Neither path closes the response, so every check holds its connection until the garbage
collector finds the response object.
"""

import http.cookiejar as _cookiejar
import json
import os

import requests

_session = requests.Session()
_session.cookies.set_policy(_cookiejar.DefaultCookiePolicy(allowed_domains=[]))

SERVER_URL = os.environ.get("SERVER_URL", "http://127.0.0.1:8000")

SERVICES = {
    "api": "/health",
    "search": "/status/503",
    "billing": "/bytes?size=65536",  # a large status page: only its start is read
    "auth": "/health",
}


def check(url):
    with _session.get(url, stream=True, timeout=10) as response:
        if response.status_code != 200:
            return {"healthy": False, "status": response.status_code}
        head = response.raw.read(2)
        return {"healthy": head in (b"ok", b"xx"), "status": response.status_code}


def main():
    rounds = []
    for _ in range(3):
        rounds.append({name: check(SERVER_URL + path) for name, path in SERVICES.items()})
    healthy = sorted(name for name, result in rounds[-1].items() if result["healthy"])
    print(json.dumps({"rounds": rounds, "healthy": healthy}, sort_keys=True))


if __name__ == "__main__":
    main()
