"""A real ``voronka serve`` process on loopback, for the tests that need the whole program
(SDKs, kill -9 and restart, overload)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

VORONKA = str(Path(sys.executable).with_name("voronka"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(url: str, timeout: float = 2.0) -> int | None:
    """The status of ``GET /health`` (None when nothing answers)."""
    try:
        with urllib.request.urlopen(url + "/health", timeout=timeout) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def spawn(store: Path, port: int, *options: str, wait: float = 60.0) -> subprocess.Popen:
    """Start ``voronka serve`` on ``store`` and wait until ``/health`` answers."""
    process = subprocess.Popen([VORONKA, "serve", "--store", str(store), "--port", str(port), *options],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ | {"NO_COLOR": "1"})
    deadline = time.monotonic() + wait
    while health(f"http://127.0.0.1:{port}") != 200:
        if process.poll() is not None:
            raise AssertionError(f"voronka serve ended: {process.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("voronka serve did not answer /health")
        time.sleep(0.05)
    return process


def stop(process: subprocess.Popen) -> None:
    """End the server as Ctrl-C would (it stores what is queued first)."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
