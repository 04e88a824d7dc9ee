"""The repository's places, for tests at any depth of tests/ (`import paths`; tests/ is on
sys.path through its conftest.py, and a test run as a script needs PYTHONPATH=src:tests)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SRC = ROOT / "src" / "nnsize"
DOCS = ROOT / "docs"
DATA = TESTS / "data"
GOLDEN = TESTS / "golden"
