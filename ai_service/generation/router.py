"""Route a generation across providers: preferred model first, retries with backoff, fallback.

Fallback policy: a provider is replaced only while nothing of its reply has reached `on_delta`
and none of its tool calls has run. Once text has been streamed to the user, or a tool has acted
(a reminder created), a failure is raised as it is (neither retried nor handed to the next
provider), because the caller's partial reply would otherwise silently mix two answers, and a
second provider would act again. The pipeline then releases the turn and the redelivered attempt
starts over, which overwrites the partial reply from the beginning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence

from google.auth.credentials import Credentials
from pydantic import Field
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from shared.models.base import Frozen

from .base import (
    GenerationRequest,
    GenerationResult,
    OnDelta,
    Provider,
    ProviderError,
    ReadsAhead,
    ToolInvocation,
    ToolResult,
    ToolRunner,
)
from .costs import DEFAULT_PRICES, ModelPrice, cost_usd
from .provider_config import ANTHROPIC, LOCAL, OPENAI, VERTEX, LLMConfig
from .tokens import count_request_tokens, count_tokens

log = logging.getLogger(__name__)

ROUTER = "router"


class RetryPolicy(Frozen):
    """Retries of transient failures on one provider before the router falls back."""

    attempts: int = Field(default=2, ge=1, le=10)  # per provider, the first try included
    initial_backoff_s: float = Field(default=0.5, ge=0.0)
    max_backoff_s: float = Field(default=4.0, ge=0.0)
    jitter_s: float = Field(default=0.1, ge=0.0)  # spreads retries of concurrent turns


class RoutedResult(GenerationResult):
    """A provider's result plus what the routing cost: USD, wall time and calls made."""

    cost_usd: float = Field(ge=0.0)
    latency_ms: int = Field(ge=0)
    attempts: int = Field(ge=1)


class _StreamWatch:
    """Forwards deltas and tool calls; `streamed` once any text reached the caller or any tool
    ran (either makes a retry or a fallback repeat something)."""

    def __init__(self, on_delta: OnDelta, run_tool: ToolRunner | None) -> None:
        self._on_delta = on_delta
        self._run_tool = run_tool
        self.streamed = False

    def __call__(self, piece: str) -> bool:
        self.streamed = self.streamed or bool(piece)
        return self._on_delta(piece)

    @property
    def run_tool(self) -> ToolRunner | None:
        """The runner to hand the provider: the caller's, watched; None when there is none."""
        return self._tool if self._run_tool is not None else None

    def _tool(self, invocation: ToolInvocation) -> ToolResult:
        assert self._run_tool is not None
        # Set before the call: a tool that acted and then raised has acted all the same.
        self.streamed = True
        return self._run_tool(invocation)


class ProviderRouter:
    """Implements the pipeline's ReplyGenerator over an ordered chain of providers."""

    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        chain: Sequence[str] | None = None,
        allowed_models: Mapping[str, Sequence[str]] | None = None,
        prices: Mapping[str, ModelPrice] | None = None,
        retry: RetryPolicy | None = None,
        attempts_by_provider: Mapping[str, int] | None = None,
        free_providers: Collection[str] = (LOCAL,),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        by_name = {provider.name: provider for provider in providers}
        if len(by_name) != len(providers):
            raise ValueError("provider names must be unique")
        order = list(chain) if chain is not None else list(by_name)
        self._chain = [by_name[name] for name in order if name in by_name]
        self._allowed = {name: frozenset(models) for name, models in (allowed_models or {}).items()}
        self._prices = dict(DEFAULT_PRICES if prices is None else prices)
        self._retry = retry or RetryPolicy()
        self._attempts = dict(attempts_by_provider or {})
        self._free = frozenset(free_providers)
        self._sleep = sleep
        self._clock = clock

    @property
    def chain(self) -> tuple[str, ...]:
        """Names of the providers tried, in order, when no preferred model applies."""
        return tuple(provider.name for provider in self._chain)

    def generate(
        self,
        request: GenerationRequest,
        on_delta: OnDelta,
        *,
        preferred_model: str | None = None,
        run_tool: ToolRunner | None = None,
    ) -> RoutedResult:
        """The first successful reply along the plan; ProviderError when every provider failed.

        `run_tool` goes to each provider with the request's tools; after it has run once, the
        provider's failure is final, as after streamed text.

        `preferred_model` (or else `request.model`) goes first, on its provider, when that
        provider lists it in `allowed_models` or has it as default; otherwise it is ignored.
        Every other provider gets its own default model. The final error is retryable when
        at least one provider failed transiently: a redelivered attempt may then succeed,
        while a chain of permanent failures will not.
        """
        started = self._clock()
        plan = self._plan(preferred_model or request.model)
        if not plan:
            raise ProviderError("no LLM provider is configured", provider=ROUTER, retryable=False)
        failures: list[ProviderError] = []
        calls = 0
        for provider, model in plan:
            attempt_request = request.model_copy(update={"model": model})
            watch = _StreamWatch(on_delta, run_tool)
            retrying = self._retrying(provider.name, watch)
            try:
                for attempt in retrying:
                    with attempt:
                        calls += 1
                        result = provider.generate(attempt_request, watch, run_tool=watch.run_tool)
            except ProviderError as error:
                if watch.streamed:
                    log.warning(
                        "provider failed mid-reply (text streamed or a tool ran); not falling back",
                        extra={"provider": provider.name, "retryable": error.retryable},
                    )
                    raise
                failures.append(error)
                log.warning(
                    "provider failed; trying the next one",
                    extra={"provider": provider.name, "retryable": error.retryable},
                )
                continue
            except Exception as error:
                # A provider bug (not a mapped API failure) must not take the whole chain down.
                log.exception("provider raised unexpectedly", extra={"provider": provider.name})
                failure = ProviderError(
                    f"{provider.name}: unexpected {type(error).__name__}",
                    provider=provider.name,
                    retryable=False,
                )
                if watch.streamed:
                    raise failure from error
                failures.append(failure)
                continue
            return self._finish(request, result, started=started, calls=calls)
        raise ProviderError(
            "every LLM provider failed: " + "; ".join(f.message for f in failures),
            provider=ROUTER,
            retryable=any(f.retryable for f in failures),
        )

    def read_ahead(self, request: GenerationRequest, *, preferred_model: str | None) -> None:
        """Have the provider a request would go to first read its start now (see `ReadsAhead`);
        nothing where that provider has no use for it (hosted APIs cache prefixes themselves)."""
        plan = self._plan(preferred_model or request.model)
        if plan and isinstance(provider := plan[0][0], ReadsAhead):
            provider.read_ahead(request.model_copy(update={"model": plan[0][1]}))

    def cost(self, result: GenerationResult) -> float:
        """USD cost of a result; 0 for free (local) providers and for models without a price."""
        if isinstance(result, RoutedResult):
            return result.cost_usd
        if result.provider in self._free:
            return 0.0
        cost = cost_usd(
            prices=self._prices,
            model=result.model,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
        )
        if cost is None:
            log.warning("no price for model; cost recorded as 0", extra={"model": result.model})
            return 0.0
        return cost

    def _plan(self, preferred: str | None) -> list[tuple[Provider, str | None]]:
        """(provider, model) pairs to try; model None means the provider's default."""
        owner = self._owner(preferred) if preferred else None
        if preferred and owner is None:
            log.info("preferred model not allowed; using the chain", extra={"model": preferred})
        plan: list[tuple[Provider, str | None]] = []
        if owner is not None:
            plan.append((owner, preferred))
        plan.extend((provider, None) for provider in self._chain if provider is not owner)
        return plan

    def _owner(self, model: str) -> Provider | None:
        """The provider that may serve `model`: listed in allowed_models, or its default model."""
        for provider in self._chain:
            if model in self._allowed.get(provider.name, ()) or model == provider.default_model():
                return provider
        return None

    def _retrying(self, name: str, watch: _StreamWatch) -> Retrying:
        policy = self._retry

        def transient(error: BaseException) -> bool:
            # Never retry once text reached the user or a tool ran: the retry would repeat it.
            return isinstance(error, ProviderError) and error.retryable and not watch.streamed

        def before_sleep(state: RetryCallState) -> None:
            wait = state.next_action.sleep if state.next_action else 0.0
            log.info(
                "retrying provider",
                extra={"provider": name, "attempt": state.attempt_number, "wait_s": wait},
            )

        return Retrying(
            stop=stop_after_attempt(self._attempts.get(name, policy.attempts)),
            wait=wait_exponential(multiplier=policy.initial_backoff_s, max=policy.max_backoff_s)
            + wait_random(0, policy.jitter_s),
            retry=retry_if_exception(transient),
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )

    def _finish(
        self, request: GenerationRequest, result: GenerationResult, *, started: float, calls: int
    ) -> RoutedResult:
        if result.text and result.input_tokens == 0 and result.output_tokens == 0:
            # A provider without usage reporting (e.g. a local model): estimate both sides.
            result = result.model_copy(
                update={
                    "input_tokens": count_request_tokens(request),
                    "output_tokens": count_tokens(result.text),
                }
            )
        latency_ms = max(0, round((self._clock() - started) * 1000))
        routed = RoutedResult(
            **result.model_dump(),
            cost_usd=self.cost(result),
            latency_ms=latency_ms,
            attempts=calls,
        )
        log.info(
            "generation answered",
            extra={
                "provider": routed.provider,
                "model": routed.model,
                "latencyMs": latency_ms,
                "attempts": calls,
                "costUsd": routed.cost_usd,
            },
        )
        return routed


def build_router(
    config: LLMConfig,
    *,
    local_provider: Provider | None = None,
    vertex_credentials: Credentials | None = None,
) -> ProviderRouter:
    """The production router: one provider per usable entry of the configured chain.

    `local_provider` is the bundled model (built by the caller, it is heavy); without it "local"
    is skipped. `vertex_credentials` overrides Application Default Credentials (tests).
    """
    # Each SDK is imported only when its provider is configured: together they take seconds to
    # import, which a local-only deployment should not spend on every cold start.
    providers: list[Provider] = []
    for name in config.active_chain():
        if name == OPENAI and config.openai.api_key is not None:
            from .openai_provider import OpenAIProvider  # noqa: PLC0415

            providers.append(
                OpenAIProvider(
                    api_key=config.openai.api_key.get_secret_value(),
                    model=config.openai.default_model,
                    base_url=config.openai.base_url,
                    timeout_s=config.openai.timeout_s,
                )
            )
        elif name == ANTHROPIC and config.anthropic.api_key is not None:
            from .anthropic_provider import AnthropicProvider  # noqa: PLC0415

            providers.append(
                AnthropicProvider(
                    api_key=config.anthropic.api_key.get_secret_value(),
                    model=config.anthropic.default_model,
                    base_url=config.anthropic.base_url,
                    timeout_s=config.anthropic.timeout_s,
                )
            )
        elif name == VERTEX and config.vertex.project:
            from .vertex_provider import VertexProvider  # noqa: PLC0415

            providers.append(
                VertexProvider(
                    project=config.vertex.project,
                    location=config.vertex.location,
                    model=config.vertex.default_model,
                    base_url=config.vertex.base_url,
                    timeout_s=config.vertex.timeout_s,
                    credentials=vertex_credentials,
                )
            )
        elif name == LOCAL and local_provider is not None:
            providers.append(local_provider)
    router = ProviderRouter(
        providers,
        chain=[provider.name for provider in providers],
        allowed_models=config.allowed_models,
        prices=config.prices,
        retry=RetryPolicy(
            initial_backoff_s=config.backoff_initial_s, max_backoff_s=config.backoff_max_s
        ),
        attempts_by_provider={name: n + 1 for name, n in config.max_retries().items()},
    )
    log.info("LLM router ready", extra={"chain": list(router.chain)})
    return router
