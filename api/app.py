"""The Flask app factory: settings, per-request hooks, error handlers, blueprints."""

from __future__ import annotations

from inspect import iscoroutinefunction
from typing import Any

from flask import Flask
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from api import (
    agreements,
    auth,
    certificates,
    contract,
    corrections,
    enrollments,
    errors,
    history,
    idempotency,
    ledger,
    log,
    metrics,
    operations,
    readonly,
    regions,
    replica,
    requests,
    system,
    ui,
    workers,
)
from api.schemas.common import ProblemSchema
from api.system import SWAGGER_STATIC
from registry.bootstrap import Registry
from registry.config import Settings
from registry.domain.errors import RegistryError


class RegistryFlask(Flask):
    """Flask, asking once per function (not on every hook of every request) whether it
    is a coroutine function: the registry has none, and the question costs."""

    _sync: dict[Any, bool] = {}

    def ensure_sync(self, func: Any) -> Any:
        target = getattr(func, "__func__", func)  # a view's bound method is new each request
        sync = self._sync.get(target)
        if sync is None:
            sync = not iscoroutinefunction(func)
            if len(self._sync) < 10_000:
                self._sync[target] = sync
        return func if sync else self.async_to_sync(func)


class RegistryApi(Api):
    ERROR_SCHEMA = ProblemSchema
    # Every problem an operation can answer is documented on it (api.common.with_problems);
    # a catch-all `default` response would let any status pass as documented.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException) -> Any:
        return errors.from_http_exception(error)


def create_app(settings: Settings | None = None, registry: Registry | None = None) -> Flask:
    """Build the app; it opens its own Registry unless one is given (tests)."""
    registry = registry or Registry.open(settings)
    app = RegistryFlask("registry")
    app.request_class = requests.RegistryRequest
    app.config.update(
        API_TITLE="Vulnerable-worker protection registry",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=SWAGGER_STATIC,
        API_SPEC_OPTIONS={
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "info": {"description": "Who was covered, under which agreement, recorded "
                                    "by whom and when. Errors are problem+json."},
        },
    )
    bind(app, registry)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.converters["nik"] = contract.NikConverter
    app.url_map.converters["target_year"] = regions.TargetYear

    app.before_request(metrics.start)  # first: a refused request is timed too
    app.before_request(requests.assign_request_id)
    app.before_request(auth.authenticate)
    # The route, the method, the query and a NIK in the path, as the operation declares them.
    app.before_request(contract.check_route)
    app.before_request(contract.refuse_unknown_query)
    app.before_request(contract.check_nik)
    app.before_request(replica.take_min_position)
    app.before_request(readonly.refuse_writes)
    app.before_request(requests.check_body)
    app.before_request(idempotency.claim)
    app.after_request(metrics.observe)  # runs last (Flask runs these in reverse)
    app.after_request(idempotency.record)
    app.after_request(replica.report)
    app.after_request(requests.finish)
    app.teardown_request(metrics.observe_failure)
    app.register_error_handler(RegistryError, errors.from_registry_error)
    app.register_error_handler(errors.ApiProblem, errors.from_api_problem)

    api = RegistryApi(app, spec_kwargs={"extra_plugins": [contract.ProblemResponses()]})
    api.register_converter(contract.NikConverter, contract.nik_parameter_schema)
    api.register_converter(regions.TargetYear, regions.target_year_schema)
    for blueprint in (agreements.blp, enrollments.blp, workers.blp, regions.blp, history.blp,
                      log.blp, certificates.blp, corrections.blp):
        api.register_blueprint(blueprint)
    api.register_blueprint(ledger.blp)  # contributions (docs/contributions.md)
    app.register_blueprint(system.bp)
    app.register_blueprint(operations.bp)
    ui.init_app(app)
    for alias, endpoint in (("/api/v1/openapi.json", "api-docs.openapi_json"),
                            ("/api/v1/docs", "api-docs.openapi_swagger_ui")):
        app.add_url_rule(alias, endpoint=alias, view_func=app.view_functions[endpoint])
    return app


def bind(app: Flask, registry: Registry) -> None:
    """Serve `registry` from the app: all that the app takes from it is set here, so that
    tests can point one app at each test's registry instead of building the API again."""
    app.config["MAX_CONTENT_LENGTH"] = registry.settings.max_body_bytes
    app.extensions["registry"] = registry
