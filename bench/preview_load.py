"""Readers' latency while a member saves heavy drafts (issue 17, "bounded rendering").

Run: .venv/bin/python bench/preview_load.py [--seconds 60]

One worker (`forum serve --workers 1`, rate limits as shipped), an embedded PostgreSQL under
bench/.data/preview/ (wiped first) seeded with `forum seed-bench --posts 10000`. A reader fetches
a 20-reply topic page as a signed-in member, one request at a time, for `--seconds`; the p50,
p99 and worst of its latencies are measured in three phases of the same run:

1. **baseline**: nobody else is using the forum;
2. **largest table**: a writer saves a new 20,000-character version of a draft every second,
   whose Markdown table is as large as a post may hold (just under `markup.MAX_TABLE_CELLS`
   cells), and loads the draft page with its preview after each save, as a browser does;
3. **over the limit**: the same, with a table of 40,000 cells (what used to take seconds to
   render): refused with a message to the author, before any rendering.

The ratio of each phase's reader p99 to the baseline's is the headline; the target is a p99
under 100 ms. The writer's save-and-preview latencies are printed too. Saving once a second for
a minute stays within the per-member save limit (120 in 10 minutes), so nothing is lifted.
Nothing here is a test: no figure fails the run.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import time

import aiohttp
import asyncpg
from run import (  # bench/run.py: the same processes and sessions as `make bench`
    PYTHON,
    ROOT,
    csrf_for,
    fresh_database,
    machine,
    new_sessions,
    start_forum,
)

from forum.markup import MAX_TABLE_CELLS

POST_CHARS = 20_000
_VERSION = re.compile(r'name="version" value="(\d+)"')


def table(cells: int, version: int) -> str:
    """A Markdown table of about `cells` cells, padded with prose to 20,000 characters; each
    version differs, so each save renders a new preview."""
    columns = 20
    rows = max(1, cells // columns - 2)
    lines = [
        "| " + " | ".join(f"h{c}" for c in range(columns)) + " |",
        "|" + "---|" * columns,
    ]
    for r in range(rows):
        lines.append(
            "| " + " | ".join(f"{(r * columns + c + version) % 997}" for c in range(columns)) + " |"
        )
    text = f"Version {version} of my notes.\n\n" + "\n".join(lines) + "\n\n"
    filler = "Some days are harder than others, and writing it down helps. "
    while len(text) < POST_CHARS - len(filler):
        text += filler
    return text[:POST_CHARS]


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


async def read_for(port: int, path: str, token: str, seconds: float) -> list[float]:
    latencies: list[float] = []
    cookies = {"forum_session": token}
    async with aiohttp.ClientSession(cookies=cookies) as http:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            started = time.perf_counter()
            async with http.get(f"http://127.0.0.1:{port}{path}") as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"{path} answered {resp.status}")
            latencies.append(time.perf_counter() - started)
    return latencies


async def write_for(
    port: int, token: str, group: str, cells: int, seconds: float
) -> tuple[list[float], dict[int, int]]:
    """Save a new version every second; each save follows its redirect to the draft page."""
    base = f"http://127.0.0.1:{port}"
    csrf = csrf_for(token)
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    async with aiohttp.ClientSession(cookies={"forum_session": token}) as http:
        form = {"csrf_token": csrf, "group": group, "title": "My notes", "body": "Starting."}
        async with http.post(f"{base}/drafts", data=form, allow_redirects=False) as resp:
            if resp.status != 303:
                raise RuntimeError(f"creating the draft answered {resp.status}")
            draft_url = base + resp.headers["Location"]
        async with http.get(draft_url) as resp:
            version = int(_VERSION.search(await resp.text()).group(1))  # type: ignore[union-attr]
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            n += 1
            tick = time.monotonic()
            form = {
                "csrf_token": csrf,
                "title": "My notes",
                "body": table(cells, n),
                "version": str(version),
            }
            started = time.perf_counter()
            async with http.post(draft_url, data=form) as resp:
                page = await resp.text()
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
            latencies.append(time.perf_counter() - started)
            found = _VERSION.search(page)
            if found:
                version = int(found.group(1))
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    return latencies, statuses


async def phase(
    port: int, path: str, reader: str, writer: str, group: str, cells: int | None, seconds: float
) -> dict[str, object]:
    if cells is None:
        return {"reader": summary(await read_for(port, path, reader, seconds))}
    reads, (writes, statuses) = await asyncio.gather(
        read_for(port, path, reader, seconds), write_for(port, writer, group, cells, seconds)
    )
    return {"reader": summary(reads), "writer": summary(writes), "writer_statuses": statuses}


async def prepare(url: str) -> tuple[str, str, str, str]:
    conn = await asyncpg.connect(url)
    try:
        members = [
            r["id"]
            for r in await conn.fetch(
                "SELECT m.id FROM members m JOIN group_members gm ON gm.member_id = m.id"
                " JOIN groups g ON g.id = gm.group_id WHERE g.slug = 'bench-1'"
                " AND m.pseudonym LIKE 'bench\\_%' ORDER BY m.id LIMIT 2"
            )
        ]
        topic = await conn.fetchval(
            "SELECT t.id FROM topics t JOIN groups g ON g.id = t.group_id WHERE g.slug = 'bench-1'"
            " AND t.last_post_number = 21 ORDER BY t.id LIMIT 1"
        )
        reader, writer = await new_sessions(conn, members)
        return reader, writer, f"/t/{topic}", "bench-1"
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    pg, url, env = fresh_database("preview")
    forum = None
    try:
        run = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
        subprocess.run([PYTHON, "-m", "forum", "migrate"], **run)  # type: ignore[call-overload]
        seed = ["seed-bench", "--posts", "10000", "--members", "200", "--groups", "2"]
        subprocess.run([PYTHON, "-m", "forum", *seed], **run)  # type: ignore[call-overload]
        reader, writer, path, group = asyncio.run(prepare(url))
        forum = start_forum(env, workers=1, rate_limits=True)
        print(f"machine: {machine()}")
        print(f"reader: GET {path} as a member, one at a time, {args.seconds:g} s per phase")
        phases = [
            ("baseline", None),
            (f"largest table ({MAX_TABLE_CELLS - 40:,} cells)", MAX_TABLE_CELLS - 40),
            ("over the limit (40,000 cells)", 40_000),
        ]
        results = {}
        for name, cells in phases:
            results[name] = asyncio.run(
                phase(forum.port, path, reader, writer, group, cells, args.seconds)
            )
        base = results["baseline"]["reader"]["p99_ms"]  # type: ignore[index]
        print()
        print(
            f"{'phase':<34}{'reads':>7}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'p99/base':>9}"
            f"   writer p50/p99 ms, statuses"
        )
        for name, r in results.items():
            reads = r["reader"]
            line = (
                f"{name:<34}{reads['requests']:>7}{reads['p50_ms']:>8}{reads['p99_ms']:>8}"  # type: ignore[index]
                f"{reads['max_ms']:>8}{reads['p99_ms'] / base:>9.2f}"  # type: ignore[index]
            )
            if "writer" in r:
                w = r["writer"]
                line += f"   {w['p50_ms']}/{w['p99_ms']}, {r['writer_statuses']}"  # type: ignore[index]
            print(line)
    finally:
        if forum is not None:
            forum.stop()
        pg.stop()


if __name__ == "__main__":
    main()
