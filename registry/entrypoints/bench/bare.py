"""The floor under every figure taken through `registry serve`: a Flask app that answers
a fixed JSON body and does nothing else, under gunicorn with as many workers and threads,
hammered by the same client. What a request to the registry costs beyond this is the
registry's own; a target below it cannot be met by the registry's code."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

from flask import Flask

from registry.entrypoints.bench.harness import BenchError, Client, _free_port

app = Flask(__name__)


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


class BareServer:
    """gunicorn serving `app` above: `registry serve`'s worker and thread counts."""

    def __init__(self, workers: int = 2, threads: int = 4) -> None:
        self.port = _free_port()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads",
             str(threads), "--worker-class", "gthread", "--bind", f"127.0.0.1:{self.port}",
             "registry.entrypoints.bench.bare:app"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            probe = Client(self.port)
            try:
                if probe.get("/health")[0] == 200:
                    return
            except BenchError:
                time.sleep(0.05)  # not listening yet
            finally:
                probe.close()
        self.stop()
        raise BenchError("a bare Flask app under gunicorn did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        self.log.close()

    def __enter__(self) -> BareServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
