"""The HTTP API: Flask app factory, blueprints and marshmallow schemas.

Views parse, call the application service or a read model's query, and map
domain errors to problem+json; they never touch the event store.
"""

from api.app import create_app

__all__ = ["create_app"]
