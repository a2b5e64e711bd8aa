"""Typed application keys: everything a request needs lives on the app, nothing in globals."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from forum.config import Settings

settings_key = web.AppKey("settings", Settings)
pool_key = web.AppKey("pool", asyncpg.Pool)
