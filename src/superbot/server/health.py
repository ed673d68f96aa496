"""``/healthz``, ``/readyz`` and ``/metrics`` on the HTTP server, for a load balancer, an
orchestrator and Prometheus.

- ``/healthz``: the process answers (200). Nothing else is asked, so that a database outage
  does not get every instance restarted at once.
- ``/readyz``: the database answers within a few seconds (200, else 503), and whether this
  instance holds the schedules (leader) or only dispatches and takes requests.
- ``/metrics``: the Prometheus text format (version 0.0.4), read from the database, so that
  every instance reports the same totals.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from superbot.store.metrics import Figures, SqlMetrics

log = logging.getLogger("superbot.http")

READY_SECONDS = 5.0
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def health_routes(
    metrics: SqlMetrics, leads: Callable[[], bool], clock: Callable[[], datetime]
) -> list[BaseRoute]:
    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(_request: Request) -> Response:
        database = "ok"
        try:
            await asyncio.wait_for(asyncio.to_thread(metrics.ping), READY_SECONDS)
        except Exception as error:  # any reason: not ready, and the log says which
            log.warning("not ready: the database does not answer (%s)", type(error).__name__)
            database = "unreachable"
        # A leader's lock lives in its database session: cut off, it leads no more.
        body = {"database": database, "leader": database == "ok" and leads()}
        status = 200 if database == "ok" else 503
        return Response(json.dumps(body) + "\n", status_code=status, media_type="application/json")

    async def metrics_page(_request: Request) -> Response:
        try:
            figures = await asyncio.wait_for(asyncio.to_thread(metrics.figures), READY_SECONDS)
        except Exception as error:
            log.warning("no metrics: the database does not answer (%s)", type(error).__name__)
            return PlainTextResponse("database unreachable\n", status_code=503)
        return Response(exposition(figures, leads(), clock()), media_type=PROMETHEUS_TEXT)

    return [
        Route("/healthz", healthz, methods=["GET", "HEAD"]),
        Route("/readyz", readyz, methods=["GET", "HEAD"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]


def exposition(figures: Figures, leader: bool, now: datetime) -> str:
    """The figures in the Prometheus text format."""
    lines: list[str] = []

    def family(name: str, kind: str, about: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {about}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(f"{name}{labels} {_number(value)}" for labels, value in samples)

    by_status: dict[str, list[tuple[str, float]]] = {"sent": [], "failed": []}
    depth: dict[str, int] = {}
    for (channel, status), count in sorted(figures.messages.items()):
        if status in by_status:
            by_status[status].append((_labels(channel=channel), count))
        elif status in ("pending", "sending"):
            depth[channel] = depth.get(channel, 0) + count
    family(
        "superbot_messages_sent_total",
        "counter",
        "Messages delivered, by channel.",
        by_status["sent"],
    )
    family(
        "superbot_messages_failed_total",
        "counter",
        "Messages given up on (permanent failure or out of retries), by channel.",
        by_status["failed"],
    )
    family(
        "superbot_outbox_depth",
        "gauge",
        "Messages waiting in the outbox (pending or being sent), by channel.",
        [(_labels(channel=channel), count) for channel, count in sorted(depth.items())],
    )
    oldest = figures.oldest_waiting
    family(
        "superbot_outbox_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest message waiting in the outbox (0 when none waits).",
        [("", max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)],
    )
    family(
        "superbot_replies_recorded_total",
        "counter",
        "Progress reports recorded, by where they came from.",
        [(_labels(source=source), n) for source, n in sorted(figures.replies.items())],
    )
    family(
        "superbot_schedule_last_round_timestamp_seconds",
        "gauge",
        "When the newest round of each schedule was put in the outbox (Unix time).",
        [(_labels(schedule=k), at.timestamp()) for k, at in sorted(figures.last_rounds.items())],
    )
    family(
        "superbot_schedule_checked_timestamp_seconds",
        "gauge",
        "When the leader last looked for due rounds of each schedule (Unix time).",
        [(_labels(schedule=k), at.timestamp()) for k, at in sorted(figures.looked.items())],
    )
    family(
        "superbot_leader",
        "gauge",
        "1 when this instance runs the schedules, 0 when another does.",
        [("", 1 if leader else 0)],
    )
    return "\n".join(lines) + "\n"


def _labels(**pairs: str) -> str:
    inner = ",".join(f'{key}="{_escaped(value)}"' for key, value in pairs.items())
    return "{" + inner + "}"


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))
