"""The embedded PostgreSQL: where its binaries come from, and that either source really runs."""

from __future__ import annotations

import asyncio
import glob
import importlib.util
from pathlib import Path

import asyncpg
import pytest

from forum.ops import embedded_pg
from forum.ops.embedded_pg import EmbeddedPostgres, EmbeddedUnavailable

DEBIAN_PG_CTL = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))


def test_the_pgserver_wheel_is_preferred_when_installed() -> None:
    spec = importlib.util.find_spec("pgserver")
    if spec is None:
        pytest.skip("pgserver has no wheel for this Python; the machine's binaries are used")
    assert spec.origin is not None
    assert embedded_pg.find_bindir() == Path(spec.origin).parent / "pginstall" / "bin"


def test_without_pgserver_the_machines_binaries_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    if not DEBIAN_PG_CTL:
        pytest.skip("this machine has no PostgreSQL server package")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert embedded_pg.find_bindir() == Path(DEBIAN_PG_CTL[-1]).parent


def test_with_no_binaries_anywhere_the_message_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(glob, "glob", lambda pattern: [])
    with pytest.raises(EmbeddedUnavailable, match="DATABASE_URL") as refused:
        embedded_pg.find_bindir()
    assert "pgserver" in str(refused.value)
    assert "apt-get install postgresql" in str(refused.value)


def test_a_cluster_made_with_the_machines_binaries_starts_answers_and_stops(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if not DEBIAN_PG_CTL:
        pytest.skip("this machine has no PostgreSQL server package")
    monkeypatch.setattr(embedded_pg, "find_bindir", lambda: Path(DEBIAN_PG_CTL[-1]).parent)
    server = EmbeddedPostgres(tmp_path / "pg", fast_and_unsafe=True)
    url = server.start()
    try:

        async def version() -> str:
            conn = await asyncpg.connect(url)
            try:
                return str(await conn.fetchval("SHOW server_version"))
            finally:
                await conn.close()

        assert asyncio.run(version()).split(".")[0] == Path(DEBIAN_PG_CTL[-1]).parts[-3]
    finally:
        server.stop()
    assert not (tmp_path / "pg" / "postmaster.pid").exists()
