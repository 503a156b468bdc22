"""Shared fixtures: one pipeline run on the bundled data for the whole session."""

from __future__ import annotations

import pytest

import fixtures as F


@pytest.fixture(scope="session")
def bundled(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundled")
    return F.run(F.REPO / "data" / "inputs", root / "warehouse.duckdb", root / "out")
