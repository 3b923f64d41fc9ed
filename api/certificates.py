"""/api/v1/workers/{nik}/coverage/certificate: the coverage certificate (DESIGN.md 10)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import RAISE

from api import access, auth
from api.blueprint import Blueprint
from api.common import read_models, registry, with_problems
from api.errors import ApiProblem
from api.schemas.log import CertificateOut, CertificateQuery
from projections import views
from registry.audit import certificate
from registry.domain import region_codes
from registry.domain.dates import today

blp = Blueprint("certificates", __name__, url_prefix="/api/v1/workers",
                description="Coverage certificates: an answer anyone can check offline")


def require_whole_stream_visible(nik: str) -> None:
    """A certificate carries the worker's whole stream: a scoped token gets one only if
    it sees the worker and every agreement the worker was ever enrolled under."""
    scopes = auth.principal().scopes
    views.require_visible_worker(read_models(), nik, scopes)
    if scopes is None:
        return
    worker = registry().app.get_worker(nik)
    if not all(region_codes.in_any(scopes, e.region_code) for e in worker.enrollments.values()):
        raise ApiProblem("forbidden", "the certificate holds the worker's whole history, which "
                                      "reaches outside this token's regions")


@blp.route("/<nik:nik>/coverage/certificate")
class Certificate(MethodView):
    @blp.arguments(CertificateQuery, location="query", unknown=RAISE)
    @blp.response(200, CertificateOut)
    @with_problems
    def get(self, args: dict[str, Any], nik: str) -> dict[str, Any]:
        """Was the worker covered on `on`: the answer, every event it rests on with its
        inclusion proof, and one signed checkpoint, to verify offline."""
        require_whole_stream_visible(nik)
        built = certificate.build(registry().log, nik, args["on"] or today())
        access.shown([access.subject_of(nik)])
        return built
