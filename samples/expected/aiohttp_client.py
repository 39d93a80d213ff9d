"""An asyncio client: an aiohttp.ClientSession made without ``async with`` and never closed,
and responses from ``await session.get(...)`` that are never released on the skip path.
"""

import asyncio
import json
import os

import aiohttp

SERVER_URL = os.environ.get("SERVER_URL", "http://127.0.0.1:8000")


async def fetch_profiles(ids):
    async with aiohttp.ClientSession() as session:
        profiles = {}
        for profile_id in ids:
            path = "/status/404" if profile_id % 3 == 0 else "/json"
            async with session.get(SERVER_URL + path, params={"id": str(profile_id)}) as resp:
                if resp.status != 200:
                    profiles[profile_id] = None
                    continue
                data = await resp.json()
            profiles[profile_id] = data["query"]["id"]
    return profiles


async def main():
    first = await fetch_profiles(range(1, 7))
    second = await fetch_profiles(range(7, 10))
    print(json.dumps({"first": first, "second": second}, sort_keys=True))


if __name__ == "__main__":
    asyncio.run(main())
