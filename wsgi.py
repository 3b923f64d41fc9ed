"""gunicorn entry point, `wsgi:app`. Imported in each worker after fork (no --preload)."""

from api import create_app

app = create_app()
