"""Shared pytest configuration."""

import os
import tempfile
from pathlib import Path

import pytest

# `disparity report` caches step results in the user's cache folder; tests use a private one
os.environ.setdefault("DISPARITY_CACHE_DIR", tempfile.mkdtemp(prefix="disparity-test-cache-"))

# Property tests: in CI (CI=true) Hypothesis draws the same examples on every run, so a run is
# reproducible and a failure is a real regression, not a new random draw; locally it explores.
# Failing examples found while exploring are pinned with @example in the test.
try:
    from hypothesis import settings as _hyp_settings

    _hyp_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        _hyp_settings.load_profile("ci")
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    pass

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "tests" / "reference"


@pytest.fixture
def reference_dir() -> Path:
    return REFERENCE
