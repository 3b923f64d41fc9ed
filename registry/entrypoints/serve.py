"""`registry serve`: gunicorn on `wsgi:app`, plus the projection process."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

from gunicorn.app.base import BaseApplication

from registry.bootstrap import TABLES_READY, Registry
from registry.config import ConfigurationError, Settings
from registry.entrypoints import balance, metrics_dir
from registry.store import serving

log = logging.getLogger("registry.serve")
READ_ONLY = "REGISTRY_READ_ONLY"


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Runs in each worker after fork: connections are never shared.
        from registry.entrypoints import logs

        logs.configure(Settings.from_env().log_level)
        from wsgi import app

        return app


def serve(host: str, port: int, workers: int, threads: int = 4, read_only: bool = False) -> None:
    if read_only:
        os.environ[READ_ONLY] = "1"  # inherited by the workers and the projection process
    settings = Settings.from_env()
    # No key rotation while this runs, and none under way as it starts (store/serving.py).
    with serving.serving(settings.database):
        _serve(settings, host, port, workers, threads)


def _serve(settings: Settings, host: str, port: int, workers: int, threads: int) -> None:
    # Create tables once, here, so that workers starting together do not race;
    # and the log's signing key, on first start.
    registry = Registry.open(settings, create_tables=True)
    try:
        refuse_unfinished_copy(registry)
        registry.log.signer()
        copy = registry.copy
        if registry.read_only:
            log.warning("serving read-only: %s", copy.describe() if copy else
                        "writes are refused (405 read_only)")
    finally:
        registry.close()
    os.environ[TABLES_READY] = "1"  # inherited by the workers and the projection process
    own_metrics_dir = metrics_dir.prepare()  # before any worker imports prometheus-client
    # A copy refuses every write: there is never anything newer for read models to apply.
    projector = None if copy is not None else subprocess.Popen(
        [sys.executable, "-m", "registry.entrypoints.projector"])
    balance.share()  # before gunicorn forks its workers
    try:
        _Gunicorn({
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            # gthread, with requests received whole before a thread takes them.
            "worker_class": "registry.entrypoints.reception.ReceivingWorker",
            "preload_app": False,
            "timeout": 120,
            "graceful_timeout": 10,
            "loglevel": settings.log_level.lower(),
            # Our own JSON access log (api/requests.py) masks NIKs; gunicorn's would not.
            "accesslog": None,
            "control_socket_disable": True,
            "child_exit": metrics_dir.worker_exited,
            # No cap on the request line: the query parameters the API documents can be
            # longer than gunicorn's default 4094 bytes (a 2,000-character `reason`,
            # percent-encoded), and a refusal there would be gunicorn's HTML 414, not
            # problem+json. The body limit (MAX_CONTENT_LENGTH) still bounds a request.
            "limit_request_line": 0,
        }).run()
    finally:
        metrics_dir.remove(own_metrics_dir)
        if projector is not None:
            projector.terminate()
            projector.wait(timeout=10)


def refuse_unfinished_copy(registry: Registry) -> None:
    copy = registry.copy
    if copy is not None and not copy.finished:
        raise ConfigurationError(
            f"this database is {copy.describe()}, not yet built: run the same "
            "`registry replay --into` again to finish it")
