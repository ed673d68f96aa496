"""/healthz, /readyz and /metrics on the real HTTP server of `superbot run`, over HTTP, with
the metrics text read by Prometheus's own parser: what a load balancer and a scraper see."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url
from tests.bot.conftest import free_port
from tests.conftest import POSTGRES_URL, Cli
from tests.fakes.smtp import unused_port
from tests.fakes.tcp_proxy import TcpProxy

from superbot.cli.runtime import Runtime
from superbot.domain.model import ScheduleKind
from superbot.service.delivery import round_for
from superbot.store.db import normalise_url

NOW = datetime(2022, 7, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def no_sleep(_seconds: float) -> None:
    return None


@asynccontextmanager
async def serving(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """The HTTP server `superbot run` starts, and a client talking to it."""
    inbound = runtime.inbound({})
    assert inbound.server is not None
    await inbound.server.start()
    stop = asyncio.Event()
    task = asyncio.create_task(inbound.server.run(stop))
    try:
        async with httpx.AsyncClient(base_url=f"http://{runtime.config.http}") as client:
            yield client
    finally:
        stop.set()
        await task


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the exposition, by name and labels, as Prometheus reads them."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


async def test_health_readiness_and_metrics_of_a_round_sent_failed_and_waiting(
    cli: Cli, tmp_path: Path
) -> None:
    clock = Clock(NOW)
    cli.clock = clock
    assert cli("sync").status == 0
    assert cli("report", "zcq8-1", "--percent", "40", "--by", "limh").status == 0
    # Email is configured but its server is down (retried: waiting); the two group robots
    # have no URL (given up on: failed).
    config = replace(
        cli.config,
        http=f"127.0.0.1:{free_port()}",
        smtp_url=f"smtp://127.0.0.1:{unused_port()}?timeout=2",
        smtp_from="督查科 <duban@example.gov.cn>",
    )
    runtime = Runtime(config, clock=clock)
    enqueued = runtime.delivery.enqueue(round_for(ScheduleKind.BULLETIN, NOW.date()), NOW)
    await runtime.dispatcher(sleep=no_sleep).dispatch()
    emails = sum(1 for item in enqueued.items if item.channel == "email")
    assert emails > 0
    clock.now = NOW + timedelta(hours=1)

    async with serving(runtime) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
    await runtime.aclose()
    runtime.store.engine.dispose()

    assert (health.status_code, health.text) == (200, "ok\n")
    assert ready.status_code == 200
    assert ready.json() == {"database": "ok", "leader": True}  # SQLite: one process leads
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    found = samples(metrics.text)
    channel = lambda name: frozenset({("channel", name)})  # noqa: E731
    assert found[("superbot_messages_failed_total", channel("wecom"))] == 1
    assert found[("superbot_messages_failed_total", channel("dingtalk"))] == 1
    assert found[("superbot_outbox_depth", channel("email"))] == emails
    assert found[("superbot_outbox_oldest_pending_age_seconds", frozenset())] == 3600
    assert found[("superbot_replies_recorded_total", frozenset({("source", "cli")}))] == 1
    bulletin = frozenset({("schedule", "bulletin")})
    assert found[("superbot_schedule_last_round_timestamp_seconds", bulletin)] == NOW.timestamp()
    assert found[("superbot_leader", frozenset())] == 1
    assert not any(name == "superbot_messages_sent_total" for name, _ in found)


async def test_a_sent_message_is_counted_by_its_channel(cli: Cli) -> None:
    clock = Clock(NOW)
    cli.clock = clock
    assert cli("sync").status == 0
    config = replace(cli.config, http=f"127.0.0.1:{free_port()}")  # nothing configured: files
    runtime = Runtime(config, clock=clock)
    enqueued = runtime.delivery.enqueue(round_for(ScheduleKind.REMINDER, NOW.date()), NOW)
    await runtime.dispatcher(sleep=no_sleep).dispatch()
    async with serving(runtime) as client:
        text = (await client.get("/metrics")).text
    await runtime.aclose()
    runtime.store.engine.dispose()
    found = samples(text)
    sent = frozenset({("channel", "file")})
    assert found[("superbot_messages_sent_total", sent)] == len(enqueued.items) > 0
    assert found[("superbot_outbox_oldest_pending_age_seconds", frozenset())] == 0


async def test_readiness_follows_the_database_and_says_which_instance_leads(
    cli: Cli, postgres_url: str
) -> None:
    """Two instances on one PostgreSQL, reached through a proxy the test cuts: the leader and
    the other say so; cut off from the database both are not ready (503), though alive, and
    ready again once it answers."""
    upstream = make_url(normalise_url(POSTGRES_URL))
    with TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432) as proxy:
        url = (
            make_url(postgres_url)
            .set(host="127.0.0.1", port=proxy.port)
            .render_as_string(hide_password=False)
        )
        cli.config = replace(cli.config, database_url=url)
        assert cli("sync").status == 0
        first = Runtime(replace(cli.config, http=f"127.0.0.1:{free_port()}"), clock=Clock(NOW))
        second = Runtime(replace(cli.config, http=f"127.0.0.1:{free_port()}"), clock=Clock(NOW))
        assert first.leader.acquire() is True
        assert second.leader.acquire() is False
        try:
            async with serving(first) as one, serving(second) as two:
                assert (await one.get("/readyz")).json() == {"database": "ok", "leader": True}
                assert (await two.get("/readyz")).json() == {"database": "ok", "leader": False}
                leader = samples((await two.get("/metrics")).text)
                assert leader[("superbot_leader", frozenset())] == 0

                proxy.cut()
                down = await two.get("/readyz")
                assert down.status_code == 503
                assert json.loads(down.text)["database"] == "unreachable"
                assert (await two.get("/healthz")).status_code == 200  # alive: no restart
                assert (await two.get("/metrics")).status_code == 503

                proxy.restore()
                assert (await two.get("/readyz")).status_code == 200
        finally:
            first.leader.release()
            for runtime in (first, second):
                await runtime.aclose()
                runtime.store.engine.dispose()


@pytest.mark.parametrize(
    ("value", "written"),
    [('tele"gram', 'channel="tele\\"gram"'), ("a\\b\nc", 'channel="a\\\\b\\nc"')],
)
def test_label_values_are_escaped_as_the_format_asks(value: str, written: str) -> None:
    from superbot.server.health import exposition
    from superbot.store.metrics import Figures

    text = exposition(Figures(messages={(value, "sent"): 2}), True, NOW)
    assert written in text
    assert samples(text)[("superbot_messages_sent_total", frozenset({("channel", value)}))] == 2
