"""Gunicorn settings for Cloud Run; every value can be overridden by an environment variable."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8080')}"  # noqa: S104 - a container listens on all interfaces
workers = int(os.environ.get("AURAOS_WORKERS", "1"))
threads = int(os.environ.get("AURAOS_THREADS", "4"))
worker_class = "gthread"
# Load models once in the master, before forking, so workers share pages and start ready.
preload_app = True
timeout = int(os.environ.get("AURAOS_REQUEST_TIMEOUT_S", "300"))
graceful_timeout = 20
keepalive = 75
accesslog = None  # the app writes one structured line per request
wsgi_app = "ai_service.wsgi:app"
