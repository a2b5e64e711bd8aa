"""The test suite; `DATA` is where its fixed data files live (the crisis corpus)."""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
