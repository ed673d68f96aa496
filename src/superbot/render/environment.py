"""The Jinja2 environment: packaged templates, overridable from a folder of the user's own."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from pathlib import Path

import jinja2

from superbot.domain.text import Text

LOCALES = ("zh-CN", "en")
FALLBACK_LOCALE = "zh-CN"


def packaged_templates() -> Path:
    """``templates/`` in a source checkout, ``superbot/templates`` in an installed wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "templates", here.parent.parent / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("superbot's templates/ folder is missing from this installation")


def make_environment(override: Path | None = None) -> jinja2.Environment:
    dirs = [override] if override is not None else []
    dirs.append(packaged_templates())
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
    )
    env.filters.update(
        {
            "points": points,
            "num": number,
            "ymd": ymd,
            "hm": hour_minute,
            "failure": failure,
        }
    )
    return env


# A delivery failure superbot itself found is stored as a key (``delivery.unconfigured:email``)
# and worded here in the reader's language; what a server said is shown as it said it.
FAILURE_KEY = re.compile(r"^delivery\.(?P<name>[a-z_]+)(?::(?P<arg>.*))?$")


@jinja2.pass_context
def failure(context: jinja2.runtime.Context, error: str | None) -> str:
    found = FAILURE_KEY.match(error or "")
    if found is None:
        return error or ""
    locale = (context.name or FALLBACK_LOCALE).split("/", 1)[0]
    words = context.environment.get_template(f"{locale}/texts/delivery.j2").module
    say = getattr(words, found["name"], None)
    if say is None:
        return error or ""
    return str(say(found["arg"] or "")).strip()


def points(value: float) -> int:
    """Percent or percentage points as people say them: rounded half up."""
    return math.floor(value + 0.5)


def number(value: float | int | None) -> str:
    """12.0 → 12, 12.50 → 12.5, None → —."""
    if value is None:
        return "—"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def ymd(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def hour_minute(value: datetime) -> str:
    return value.strftime("%H:%M")


class Texts:
    """Renders :class:`Text` values: ``"area.name"`` is macro ``name`` in ``texts/area.j2``."""

    def __init__(self, env: jinja2.Environment, locale: str = FALLBACK_LOCALE) -> None:
        self.env = env
        self.locale = locale if locale in LOCALES else FALLBACK_LOCALE

    def __call__(self, text: Text) -> str:
        area, _, name = text.key.partition(".")
        params = {k: self._plain(v) for k, v in text.params.items()}
        for locale in dict.fromkeys((self.locale, FALLBACK_LOCALE)):
            try:
                module = self.env.get_template(f"{locale}/texts/{area}.j2").module
            except jinja2.TemplateNotFound:
                continue
            macro = getattr(module, name, None)
            if macro is not None:
                return str(macro(**params)).strip()
        raise LookupError(f"no template text for {text.key!r} in {self.locale}")

    def _plain(self, value: object) -> object:
        if isinstance(value, Text):
            return self(value)
        if isinstance(value, list | tuple) and any(isinstance(v, Text) for v in value):
            return [self._plain(v) for v in value]
        return value


class Templates:
    """Renders whole templates (``<locale>/<name>``), falling back to zh-CN per template."""

    def __init__(self, env: jinja2.Environment, locale: str = FALLBACK_LOCALE) -> None:
        self.env = env
        self.texts = Texts(env, locale)
        self.locale = self.texts.locale
        env.filters["say"] = self.texts

    def get(self, name: str) -> jinja2.Template:
        return self.env.select_template(
            [f"{locale}/{name}" for locale in dict.fromkeys((self.locale, FALLBACK_LOCALE))]
        )

    def render(self, name: str, **context: object) -> str:
        return self.get(name).render(t=self.texts, locale=self.locale, **context).strip("\n")

    def module(self, name: str, **context: object) -> object:
        """A template's macros and ``{% set %}`` values, e.g. labels for an .xlsx sheet, or
        the blocks of a Word document built from ``context``."""
        template = self.get(name)
        if not context:
            return template.module
        return template.make_module({"t": self.texts, "locale": self.locale, **context})
