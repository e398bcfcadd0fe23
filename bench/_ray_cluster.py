"""A real two-node Ray cluster on this machine's loopback, for the tests and the bench.

Ray 2.60 replaces 127.0.0.1 given as --node-ip-address with the machine's outward address
(ray._private.services.resolve_ip_for_localhost), which would send the cluster's traffic to
another address of this machine. 127.0.0.2 is loopback too (all of 127.0.0.0/8 is) and Ray
keeps it: both nodes, every driver and every connection stay on the loopback interface.
Each node is one `ray start --block` process, stopped by its process group.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

IP = "127.0.0.2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((IP, 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    """Stop a `ray start --block` and everything it started, by its process group."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_for_port(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("ray start --head exited")
        try:
            socket.create_connection((IP, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the Ray head did not open its port")


@contextmanager
def loopback_cluster(cpus_per_node=(1, 1), extra_env: dict | None = None):
    """Start a head and more nodes (one per entry of ``cpus_per_node``) on 127.0.0.2, with
    token authentication; yields ``{"address", "env"}``, where ``env`` is what a process
    that joins the cluster needs (the command line's, say). Everything stops on exit."""
    temp = Path(tempfile.mkdtemp(prefix="ev-ray-", dir="/tmp"))  # Ray's socket paths are short
    port = free_port()
    ray_cli = str(Path(sys.executable).with_name("ray"))
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        # The cluster's files (its session) in a folder of its own, and its own token.
        "RAY_TMPDIR": str(temp),
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_GRACEFUL_SHUTDOWN_DRAIN_TIMEOUT_S": "0",  # stop at once, not after 30 s
        **(extra_env or {}),
    }
    address = f"{IP}:{port}"

    def node(cpus: int, *how: str) -> subprocess.Popen:
        return subprocess.Popen(
            [ray_cli, "start", *how, "--node-ip-address", IP, "--num-cpus", str(cpus),
             "--object-store-memory", str(200 * 2**20), "--disable-usage-stats", "--block"],
            env=env, start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip

    nodes = []
    try:
        nodes.append(node(cpus_per_node[0], "--head", "--port", str(port),
                          "--include-dashboard", "false"))  # fmt: skip
        _wait_for_port(port, nodes[0])
        for cpus in cpus_per_node[1:]:
            nodes.append(node(cpus, "--address", address))
        want = len(cpus_per_node)
        count = (
            "import ray, time\n"
            f"ray.init(address='{address}', _node_ip_address='{IP}', log_to_driver=False)\n"
            "deadline = time.monotonic() + 90\n"
            f"while sum(n['Alive'] for n in ray.nodes()) < {want} "
            "and time.monotonic() < deadline:\n"
            "    time.sleep(0.5)\n"
            "print(sum(n['Alive'] for n in ray.nodes()))\n"
        )
        alive = subprocess.run(
            [sys.executable, "-c", count], env=env, capture_output=True, text=True, timeout=180
        )
        if alive.stdout.strip() != str(want):
            raise RuntimeError(f"the Ray nodes did not all join: {alive.stderr[-2000:]}")
        yield {"address": address, "env": env, "temp": temp}
    finally:
        for process in reversed(nodes):
            stop(process)
        shutil.rmtree(temp, ignore_errors=True)
