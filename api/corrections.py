"""/api/v1/corrections: preview a corrections file, then apply the preview."""

from __future__ import annotations

import functools
from typing import Any

from flask import g, request
from flask.views import MethodView
from marshmallow import RAISE

from api import access, auth, requests
from api.blueprint import Blueprint
from api.common import read_models, registry, with_probe_limit, with_problems
from api.correction_rows import BadFile, ReadFile, preview_json, read
from api.errors import ApiProblem
from api.schemas.corrections import (
    CSV_COLUMNS,
    AppliedOut,
    ApplyIn,
    CorrectionsIn,
    PreviewOut,
    ReasonQuery,
)
from projections import views
from registry.service.corrections import CorrectionDesk
from registry.service.intake import WORKBOOK
from registry.store.previews import PreviewStore

blp = Blueprint("corrections", __name__, url_prefix="/api/v1/corrections",
                description="Corrections files: previewed, then applied exactly as previewed")


def desk() -> CorrectionDesk:
    reg = registry()
    owed = functools.partial(views.contributions, read_models())
    return CorrectionDesk(reg.app, PreviewStore(reg.store), owed,
                          reg.settings.preview_ttl)


def _writer() -> None:
    """As every single write: admins and registrars (each row is then checked
    against the token's regions); auditors never write."""
    if auth.principal().role not in ("admin", "registrar"):
        raise ApiProblem("forbidden", "auditor tokens can read but never write")


@blp.route("/preview")
class Preview(MethodView):
    # RAISE: a misspelt parameter is a 422 naming it, never silently dropped.
    @blp.arguments(ReasonQuery, location="query", unknown=RAISE)
    @blp.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": CorrectionsIn},
        "text/csv": {"schema": {"type": "string"},
                     "example": ",".join(CSV_COLUMNS) + "\n"},
        WORKBOOK: {"schema": {"type": "string", "format": "binary"}}}})
    @blp.response(200, PreviewOut)
    @with_problems
    @with_probe_limit
    def post(self, args: dict[str, Any]) -> Any:
        """Show what a corrections file would change; write nothing.

        Rows (`void`, `disenroll`, `correct`, `enroll`) run in order under the same
        rules as single writes. The preview is kept for REGISTRY_PREVIEW_TTL_MINUTES
        (60) for its token to apply. A file with a rejected row cannot be applied
        (apply answers 422 preview_has_rejected_rows). More than 50,000 rows: 413.
        """
        _writer()
        access.guard()
        try:
            found: ReadFile = read(request.get_data(), request.mimetype == "text/csv",
                                   args["reason"], workbook=request.mimetype == WORKBOOK)
        except BadFile as e:
            raise ApiProblem(e.code, e.detail, errors=e.errors) from None
        answer = desk().preview(requests.context(), g.principal, found.file)
        access.record_refusals(o.error for o in answer["rows"])
        access.shown(access.subjects_of(w.get("nik") for w in answer["changes"]["workers"]))
        return preview_json(answer, found.lines)


@blp.route("/<string:preview_id>/apply")
class Apply(MethodView):
    @blp.arguments(ApplyIn)
    @blp.response(201, AppliedOut)
    @with_problems
    def post(self, _body: dict[str, Any], preview_id: str) -> Any:
        """Write the preview's corrections in one transaction, as previewed.

        Send `{}`. 404: no such preview for this token (or it expired); 409
        `stale_preview`: a record it read changed since (preview again); 409
        `preview_already_applied`; 422 `preview_has_rejected_rows`.
        """
        _writer()
        applied = desk().apply(requests.context(), g.principal, preview_id)
        access.shown(access.subjects_of(w.get("nik") for w in applied["changes"]["workers"]))
        return applied, 201
