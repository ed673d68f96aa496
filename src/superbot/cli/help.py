"""``--help`` in the coordinator's language: click's own words (Usage, Options, defaults,
ranges, the help option's line) come from ``texts/help.j2`` like every other word."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import click

from superbot.render.terminal import display_width

Say = Callable[..., str]

# Click's metavars for its types, as they appear in the option column.
_TYPES = ("INTEGER RANGE", "INTEGER", "FLOAT", "TEXT", "FILE", "DIRECTORY", "PATH", "BOOLEAN")
_EXTRA = re.compile(r"\s*\[([^\[\]]*)\]\s*$")
_RANGE = re.compile(r"^(?:(-?[\d.]+)<=)?x(?:<=(-?[\d.]+))?$|^x>=(-?[\d.]+)$")


class Formatter(click.HelpFormatter):
    def __init__(self, say: Say | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._say = say

    def _word(self, key: str, fallback: str, **params: object) -> str:
        return self._say(f"help.{key}", **params) if self._say else fallback

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        if prefix is None:
            prefix = self._word("usage", "Usage: ")
        args = args.replace("[OPTIONS]", self._word("options_metavar", "[OPTIONS]")).replace(
            "COMMAND [ARGS]...", self._word("command_metavar", "COMMAND [ARGS]...")
        )
        super().write_usage(prog, args, prefix)

    def write_heading(self, heading: str) -> None:
        key = {"Options": "options", "Commands": "commands", "Arguments": "arguments"}
        word = self._word(key[heading], heading) if heading in key else heading
        self.write(f"{'':>{self.current_indent}}{word}{self._word('colon', ':')}\n")

    def write_dl(
        self, rows: Iterable[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Two columns aligned by what a terminal shows: a Chinese character is two wide
        (click counts it as one). Long help is left for the terminal to wrap."""
        shown = [(self._term(t), self._help(h)) for t, h in rows]
        width = min(max((display_width(t) for t, _ in shown), default=0), col_max)
        indent = " " * self.current_indent
        for term, text in shown:
            if not text:
                self.write(f"{indent}{term}\n")
            elif display_width(term) <= width:
                pad = " " * (width - display_width(term) + col_spacing)
                self.write(f"{indent}{term}{pad}{text}\n")
            else:
                self.write(f"{indent}{term}\n{indent}{' ' * (width + col_spacing)}{text}\n")

    def _term(self, term: str) -> str:
        for name in _TYPES:
            if term.endswith(" " + name):
                key = name.lower().replace(" ", "_")
                return term[: -len(name)] + self._word(f"type_{key}", name)
        return term

    def _help(self, text: str) -> str:
        known = {
            "Show this message and exit.": "help_option",
            "Show the version and exit.": "version_option",
        }
        if text in known:
            return self._word(known[text], text)
        found = _EXTRA.search(text)
        if found is None:
            return text
        parts = [self._extra(part.strip()) for part in found.group(1).split(";")]
        return text[: found.start()] + "  [" + self._word("separator", "; ").join(parts) + "]"

    def _extra(self, part: str) -> str:
        if part.startswith("default: "):
            return self._word("default", part, value=part.removeprefix("default: "))
        if part == "required":
            return self._word("required", part)
        bounds = _RANGE.match(part)
        if bounds:
            lo, hi, at_least = bounds.groups()
            return self._word("range", part, lo=lo or at_least, hi=hi)
        return part


class HelpContext(click.Context):
    def make_formatter(self) -> click.HelpFormatter:
        runtime = self.find_root().obj
        say = runtime.text if runtime is not None else None
        return Formatter(say, width=self.terminal_width, max_width=self.max_content_width)


class Command(click.Command):
    context_class = HelpContext


class Group(click.Group):
    context_class = HelpContext
    command_class = Command


def examples(lines: Iterable[str]) -> str:
    """An epilog click prints as written."""
    return "\b\n" + "\n".join(lines)
