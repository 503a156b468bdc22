"""Shared fixtures: one pipeline run on the bundled data for the whole session, and its site.

`make test` runs the suite in two pytest-xdist workers (`-n 2 --dist loadfile`): each test
module runs in one worker, so a module's fixtures (a pipeline run on a fixture folder) are
made once. The modules are handed out longest first (MODULE_SECONDS), so that the two
workers end at about the same time. The bundled run is made once for both workers (see
`bundled`).
"""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil

import duckdb
import pytest

import fixtures as F
from grensverkeer import warehouse

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
    "test_pinned_levels",
    "test_provenance",
    "test_region_area",
    "test_reruns",
    "test_retraction",
    "test_totals_republished",
    "test_untrusted_text",
    "test_zero_cells",
}

# About how long each module takes (seconds, one worker, session 11); modules not named here
# take a few seconds or less and come last, in file order. Only the order depends on these.
MODULE_SECONDS = {
    "test_site_browser": 60,
    "test_benchmark_national": 50,
    "test_bundled_data": 30,
    "test_reruns": 30,
    "test_retraction": 30,
    "test_hostile_input": 30,
    "test_provenance": 20,
    "test_ui": 18,
    "test_linked_handworked": 15,
    "test_totals_republished": 12,
    "test_attribute_disclosure": 9,
    "test_pinned_levels": 9,
    "test_site": 8,
    "test_environment_messages": 8,
    "test_estimator": 8,
    "test_zero_cells": 9,
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.module.__name__ in SLOW_MODULES or "bundled" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    # longest modules first (pytest-xdist hands them out in this order: --no-loadscope-reorder);
    # a module's tests stay together and in file order
    first = {}
    for i, item in enumerate(items):
        first.setdefault(item.module.__name__, i)
    items.sort(key=lambda item: (-MODULE_SECONDS.get(item.module.__name__, 0), first[item.module.__name__]))


def _bundled_run(root):
    return F.run(F.REPO / "data" / "inputs", root / "warehouse.duckdb", root / "out")


@pytest.fixture(scope="session")
def bundled(tmp_path_factory):
    """The bundled run. Under pytest-xdist the workers share one: the first worker to need it
    builds it in the session's temporary folder while the other waits on a lock, then reads
    the same warehouse and output folder (tests open the warehouse read-only and write nothing
    into the run's folders)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return _bundled_run(tmp_path_factory.mktemp("bundled"))
    shared = tmp_path_factory.getbasetemp().parent  # one per session, above the workers' folders
    root, done = shared / "bundled", shared / "bundled.pickle"
    with open(shared / "bundled.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists():
            return pickle.loads(done.read_bytes())
        shutil.rmtree(root, ignore_errors=True)  # a build that failed in the other worker
        root.mkdir()
        run = _bundled_run(root)
        done.write_bytes(pickle.dumps(run))
        return run


@pytest.fixture(scope="session")
def site(bundled):
    """The site as the bundled run's `dashboards` step wrote it (build_site), and its files."""
    assert bundled.outcome.failures == []
    root = bundled.out_dir / "site"
    return root, sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def con():
    """An empty in-memory warehouse: the macros and the raw tables (modules may define their own)."""
    c = duckdb.connect()
    warehouse.setup(c)
    yield c
    c.close()
