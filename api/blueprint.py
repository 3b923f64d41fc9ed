"""The registry's Blueprint: flask-smorest's, with a JSON reader that never 500s."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


def parse_json_body(data: bytes) -> Any:
    """Decode a JSON body; nesting too deep for the decoder is malformed input too."""
    try:
        return core.parse_json(data)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "[", 0) from None


class RegistryParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return parse_json_body(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = RegistryParser()
