"""Build the production reply generator: the provider router over the configured chain."""

from __future__ import annotations

import logging

from ..config import Settings
from .local import LocalProvider
from .provider_config import LOCAL
from .router import ProviderRouter, build_router

log = logging.getLogger(__name__)


def build_generator(settings: Settings, *, shared_system: str = "") -> ProviderRouter:
    """Validate the LLM configuration and load the local model now: start-up fails, not a turn.
    `shared_system` (the start of every turn's system text) is read into the local model's slots."""
    config = settings.llm
    local: LocalProvider | None = None
    if LOCAL in config.active_chain():
        local = LocalProvider(
            model_id=settings.llm_local_model,
            n_ctx=settings.llm_local_n_ctx,
            threads=settings.llm_local_threads,
            batch_threads=settings.llm_local_batch_threads,
            parallel=settings.llm_local_parallel,
            cache_mib=settings.llm_local_cache_mib,
            read_ahead=settings.llm_local_read_ahead,
            shared_system=shared_system,
        )
        local.load()
    router = build_router(config, local_provider=local)
    log.info("reply generator ready", extra={"chain": list(config.active_chain())})
    return router
