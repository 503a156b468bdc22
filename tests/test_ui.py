"""`grensverkeer ui` starts Dagster's UI through `dg dev` (pipelines/dg.toml) and serves the code
location: the webserver lists the same assets and jobs as the definitions."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from grensverkeer.definitions import defs

QUERY = "{ repositoriesOrError { ... on RepositoryConnection { nodes { assetNodes { id } jobs { name } } } } }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int) -> dict | None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)
    except OSError:
        return None


def test_ui_serves_the_code_location(tmp_path):
    port = _free_port()
    cli = Path(sys.executable).with_name("grensverkeer")
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [str(cli), "ui", "--port", str(port), "--warehouse", str(tmp_path / "w.duckdb")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        nodes = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            answer = _graphql(port)
            nodes = (answer or {}).get("data", {}).get("repositoriesOrError", {}).get("nodes")
            if nodes:
                break
            time.sleep(1)
        assert nodes, f"no code location served on port {port}; exit code {proc.poll()}"
        assets = {a["id"] for n in nodes for a in n["assetNodes"]}
        jobs = {j["name"] for n in nodes for j in n["jobs"]}
        assert len(assets) == len(list(defs.resolve_asset_graph().get_all_asset_keys()))
        assert {j.name for j in defs.jobs} <= jobs
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
