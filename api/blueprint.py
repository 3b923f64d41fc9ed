"""The registry's Blueprint: flask-smorest's, with a JSON reader that never 500s."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from marshmallow import RAISE
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

# No field holds an integer of more than 19 digits, and Python refuses to convert one of
# more than 4,300 (a ValueError, not a JSONDecodeError). A longer one is read as a float,
# which every integer field refuses by name, as it refuses 10**30: 422, never 500.
MAX_INTEGER_DIGITS = 64


def _integer(text: str) -> int | float:
    return int(text) if len(text) <= MAX_INTEGER_DIGITS else float(text)


def parse_json_body(data: bytes) -> Any:
    """Decode a JSON body; nesting too deep for the decoder is malformed input too."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise json.JSONDecodeError(f"not UTF-8: {e.reason}", repr(data[:100]), e.start) from None
    try:
        return json.loads(text, parse_int=_integer)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "[", 0) from None


class RegistryParser(FlaskParser):
    # A query parameter the schema does not name is an error, as a body field is
    # (api/contract.py refuses it first, for operations without a query schema too).
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
                                   "query": RAISE, "querystring": RAISE}

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return parse_json_body(req.get_data(cache=True))


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = RegistryParser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Any:
        # webargs builds a schema from a class on every request; one instance serves them
        # all (loading keeps no state on it), and documents the same.
        return super().arguments(schema() if isinstance(schema, type) else schema,
                                 *args, **kwargs)
