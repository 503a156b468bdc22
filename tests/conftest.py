"""Shared fixtures: one pipeline run on the bundled data for the whole session."""

from __future__ import annotations

import pytest

import fixtures as F

# `make test-fast` runs the unit tests and one small pipeline run (test_pipeline_baseline.py);
# these modules, and every test on the bundled run, are `slow` and left to `make test`.
SLOW_MODULES = {
    "test_attribute_disclosure",
    "test_bad_input",
    "test_benchmark_national",
    "test_dialects",
    "test_hostile_input",
    "test_ui",
    "test_linked_formats",
    "test_linked_handworked",
    "test_linked_pseudonymise",
    "test_provenance",
    "test_region_area",
    "test_reruns",
    "test_retraction",
    "test_totals_republished",
    "test_untrusted_text",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__ in SLOW_MODULES or "bundled" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def bundled(tmp_path_factory):
    root = tmp_path_factory.mktemp("bundled")
    return F.run(F.REPO / "data" / "inputs", root / "warehouse.duckdb", root / "out")
