"""/api/v1/agreements: sign, read, list, amend, renew, terminate."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from flask import url_for
from flask.views import MethodView

from api import auth, requests
from api.blueprint import Blueprint
from api.common import read_models, registry, visible_agreement, with_problems, writable
from api.schemas.agreements import (
    AgreementListQuery,
    AgreementOut,
    AgreementPage,
    AgreementQuery,
    AmendAgreement,
    RenewAgreement,
    SignAgreement,
    TerminateAgreement,
)
from projections import tree_views, views
from registry.domain.dates import today, utc_iso
from registry.domain.term import standing_of
from registry.service.application import Written

blp = Blueprint("agreements", __name__, url_prefix="/api/v1/agreements",
                description="MOUs and PKS: their terms, quotas and lifecycle")


def present(doc: dict[str, Any], on: date | None = None,
            known_at: datetime | None = None) -> dict[str, Any]:
    """An agreement document with what depends on the date asked about."""
    on = on or today()
    standing = standing_of(doc, on)
    return {
        **doc,
        "terms": [{"term_number": i + 1, **t} for i, t in enumerate(doc["terms"])],
        "on": on.isoformat(),
        "known_at": utc_iso(known_at) if known_at else None,
        "status": standing.status,
        "current_term": standing.current_term,
        "enrolled": standing.enrolled,
    }


def written(result: Written, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = {**present(result.agreement.document()), "position": result.position}
    headers = {"ETag": f'"{result.agreement.version}"'}
    if status == 201:
        headers["Location"] = url_for("agreements.Agreement", agreement_id=result.agreement.id)
    return body, status, headers


@blp.route("")
class Agreements(MethodView):
    @blp.arguments(AgreementListQuery, location="query")
    @blp.response(200, AgreementPage)
    @with_problems
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List agreements, filtered, in signing order (cursor `after`)."""
        on = args.pop("on") or today()
        parent_id = args.pop("parent_id")
        docs, next_after = views.agreements(
            read_models(), on=on, scopes=auth.principal().scopes,
            parent_id=str(parent_id) if parent_id else None, **args)
        return {"items": [present(d, on) for d in docs], "next_after": next_after}

    @blp.arguments(SignAgreement)
    @blp.response(201, AgreementOut)
    @with_problems
    def post(self, body: dict[str, Any]) -> Any:
        """Sign an MOU or a PKS (a PKS may name its parent MOU)."""
        auth.require_write(body["region_code"])
        result = registry().app.sign_agreement(requests.context(body.pop("reason")), **body)
        return written(result, 201)


@blp.route("/<uuid:agreement_id>")
class Agreement(MethodView):
    @blp.arguments(AgreementQuery, location="query")
    @blp.response(200, AgreementOut)
    @with_problems
    def get(self, args: dict[str, Any], agreement_id: UUID) -> Any:
        """One agreement as of a date (`on`), a record time (`known_at`) or a version."""
        agreement = visible_agreement(agreement_id, version=args["version"],
                                      known_at=args["known_at"])
        body = present(agreement.document(), args["on"], args["known_at"])
        if agreement.kind == "MOU":
            body.update(tree_views.children(read_models(), agreement, on=args["on"] or today(),
                                            known_at=args["known_at"]))
        return body, 200, {"ETag": f'"{agreement.version}"'}


@blp.route("/<uuid:agreement_id>/amendments")
class Amendments(MethodView):
    @blp.arguments(AmendAgreement)
    @blp.response(200, AgreementOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID) -> Any:
        """Amend the term in force on `effective_on` (quota, contribution, title, sponsor)."""
        writable(agreement_id)
        return written(registry().app.amend_agreement(
            requests.context(), agreement_id,
            expected_version=requests.expected_version(), **body))


@blp.route("/<uuid:agreement_id>/renewals")
class Renewals(MethodView):
    @blp.arguments(RenewAgreement)
    @blp.response(201, AgreementOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID) -> Any:
        """Add a term after the last; enrolled workers continue with `carry_over`."""
        writable(agreement_id)
        return written(registry().app.renew_agreement(
            requests.context(), agreement_id,
            expected_version=requests.expected_version(), **body), 201)


@blp.route("/<uuid:agreement_id>/termination")
class Termination(MethodView):
    @blp.arguments(TerminateAgreement)
    @blp.response(200, AgreementOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID) -> Any:
        """Terminate: nothing is covered under the agreement after `ends_on`."""
        writable(agreement_id)
        return written(registry().app.terminate_agreement(
            requests.context(), agreement_id,
            expected_version=requests.expected_version(), **body))
