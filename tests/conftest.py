"""Shared fixtures: shipped specs and traced graphs, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HW = ROOT / "hw"


@pytest.fixture(scope="session")
def hw() -> Path:
    return HW
