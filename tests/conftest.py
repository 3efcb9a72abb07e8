"""Shared pytest configuration."""

import os
import tempfile
from pathlib import Path

import pytest

# `disparity report` caches step results in the user's cache folder; tests use a private one
os.environ.setdefault("DISPARITY_CACHE_DIR", tempfile.mkdtemp(prefix="disparity-test-cache-"))

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"


@pytest.fixture
def reference_dir() -> Path:
    return REFERENCE
