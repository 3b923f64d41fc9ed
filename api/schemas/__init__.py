"""marshmallow schemas: the shape of every request and response body."""
