"""`auraos-release`: blue-green traffic for a Cloud Run service through the Admin API v2.

    auraos-release --project P --region R --service ai-service list
    auraos-release ... url --tag green                    # the tag's own URL
    auraos-release ... smoke --tag green --path /readyz   # GET it with an ID token, expect 200
    auraos-release ... shift --tag green --percent 10     # green 10 %, the rest where it was
    auraos-release ... promote --tag green                # green 100 %
    auraos-release ... rollback --to-tag blue             # blue's revision 100 %

A new revision is deployed with `gcloud run deploy --no-traffic --tag green` (see cloudbuild.yaml);
this tool only moves traffic and tags. Every change sends the service's `traffic` alone
(`updateMask=traffic`) with the etag it was computed from, so a concurrent change fails instead
of being overwritten, and waits for the operation. Tags are kept on their revisions, so tag URLs
keep working. `shift` and `promote` first move the `--previous-tag` (default `blue`) to the
revision that served most of the traffic besides the candidate, so `rollback --to-tag blue` always
returns to what served before this release. `--dry-run` prints the traffic it would set.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import urlsplit

import google.auth.exceptions
import requests
from google.api_core import exceptions as api_exceptions
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2

_REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
_LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
DEFAULT_PREVIOUS_TAG = "blue"
DEFAULT_TIMEOUT_S = 300.0


class ReleaseError(Exception):
    """The requested traffic change cannot be made (unknown tag, nothing to fall back on, ...)."""


@dataclass(frozen=True, slots=True)
class Split:
    """Desired traffic: percent per revision (short names) and the revision of every tag."""

    percents: dict[str, int]
    tags: dict[str, str]

    def targets(self) -> list[run_v2.TrafficTarget]:
        """Explicit revision targets: serving revisions first (largest share first), then tags."""
        by_revision: dict[str, list[str]] = {}
        for tag, revision in sorted(self.tags.items()):
            by_revision.setdefault(revision, []).append(tag)
        serving = sorted(
            (r for r, p in self.percents.items() if p > 0), key=lambda r: (-self.percents[r], r)
        )
        targets: list[run_v2.TrafficTarget] = []
        for revision in serving:
            tags = by_revision.pop(revision, [])
            first = tags[0] if tags else ""
            targets.append(_target(revision, self.percents[revision], first))
            targets.extend(_target(revision, 0, tag) for tag in tags[1:])
        for revision, tags in sorted(by_revision.items()):
            targets.extend(_target(revision, 0, tag) for tag in tags)
        return targets


def _target(revision: str, percent: int, tag: str) -> run_v2.TrafficTarget:
    return run_v2.TrafficTarget(type_=_REVISION, revision=revision, percent=percent, tag=tag)


def short_name(revision: str) -> str:
    """`projects/p/locations/r/services/s/revisions/x` -> `x`; short names pass through."""
    return revision.rsplit("/", 1)[-1]


def current_split(service: run_v2.Service) -> Split:
    """The service's traffic spec with `LATEST` resolved to the latest ready revision."""
    latest = short_name(service.latest_ready_revision)
    percents: dict[str, int] = {}
    tags: dict[str, str] = {}
    for target in service.traffic:
        revision = latest if target.type_ == _LATEST else short_name(target.revision)
        if not revision:
            raise ReleaseError("the service has no ready revision to resolve LATEST to")
        if target.percent:
            percents[revision] = percents.get(revision, 0) + target.percent
        if target.tag:
            tags[target.tag] = revision
    return Split(percents=percents, tags=tags)


def _tagged(split: Split, tag: str) -> str:
    try:
        return split.tags[tag]
    except KeyError:
        known = ", ".join(sorted(split.tags)) or "none"
        raise ReleaseError(f"no revision is tagged {tag!r} (tags: {known})") from None


def _scale(percents: dict[str, int], total: int) -> dict[str, int]:
    """Scale shares to sum to `total`, keeping proportions (largest remainder, then name)."""
    whole = sum(percents.values())
    exact = {r: p * total / whole for r, p in percents.items()}
    scaled = {r: int(v) for r, v in exact.items()}
    left = total - sum(scaled.values())
    for revision in sorted(exact, key=lambda r: (-(exact[r] - scaled[r]), r))[:left]:
        scaled[revision] += 1
    return {r: p for r, p in scaled.items() if p > 0}


def _retag_previous(
    split: Split, *, candidate: str, tag: str, previous_tag: str | None
) -> tuple[dict[str, int], dict[str, str]]:
    """(the other serving revisions' shares, tags with `previous_tag` on the biggest of them)."""
    others = {r: p for r, p in split.percents.items() if r != candidate and p > 0}
    tags = dict(split.tags)
    if previous_tag and others:
        if previous_tag == tag:
            raise ReleaseError("the previous revision's tag must differ from the candidate's")
        tags[previous_tag] = min(others, key=lambda r: (-others[r], r))
    return others, tags


def plan_shift(
    split: Split, *, tag: str, percent: int, previous_tag: str | None = DEFAULT_PREVIOUS_TAG
) -> Split:
    """`tag`'s revision gets `percent`; the other serving revisions share the rest as before."""
    if not 0 <= percent <= 100:
        raise ReleaseError("percent must be between 0 and 100")
    candidate = _tagged(split, tag)
    others, tags = _retag_previous(split, candidate=candidate, tag=tag, previous_tag=previous_tag)
    if percent < 100 and not others:
        raise ReleaseError(
            f"only {tag!r} ({candidate}) serves traffic; nothing to keep the other "
            f"{100 - percent}% on"
        )
    percents = _scale(others, 100 - percent) if percent < 100 else {}
    if percent:
        percents[candidate] = percent
    return Split(percents=percents, tags=tags)


def plan_promote(
    split: Split, *, tag: str, previous_tag: str | None = DEFAULT_PREVIOUS_TAG
) -> Split:
    """100% to `tag`'s revision; the revision that served most of the rest gets `previous_tag`."""
    return plan_shift(split, tag=tag, percent=100, previous_tag=previous_tag)


def plan_rollback(split: Split, *, to_tag: str) -> Split:
    """100% back to `to_tag`'s revision; every tag stays where it is."""
    return Split(percents={_tagged(split, to_tag): 100}, tags=dict(split.tags))


class Release:
    """Reads and changes one service's traffic."""

    def __init__(
        self,
        *,
        services: run_v2.ServicesClient,
        revisions: run_v2.RevisionsClient,
        service_name: str,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._services = services
        self._revisions = revisions
        self.service_name = service_name
        self._timeout_s = timeout_s

    def service(self) -> run_v2.Service:
        return self._services.get_service(name=self.service_name)

    def revisions(self) -> list[run_v2.Revision]:
        return list(self._revisions.list_revisions(parent=self.service_name))

    def apply(self, *, service: run_v2.Service, split: Split) -> run_v2.Service:
        """Replace the traffic of `service` (as read, etag included) and wait for the result."""
        request = run_v2.UpdateServiceRequest(
            service=run_v2.Service(name=service.name, etag=service.etag, traffic=split.targets()),
            update_mask={"paths": ["traffic"]},
        )
        operation = self._services.update_service(request=request)
        updated: run_v2.Service = operation.result(timeout=self._timeout_s)  # type: ignore[no-untyped-call]
        return updated


def smoke(
    *,
    url: str,
    id_token: Callable[[str], str] | None,
    attempts: int = 5,
    interval_s: float = 5.0,
    timeout_s: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """GET `url` (with an ID token for its origin, unless `id_token` is None) until it answers 200.

    Returns a one-line summary; raises ReleaseError after `attempts` failures.
    """
    parts = urlsplit(url)
    audience = f"{parts.scheme}://{parts.netloc}"
    last = ""
    for attempt in range(1, attempts + 1):
        headers = {"User-Agent": "auraos-release-smoke"}
        if id_token is not None:
            headers["Authorization"] = f"Bearer {id_token(audience)}"
        started = time.monotonic()
        try:
            response = requests.get(url, headers=headers, timeout=timeout_s, allow_redirects=False)
        except requests.RequestException as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code == 200:
                took = time.monotonic() - started
                return f"smoke ok: GET {url} -> 200 in {took:.2f}s (attempt {attempt})"
            last = f"HTTP {response.status_code}: {response.text[:200]}"
        if attempt < attempts:
            sleep(interval_s)
    raise ReleaseError(f"smoke test failed: GET {url} after {attempts} attempts; last: {last}")


def google_id_token(audience: str) -> str:
    """An ID token for `audience` from the ambient credentials (metadata server, ADC)."""
    import google.auth.transport.requests  # noqa: PLC0415 - only the smoke command needs it
    from google.oauth2 import id_token  # noqa: PLC0415

    request = google.auth.transport.requests.Request()
    token: str = id_token.fetch_id_token(request, audience)  # type: ignore[no-untyped-call]
    return token


def _table(rows: Iterable[Sequence[str]], *, headers: Sequence[str]) -> str:
    grid = [list(headers), *[list(r) for r in rows]]
    widths = [max(len(row[i]) for row in grid) for i in range(len(headers))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n"
        for row in grid
    )


def _split_table(split: Split) -> str:
    revisions = sorted(
        set(split.percents) | set(split.tags.values()), key=lambda r: (-split.percents.get(r, 0), r)
    )
    rows = [
        (
            r,
            f"{split.percents.get(r, 0)}%",
            ",".join(sorted(t for t, rev in split.tags.items() if rev == r)) or "-",
        )
        for r in revisions
    ]
    return _table(rows, headers=("REVISION", "TRAFFIC", "TAGS"))


def _serving(service: run_v2.Service) -> tuple[dict[str, int], dict[str, str]]:
    """What serves now (traffic statuses when reported, else the spec): percents, tag -> URL."""
    if not service.traffic_statuses:
        split = current_split(service)
        return split.percents, {}
    latest = short_name(service.latest_ready_revision)
    percents: dict[str, int] = {}
    for status in service.traffic_statuses:
        revision = latest if status.type_ == _LATEST else short_name(status.revision)
        if status.percent:
            percents[revision] = percents.get(revision, 0) + status.percent
    return percents, {s.tag: s.uri for s in service.traffic_statuses if s.tag}


def list_text(*, service: run_v2.Service, revisions: Sequence[run_v2.Revision]) -> str:
    """Every revision, newest first, with its traffic share and tags."""
    percents, _ = _serving(service)
    tags_of: dict[str, list[str]] = {}
    for tag, revision in sorted(current_split(service).tags.items()):
        tags_of.setdefault(revision, []).append(tag)
    ordered = sorted(
        revisions, key=lambda r: r.create_time.timestamp() if r.create_time else 0.0, reverse=True
    )
    rows = [
        (
            short_name(r.name),
            f"{percents.get(short_name(r.name), 0)}%",
            ",".join(tags_of.get(short_name(r.name), [])) or "-",
            r.create_time.isoformat() if r.create_time else "-",
        )
        for r in ordered
    ]
    head = f"service {service.name}\nurl {service.uri or '-'}\n"
    return head + _table(rows, headers=("REVISION", "TRAFFIC", "TAGS", "CREATED"))


def build_release(
    *,
    project: str,
    region: str,
    service: str,
    endpoint: str | None = None,
    anonymous: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Release:
    """Clients on the REST transport; `endpoint`/`anonymous` point them at a local fake."""
    options = ClientOptions(api_endpoint=endpoint) if endpoint else None
    credentials = AnonymousCredentials() if anonymous else None  # type: ignore[no-untyped-call]
    services = run_v2.ServicesClient(
        transport="rest", client_options=options, credentials=credentials
    )
    revisions = run_v2.RevisionsClient(
        transport="rest", client_options=options, credentials=credentials
    )
    name = run_v2.ServicesClient.service_path(project, region, service)
    return Release(services=services, revisions=revisions, service_name=name, timeout_s=timeout_s)


def build_parser() -> argparse.ArgumentParser:
    """The command line; `main` runs it."""
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="auraos-release", description="Blue-green traffic for a Cloud Run service."
    )
    parser.add_argument("--project", default=env("AURAOS_RELEASE_PROJECT"))
    parser.add_argument("--region", default=env("AURAOS_RELEASE_REGION"))
    parser.add_argument("--service", default=env("AURAOS_RELEASE_SERVICE", "ai-service"))
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds")
    parser.add_argument(
        "--endpoint", default=env("AURAOS_RUN_API_ENDPOINT"), help=argparse.SUPPRESS
    )
    parser.add_argument("--anonymous", action="store_true", help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="revisions with their traffic and tags")
    url = commands.add_parser("url", help="print a tag's URL")
    url.add_argument("--tag", required=True)
    check = commands.add_parser("smoke", help="GET a tag's URL + path until it answers 200")
    check.add_argument("--tag", required=True)
    check.add_argument("--path", default="/readyz")
    check.add_argument("--attempts", type=int, default=5)
    check.add_argument("--interval", type=float, default=5.0, help="seconds between attempts")
    shift = commands.add_parser("shift", help="give a tag's revision N%% of the traffic")
    shift.add_argument("--tag", required=True)
    shift.add_argument("--percent", type=int, required=True)
    promote = commands.add_parser("promote", help="100%% of the traffic to a tag")
    promote.add_argument("--tag", required=True)
    for command in (shift, promote):
        command.add_argument(
            "--previous-tag",
            default=DEFAULT_PREVIOUS_TAG,
            help="tag for the revision being replaced ('' to leave tags alone)",
        )
        command.add_argument("--dry-run", action="store_true")
    rollback = commands.add_parser("rollback", help="100%% back to a tag's revision")
    rollback.add_argument("--to-tag", required=True)
    rollback.add_argument("--dry-run", action="store_true")
    return parser


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Console entry point; 0 on success, 1 when the change is refused or the API fails."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.project or not args.region:
        parser.error("--project and --region are required (or AURAOS_RELEASE_PROJECT/_REGION)")
    release = build_release(
        project=args.project,
        region=args.region,
        service=args.service,
        endpoint=args.endpoint,
        anonymous=args.anonymous,
        timeout_s=args.timeout,
    )
    try:
        return _run(args, release=release, out=out)
    except (
        ReleaseError,
        api_exceptions.GoogleAPIError,
        google.auth.exceptions.GoogleAuthError,
        TimeoutError,  # the operation did not finish within --timeout
    ) as exc:
        err.write(f"auraos-release: {exc}\n")
        return 1


def _run(args: argparse.Namespace, *, release: Release, out: TextIO) -> int:
    service = release.service()
    if args.command == "list":
        out.write(list_text(service=service, revisions=release.revisions()))
        return 0
    if args.command in ("url", "smoke"):
        _, urls = _serving(service)
        if not urls.get(args.tag):
            raise ReleaseError(f"no URL is reported for tag {args.tag!r} (yet)")
        if args.command == "url":
            out.write(urls[args.tag] + "\n")
            return 0
        summary = smoke(
            url=urls[args.tag].rstrip("/") + "/" + args.path.lstrip("/"),
            id_token=None if args.anonymous else google_id_token,
            attempts=args.attempts,
            interval_s=args.interval,
        )
        out.write(summary + "\n")
        return 0
    split = current_split(service)
    if args.command == "shift":
        planned = plan_shift(
            split, tag=args.tag, percent=args.percent, previous_tag=args.previous_tag or None
        )
    elif args.command == "promote":
        planned = plan_promote(split, tag=args.tag, previous_tag=args.previous_tag or None)
    else:
        planned = plan_rollback(split, to_tag=args.to_tag)
    if args.dry_run:
        out.write("would set traffic:\n" + _split_table(planned))
        return 0
    updated = release.apply(service=service, split=planned)
    out.write(
        f"{args.command}: {short_name(updated.name)}\n" + _split_table(current_split(updated))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
