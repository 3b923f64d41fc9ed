"""`registry serve`: gunicorn on `wsgi:app`, plus the projection process."""

from __future__ import annotations

import logging
import multiprocessing
import os
from multiprocessing import connection
from multiprocessing.process import BaseProcess
from typing import Any

from gunicorn.app.base import BaseApplication

from registry.bootstrap import TABLES_READY, Registry
from registry.config import ConfigurationError, Settings
from registry.entrypoints import balance, leaving, metrics_dir, projector
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
        # Runs in each worker after fork: connections are never shared. The modules
        # are already loaded (_serve): this builds the app and opens its registry.
        from registry.entrypoints import logs

        logs.configure(Settings.from_env().log_level)
        from wsgi import app

        return app


def serve(host: str, port: int, workers: int, threads: int = 4, read_only: bool = False) -> None:
    if read_only:
        os.environ[READ_ONLY] = "1"  # inherited by the workers and the projection process
    settings = Settings.from_env()
    try:
        # No key rotation while this runs, and none under way as it starts (store/serving.py).
        with serving.serving(settings.database):
            _serve(settings, host, port, workers, threads)
    except SystemExit as stopped:  # how gunicorn ends, once its workers have
        # Everything this process opened is closed by now: the teardown is only waste.
        leaving.leave(stopped.code)


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
    own_metrics_dir = metrics_dir.prepare()  # before anything imports prometheus-client
    # The app's modules, loaded once here rather than in each worker: the workers and the
    # projection process are forked from this one, and a worker restarted later (after a
    # crash) starts as quickly. Only modules: no connection is opened before a fork.
    import api  # noqa: F401
    # A copy refuses every write: there is never anything newer for read models to apply.
    main, projecting = os.getpid(), None
    if copy is None:
        projecting = multiprocessing.get_context("fork").Process(
            target=projector.main, name="registry-projector")
        projecting.start()
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
        # A worker that ends with sys.exit (one that fails to boot) unwinds through here
        # too, forked from this process: what follows is this process's to do.
        if os.getpid() == main:
            metrics_dir.remove(own_metrics_dir)
            if projecting is not None:
                _stop(projecting)


def _stop(projecting: BaseProcess) -> None:
    # Its end shows on its sentinel, a pipe that closes with it: gunicorn, which waits
    # for any child of this process, may have reaped it already.
    if not connection.wait([projecting.sentinel], timeout=0):
        projecting.terminate()
    if not connection.wait([projecting.sentinel], timeout=10):
        projecting.kill()  # stuck in a call to the database, whose writes are atomic
    projecting.join()


def refuse_unfinished_copy(registry: Registry) -> None:
    copy = registry.copy
    if copy is not None and not copy.finished:
        raise ConfigurationError(
            f"this database is {copy.describe()}, not yet built: run the same "
            "`registry replay --into` again to finish it")
