"""A throwaway Redis for the tests: Debian's `redis-server`, a free port on 127.0.0.1, a temporary directory, no
persistence, stopped (and removed) at the end. `bin/ensure-redis` installs the server when it is missing."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from devdata.pgserver import free_port


def server_binary() -> Path | None:
    for candidate in ("/usr/bin/redis-server", shutil.which("redis-server")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


class Server:
    def __init__(self, binary: Path):
        self.binary = binary
        self.root = Path(tempfile.mkdtemp(prefix="mapwh-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> str:
        log = (self.root / "log").open("w")
        self.process = subprocess.Popen(  # noqa: S603 - this machine's redis-server, no shell
            [str(self.binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.root)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.time() + timeout
        while not self._ping():
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited {self.process.returncode}: {(self.root / 'log').read_text()[-2000:]}")
            if time.time() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not answer on 127.0.0.1:{self.port} within {timeout} s")
            time.sleep(0.1)
        return self.url()

    def _ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        try:
            if self.process is not None and self.process.poll() is None:
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
