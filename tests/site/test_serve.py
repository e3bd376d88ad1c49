"""`storylog serve` as a hostile or careless network would use it (issue 12, finding 13):
real sockets against a real `storylog serve` process."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from storylog.site.serve import TIMEOUT
from tests.conftest import REPO
from tests.site.conftest import load_sample

SLUG = "pokrovsk-live"


@dataclass
class Served:
    process: subprocess.Popen[str]
    port: int

    def stop(self) -> str:
        """Ctrl-C; returns what the process wrote to stderr after its first line."""
        self.process.send_signal(signal.SIGINT)
        try:
            _, err = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("serve did not stop on Ctrl-C") from None
        assert self.process.returncode == 0, err
        return err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    db = str(tmp_path / "serve.db")
    load_sample(db)
    env = dict(os.environ, STORYLOG_DB=db, NO_COLOR="1")
    process = subprocess.Popen([sys.executable, "-m", "storylog.cli", "serve", SLUG,
                                "--port", "0"], env=env, stderr=subprocess.PIPE, text=True,
                               cwd=REPO)
    assert process.stderr is not None
    line = process.stderr.readline()
    assert line.startswith(f"serving {SLUG} at http://127.0.0.1:"), line
    port = int(line.split(" at ")[1].split()[0].rstrip("/").rsplit(":", 1)[1])
    yield Served(process, port)
    if process.poll() is None:
        process.kill()
        process.wait()


def request(port: int, host: str | None, path: str = "/", timeout: float = 10) -> bytes:
    """One raw HTTP/1.0 request; the whole answer, as bytes."""
    head = f"GET {path} HTTP/1.0\r\n" + (f"Host: {host}\r\n" if host is not None else "")
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall((head + "\r\n").encode())
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_an_idle_connection_does_not_block_other_readers(served: Served):
    idle = socket.create_connection(("127.0.0.1", served.port))
    half = socket.create_connection(("127.0.0.1", served.port))
    half.sendall(b"GET / HTTP/1.1\r\nHost: loc")  # a request that never ends
    try:
        started = time.monotonic()
        answer = request(served.port, f"127.0.0.1:{served.port}", timeout=TIMEOUT / 2)
        assert status(answer) == 200 and b"Battle for Pokrovsk" in answer
        assert time.monotonic() - started < TIMEOUT / 2
    finally:
        idle.close()
        half.close()
    assert "Traceback" not in served.stop()


@pytest.mark.slow
def test_an_idle_connection_is_closed_after_the_timeout(served: Served):
    with socket.create_connection(("127.0.0.1", served.port)) as idle:
        idle.settimeout(TIMEOUT + 20)
        started = time.monotonic()
        assert idle.recv(1024) == b""  # the server hung up
        assert TIMEOUT - 1 <= time.monotonic() - started < TIMEOUT + 20
    assert "Traceback" not in served.stop()


def test_only_the_names_it_was_started_for_are_answered(served: Served):
    port = served.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"LOCALHOST:{port}",
                 f"[::1]:{port}"):
        assert status(request(port, host)) == 200, host
    for host in (f"attacker.example:{port}", "attacker.example", f"127.0.0.1:{port + 1}",
                 "127.0.0.1", f"127.0.0.1.attacker.example:{port}", f"localhost:{port}.x"):
        answer = request(port, host)
        assert status(answer) == 421, host
        assert b"Battle for Pokrovsk" not in answer
    assert status(request(port, None)) == 400
    assert "Traceback" not in served.stop()


def test_readers_that_leave_mid_answer_leave_no_traceback(served: Served):
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", served.port))
        s.sendall(f"GET /sources/ HTTP/1.0\r\nHost: 127.0.0.1:{served.port}\r\n\r\n".encode())
        # Close with a reset (linger 0) at once, before the answer is read.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    assert status(request(served.port, f"127.0.0.1:{served.port}")) == 200
    err = served.stop()
    assert "Traceback" not in err and "Error" not in err, err
