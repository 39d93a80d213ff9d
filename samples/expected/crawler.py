"""A tiny crawler: each crawl builds its own requests.Session and never closes it.

The session's pool keeps its keep-alive connection open after ``crawl`` returns, until the
garbage collector finalises the session.
"""

import json
import os

import requests

SERVER_URL = os.environ.get("SERVER_URL", "http://127.0.0.1:8000")


def links(page):
    """Page n links to pages 2n and 2n + 1 (a binary tree of 15 pages)."""
    return [child for child in (2 * page, 2 * page + 1) if child <= 15]


def crawl(site, start=1):
    with requests.Session() as session:
        session.headers["User-Agent"] = "demo-crawler/1.0"
        seen = []
        queue = [start]
        while queue:
            page = queue.pop(0)
            response = session.get(f"{SERVER_URL}/json", params={"site": site, "page": page})
            data = response.json()
            seen.append(int(data["query"]["page"]))
            queue.extend(links(page))
    return seen


def main():
    result = {site: len(crawl(site)) for site in ("docs", "blog", "shop")}
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    main()
