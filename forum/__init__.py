"""forum: an asynchronous support-group forum server (aiohttp + PostgreSQL)."""

from pathlib import Path

#: The checkout the package runs from: templates/, static/ and migrations/ live beside forum/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
