"""Where the shared references live: the repository and shared/ beside it (or $IALLOCD_SHARED)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("IALLOCD_SHARED", REPO.parent / "shared"))
TESTDATA = SHARED / "ganeti" / "testdata"


def load_testdata(name: str) -> dict[str, Any]:
    """One of Ganeti's hail inputs from shared/ganeti/testdata."""
    doc: dict[str, Any] = json.loads((TESTDATA / name).read_text())
    return doc
