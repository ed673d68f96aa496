"""The one place that builds objects: configuration in, store/templates/channels out."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from functools import cached_property
from typing import TextIO

import click
import jinja2

from superbot.config import Config
from superbot.domain.text import Text
from superbot.render.environment import FALLBACK_LOCALE, Templates, make_environment
from superbot.render.terminal import Painter, table, truncate
from superbot.store.db import make_engine, migrate
from superbot.store.sql import SqlStore


class Runtime:
    def __init__(self, config: Config, out: TextIO | None = None) -> None:
        self.config = config
        self.out = out or sys.stdout

    @cached_property
    def store(self) -> SqlStore:
        engine = make_engine(self.config.database_url)
        migrate(engine)
        return SqlStore(engine)

    @cached_property
    def env(self) -> jinja2.Environment:
        env = make_environment(self.config.templates_dir)
        env.filters["truncate_width"] = truncate
        env.filters["table"] = table
        return env

    @cached_property
    def locale(self) -> str:
        """SUPERBOT_LOCALE, else the synced plan's locale, else zh-CN."""
        if self.config.locale:
            return self.config.locale
        if "store" in self.__dict__ or self._database_exists():
            plan = self.store.active_plan()
            if plan is not None:
                return plan.settings.locale
        return FALLBACK_LOCALE

    def _database_exists(self) -> bool:
        url = self.config.database_url
        if url.startswith("sqlite:///"):
            return os.path.exists(url.removeprefix("sqlite:///"))
        return True

    @cached_property
    def templates(self) -> Templates:
        return Templates(self.env, self.locale)

    def say(self, text: Text) -> str:
        return self.templates.texts(text)

    @cached_property
    def paint(self) -> Painter:
        colour = os.environ.get("NO_COLOR") is None and (
            os.environ.get("FORCE_COLOR") is not None or self.out.isatty()
        )
        return Painter(colour)

    def render(self, name: str, **context: object) -> str:
        return self.templates.render(name, paint=self.paint, **context)

    def echo(self, text: str, err: bool = False) -> None:
        click.echo(text, file=sys.stderr if err else self.out)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)
