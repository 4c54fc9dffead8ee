"""Where the tests find the project's shared reference data: ``../shared/data`` beside the project
folder (DEVELOPERS.md), found from this file, never by an absolute machine path.

A test that needs one of its files is marked with :func:`needs_shared`: without the file it is
skipped on a developer's machine, but under CI (``CI`` set) it runs and fails, since CI always
has the shared folder and a silent skip there would hide a test that no longer runs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_DIR.parent / "shared" / "data"


def needs_shared(*paths: Path) -> pytest.MarkDecorator:
    """Skip where a file is missing, except under CI: there the test runs and fails on it."""
    missing = [str(path) for path in paths if not path.exists()]
    return pytest.mark.skipif(
        bool(missing) and not os.environ.get("CI"),
        reason=f"shared data not available: {', '.join(missing)}",
    )
