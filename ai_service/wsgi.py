"""WSGI entry point for gunicorn: `ai_service.wsgi:app`."""

from ai_service.app import create_app

app = create_app()
