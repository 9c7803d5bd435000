"""Where the repository and its fixtures are, for tests started from any directory."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ZONES = ROOT / "fixtures" / "zones"
