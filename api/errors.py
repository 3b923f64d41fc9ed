"""Every error the API answers, as RFC 9457 problem+json with a stable code."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, json
from werkzeug.exceptions import HTTPException

from api import problem_language
from registry.domain.errors import RegistryError

log = logging.getLogger("registry.api")

STATUS_OF_CODE = {
    "malformed_request": 400,
    "unauthorized": 401,
    "token_expired": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "read_only": 405,  # a read-only registry (api/readonly.py), with `Allow`
    "not_acceptable": 406,
    "duplicate_agreement_number": 409,
    "duplicate_token_name": 409,
    "quota_exceeded": 409,
    "already_covered": 409,
    "agreement_not_active": 409,
    "worker_deceased": 409,
    "invalid_transition": 409,
    "concurrent_update": 409,
    "identity_mismatch": 409,
    "legal_hold": 409,
    "already_erased": 409,
    "recorded_in_clear": 409,
    "precondition_failed": 412,
    "payload_too_large": 413,
    "unsupported_media_type": 415,
    "validation_failed": 422,
    "idempotency_key_reused": 422,
    "too_many_requests": 429,
    "internal_error": 500,
    "service_unavailable": 503,
    # Corrections with a preview (api/corrections.py).
    "stale_preview": 409,
    "preview_already_applied": 409,
    "preview_has_rejected_rows": 422,
    # Spreadsheet intake (registry/service/intake).
    "unreadable_file": 422,
    "nik_mangled_by_spreadsheet": 422,
    # Contributions (api/ledger.py).
    "nothing_to_invoice": 409,
    "duplicate_payment_reference": 409,
    "amount_not_positive": 422,
    "paid_on_in_future": 422,
    "month_outside_terms": 422,
    "month_not_invoiced": 422,
}
CODE_OF_STATUS = {
    400: "malformed_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "concurrent_update",
    412: "precondition_failed", 413: "payload_too_large", 415: "unsupported_media_type",
    422: "validation_failed", 429: "too_many_requests", 503: "service_unavailable",
}
TITLES = {
    "malformed_request": "Malformed request",
    "validation_failed": "Validation failed",
    "internal_error": "Internal server error",
    "nik_mangled_by_spreadsheet": "NIK mangled by a spreadsheet",
    "paid_on_in_future": "Paid on a day in the future",
}


def title_of(code: str) -> str:
    """The problem's English title; api/ui/translations/id/problems.po translates it."""
    return TITLES.get(code, code.replace("_", " ").capitalize())


class ApiProblem(Exception):
    """Raised in views for an HTTP-level refusal (auth, media type, headers)."""

    def __init__(self, code: str, detail: str, headers: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.errors = errors


def problem(code: str, detail: str, errors: dict[str, str] | None = None,
            headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> Response:
    status = STATUS_OF_CODE[code]
    body: dict[str, Any] = {
        "type": f"https://registry.bpjs-rentan.id/problems/{code.replace('_', '-')}",
        "title": title_of(code),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    body.update(extra or {})
    body = problem_language.localised(body)
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    response.headers["Content-Language"] = problem_language.wanted_language()
    response.vary.add("Accept-Language")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as {"field.sub": "message; message"}."""
    if isinstance(messages, dict):
        out: dict[str, str] = {}
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(flatten(value, name))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": "; ".join(messages)}
    return {prefix or "_schema": str(messages)}


def from_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status >= 500:
        original = getattr(error, "original_exception", None)
        log.error("unhandled error", exc_info=original or error)
        if status == 503:
            return problem("service_unavailable", "the registry cannot reach its database")
        return problem("internal_error", "the server failed; the request id names it in the logs")
    code = CODE_OF_STATUS.get(status, "malformed_request")
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if status == 400 and messages:
        return problem("malformed_request", "the body is not valid JSON")
    if messages:
        # webargs nests messages under the location ("json", "query").
        merged: dict[str, Any] = {}
        for location_messages in messages.values():
            merged.update(location_messages if isinstance(location_messages, dict)
                          else {"_schema": location_messages})
        errors = flatten(merged)
        detail = "; ".join(f"{k}: {v}" for k, v in errors.items())
        return problem(code, detail, errors, headers=data.get("headers"))
    headers = dict(getattr(error, "get_headers", lambda: [])())
    headers.pop("Content-Type", None)
    return problem(code, error.description or code, headers=headers)


def from_registry_error(error: RegistryError) -> Response:
    return problem(error.code, error.detail, error.errors)


def from_api_problem(error: ApiProblem) -> Response:
    return problem(error.code, error.detail, error.errors, headers=error.headers)
