"""The registry's own words (roles, statuses, event types, reasons) in the page's
language, and the small helpers every template uses."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import generate_csrf

ROLES = {"admin": _l("administrator"), "registrar": _l("registrar"),
         "auditor": _l("auditor"), "witness": _l("witness")}

STATUSES = {
    # An agreement's standing on a day (registry.domain.term.AGREEMENT_STATUSES).
    "pending": _l("not yet started"), "active": _l("active"), "lapsed": _l("lapsed"),
    "expired": _l("expired"), "terminated": _l("terminated"),
    # An enrollment's (registry.domain.coverage_rules.enrollment_status_on).
    "ended": _l("ended"), "voided": _l("voided"),
}

EVENTS = {
    "AgreementSigned": _l("Agreement signed"),
    "AgreementAmended": _l("Agreement amended"),
    "AgreementRenewed": _l("Agreement renewed"),
    "AgreementTerminated": _l("Agreement terminated"),
    "ChildQuotaAllocated": _l("Quota allocated to a PKS"),
    "QuotaSlotsTaken": _l("Quota places taken"),
    "QuotaSlotsReleased": _l("Quota places released"),
    "WorkerRegistered": _l("Worker registered"),
    "WorkerEnrolled": _l("Worker enrolled"),
    "EnrollmentCarriedOver": _l("Enrollment carried over to the next term"),
    "WorkerDisenrolled": _l("Worker disenrolled"),
    "EnrollmentVoided": _l("Enrollment voided"),
    "WorkerCorrected": _l("Worker's details corrected"),
    "RegionRegistered": _l("Region registered"),
    "CoverageTargetSet": _l("Coverage target set"),
    "TokenIssued": _l("Token issued"),
    "TokenRevoked": _l("Token revoked"),
}

REASONS = {"DECEASED": _l("died"), "MOVED_AWAY": _l("moved away"),
           "BECAME_WAGE_EARNER": _l("became a wage earner"),
           "VOLUNTARY": _l("left voluntarily"), "OTHER": _l("other reason")}

KINDS = {"MOU": _l("MoU (memorandum of understanding)"),
         "PKS": _l("PKS (cooperation agreement)")}

PROGRAMS = {"JKK": _l("JKK (work accident)"), "JKM": _l("JKM (death)"),
            "JHT": _l("JHT (old-age savings)"), "JP": _l("JP (pension)")}

SEXES = {"M": _l("male"), "F": _l("female")}


def _word(table: dict[str, Any]) -> Any:
    return lambda key: table.get(key, key) if key is not None else ""


def with_query(**changes: Any) -> str:
    """This page's URL with some query parameters changed (None drops one)."""
    args = request.args.to_dict()
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = str(value)
    return request.path + ("?" + urlencode(args) if args else "")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        role_name=_word(ROLES), status_name=_word(STATUSES), event_name=_word(EVENTS),
        reason_name=_word(REASONS), kind_name=_word(KINDS), program_name=_word(PROGRAMS),
        sex_name=_word(SEXES), with_query=with_query, csrf_token=generate_csrf,
        now=lambda: datetime.now(UTC),
        # Time travel (registry replay --into): what the pages show is a copy as of then.
        registry_copy=lambda: current_app.extensions["registry"].copy,
        read_only=lambda: current_app.extensions["registry"].read_only)
