"""/api/v1/log: the verifiable log's checkpoints, proofs and cosignatures (DESIGN.md 10).

Any role reads the log; a token scoped to regions gets proofs only of the
events it may see in `/events`. A witness (role `witness`, or an admin)
posts cosignatures; a witness token can do nothing else (api/auth.py).
"""

from __future__ import annotations

from typing import Any

from flask import Response, json
from flask.views import MethodView
from marshmallow import RAISE

from api import access, auth
from api.blueprint import Blueprint
from api.common import read_models, registry, with_problems
from api.errors import ApiProblem
from api.schemas.log import (
    ConsistencyOut,
    ConsistencyQuery,
    CosignatureIn,
    CosignatureOut,
    NoQuery,
    ProofOut,
    ProofQuery,
)
from projections import views

blp = Blueprint("log", __name__, url_prefix="/api/v1/log",
                description="The verifiable log: signed checkpoints, inclusion and "
                            "consistency proofs, witnesses' cosignatures")

COSIGNERS = ("witness", "admin")


def _visible(position: int) -> bool:
    """Whether the caller may see the event at `position` in the global log."""
    scopes = auth.principal().scopes
    if scopes is None:
        return True
    events, _ = views.global_log(read_models(), scopes=scopes, after=position - 1, limit=1)
    return bool(events) and events[0]["position"] == position


@blp.route("/checkpoint")
class Checkpoint(MethodView):
    @blp.arguments(NoQuery, location="query", unknown=RAISE)
    @blp.response(200, content_type="text/plain", description="a C2SP signed note")
    @with_problems
    def get(self, _args: dict[str, Any]) -> Response:
        """The signed checkpoint of the tree as stored now, with the cosignatures held for it."""
        return Response(registry().log.served(), mimetype="text/plain")


@blp.route("/proof")
class Proof(MethodView):
    @blp.arguments(ProofQuery, location="query", unknown=RAISE)
    @blp.response(200, ProofOut)
    @with_problems
    def get(self, args: dict[str, Any]) -> Response:
        """The event at `position`, its RFC 9162 inclusion proof and the signed checkpoint
        of `tree_size` (default: the tree as stored now)."""
        found = registry().log.proof(args["position"], args["tree_size"], _visible)
        access.shown(access.worker_stream_of(found["event"]))
        # Already the documented shape, all plain JSON values: written out directly, as
        # a proof is asked for often and marshmallow's dump doubled its cost.
        return Response(json.dumps(found), mimetype="application/json")


@blp.route("/consistency")
class Consistency(MethodView):
    @blp.arguments(ConsistencyQuery, location="query", unknown=RAISE)
    @blp.response(200, ConsistencyOut)
    @with_problems
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """The RFC 9162 consistency proof that the tree of `to` leaves extends that of `from`."""
        found = registry().log.consistency(args["from_"], args["to"])
        return {"from_": found["from"], "to": found["to"], "proof": found["proof"]}


@blp.route("/cosignatures")
class Cosignatures(MethodView):
    @blp.arguments(CosignatureIn)
    @blp.response(201, CosignatureOut)
    @with_problems
    def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """A witness's cosignature of a checkpoint; kept once it verifies against a
        configured witness key (`registry witness add-key`), refused with 422 otherwise."""
        if auth.principal().role not in COSIGNERS:
            raise ApiProblem("forbidden", "only witness and admin tokens post cosignatures")
        return registry().log.add_cosignature(body["checkpoint"], body["cosignature"])
