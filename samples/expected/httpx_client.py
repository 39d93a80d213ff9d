"""Reports fetched with httpx: a client per call that is never closed, and a streamed export.

``fetch_reports`` makes an ``httpx.Client`` and returns without closing it; ``export_head``
streams an export with ``client.send(..., stream=True)`` and reads only its first lines.
"""

import contextlib
import json
import os

import httpx

SERVER_URL = os.environ.get("SERVER_URL", "http://127.0.0.1:8000")


def fetch_reports(ids):
    with httpx.Client(base_url=SERVER_URL) as client:
        titles = []
        for report_id in ids:
            response = client.get("/json", params={"report": report_id})
            titles.append(response.json()["query"]["report"])
    return titles


def export_head(lines=3):
    with httpx.Client(base_url=SERVER_URL) as client:
        request = client.build_request("GET", "/stream", params={"chunks": 200})
        with contextlib.closing(client.send(request, stream=True)) as response:
            head = []
            for line in response.iter_lines():
                head.append(line)
                if len(head) == lines:
                    break
    return head


def main():
    reports = fetch_reports(range(5)) + fetch_reports(range(5, 8))
    head = export_head()
    print(json.dumps({"reports": reports, "export_head": head}, sort_keys=True))


if __name__ == "__main__":
    main()
