"""Gunicorn settings for Cloud Run; every value can be overridden by an environment variable."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8080')}"  # noqa: S104 - a container listens on all interfaces
workers = int(os.environ.get("AURAOS_WORKERS", "1"))
threads = int(os.environ.get("AURAOS_THREADS", "4"))
worker_class = "gthread"
# Each worker loads the models itself: the LLM runtime starts threads, which must not cross a fork.
preload_app = False
timeout = int(os.environ.get("AURAOS_REQUEST_TIMEOUT_S", "300"))
graceful_timeout = 20
keepalive = 75
# No shared control socket in $HOME: several instances (tests, a non-root container) coexist.
control_socket_disable = True
accesslog = None  # the app writes one structured line per request
wsgi_app = "ai_service.wsgi:app"
