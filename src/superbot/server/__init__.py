"""The one HTTP server of ``superbot run`` (``SUPERBOT_HTTP``): every inbound request, at
fixed paths — ``/telegram`` (the bot's webhook), ``/wecom``, ``/dingtalk``, ``/feishu`` (the
chat apps' callbacks) — and whatever mounts on it later (the web view, health and metrics:
:class:`HttpServer` takes any Starlette routes).

Starlette routes, served by uvicorn inside superbot's own event loop: uvicorn's signal
handling is left to ``superbot run``, which stops everything together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute

log = logging.getLogger("superbot.http")


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # superbot run handles SIGINT/SIGTERM and sets ``should_exit``


class HttpServer:
    def __init__(self, address: str, routes: Sequence[BaseRoute]) -> None:
        host, _, port = address.rpartition(":")
        self.address = address
        self.host = host.strip("[]") or "127.0.0.1"
        self.port = int(port)
        self.app = Starlette(routes=list(routes))
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            lifespan="off",
            log_level="warning",
            access_log=False,
            server_header=False,
        )
        self._server = _Server(config)

    @property
    def paths(self) -> list[str]:
        return [str(getattr(route, "path", "")) for route in self.app.routes]

    async def start(self) -> None:
        """Listen now (``superbot run`` says where once it does)."""
        server = self._server
        if not server.config.loaded:
            server.config.load()
        server.lifespan = server.config.lifespan_class(server.config)
        try:
            await server.startup()
        except SystemExit:  # uvicorn exits when it cannot bind; say why instead
            raise OSError(f"cannot listen on {self.address}") from None

    async def run(self, stop: asyncio.Event) -> None:
        if not self._server.started:
            await self.start()

        async def stopping() -> None:
            await stop.wait()
            self._server.should_exit = True

        watcher = asyncio.create_task(stopping())
        try:
            await self._server.main_loop()
        finally:
            watcher.cancel()
            await self._server.shutdown()
