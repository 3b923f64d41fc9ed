"""/api/v1/agreements: sign, read, list, amend, renew, terminate."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from flask import url_for
from flask.views import MethodView

from api import auth, requests
from api.blueprint import Blueprint
from api.common import registry, visible_agreement, with_problems
from api.errors import ApiProblem
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
from projections.agreements import list_agreements
from registry.service.application import Written
from registry.domain.dates import today, utc_iso
from registry.domain.errors import NotFound, ValidationFailed
from registry.domain.term import Term, current_term_index, status_on

blp = Blueprint("agreements", __name__, url_prefix="/api/v1/agreements",
                description="MOUs and PKS: their terms, quotas and lifecycle")


def present(doc: dict[str, Any], on: date | None = None,
            known_at: datetime | None = None) -> dict[str, Any]:
    """An agreement document with what depends on the date asked about."""
    on = on or today()
    terms = [Term(date.fromisoformat(t["starts_on"]), date.fromisoformat(t["ends_on"]),
                  t["quota"], t["monthly_contribution_idr"], t["enrolled"])
             for t in doc["terms"]]
    terminated_on = date.fromisoformat(doc["terminated_on"]) if doc["terminated_on"] else None
    current = current_term_index(terms, on)
    return {
        **doc,
        "terms": [{"term_number": i + 1, **t} for i, t in enumerate(doc["terms"])],
        "on": on.isoformat(),
        "known_at": utc_iso(known_at) if known_at else None,
        "status": status_on(terms, terminated_on, on),
        "current_term": current + 1,
        "enrolled": terms[current].enrolled,
    }


def written(result: Written, status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = {**present(result.agreement.document()), "position": result.position}
    headers = {"ETag": f'"{result.agreement.version}"'}
    if status == 201:
        headers["Location"] = url_for("agreements.Agreement", agreement_id=result.agreement.id)
    return body, status, headers


def writable_agreement(agreement_id: UUID) -> None:
    auth.require_write(visible_agreement(agreement_id).region_code)





@blp.route("")
class Agreements(MethodView):
    @blp.arguments(AgreementListQuery, location="query")
    @blp.response(200, AgreementPage)
    @with_problems
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List agreements, filtered, in signing order (cursor `after`)."""
        reg = registry()
        reg.projections.catch_up()
        on = args.pop("on") or today()
        parent_id = args.pop("parent_id")
        with reg.store.transaction() as cur:
            docs, next_after = list_agreements(
                cur, on=on, scopes=auth.principal().scopes,
                parent_id=str(parent_id) if parent_id else None, **args)
        return {"items": [present(d, on) for d in docs], "next_after": next_after}

    @blp.arguments(SignAgreement)
    @blp.response(201, AgreementOut)
    @with_problems
    def post(self, body: dict[str, Any]) -> Any:
        """Sign an MOU or a PKS (a PKS may name its parent MOU)."""
        auth.require_write(body["region_code"])
        if body["parent_id"] is not None:
            try:
                visible_agreement(body["parent_id"])
            except (NotFound, ApiProblem):  # unknown and invisible parents look alike
                raise ValidationFailed("parent_id: no agreement with this id",
                                       {"parent_id": "no agreement with this id"}) from None
        result = registry().app.sign_agreement(requests.context(), **body)
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
        return body, 200, {"ETag": f'"{agreement.version}"'}


@blp.route("/<uuid:agreement_id>/amendments")
class Amendments(MethodView):
    @blp.arguments(AmendAgreement)
    @blp.response(200, AgreementOut)
    @with_problems
    def post(self, body: dict[str, Any], agreement_id: UUID) -> Any:
        """Amend the term in force on `effective_on` (quota, contribution, title, sponsor)."""
        writable_agreement(agreement_id)
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
        writable_agreement(agreement_id)
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
        writable_agreement(agreement_id)
        return written(registry().app.terminate_agreement(
            requests.context(), agreement_id,
            expected_version=requests.expected_version(), **body))
