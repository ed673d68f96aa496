"""What the chat apps say back: each outcome through its template, as plain text.

An outcome with a ``chat/<name>.txt`` template is worded for the chat apps (no "reply to the
message", which they cannot do); the others use the Telegram bot's ``bot/<name>.html``, its
markup dropped: the same sentences, one place to keep them.
"""

from __future__ import annotations

from typing import Any

import jinja2

from superbot.domain.text import Text
from superbot.render.environment import Templates
from superbot.render.telegram import visible_text
from superbot.service.conversation import EvidenceKept
from superbot.service.outcomes import (
    Cancelled,
    Confirmation,
    GroupAnswer,
    Help,
    Hint,
    History,
    NoteAdded,
    NotePrompt,
    ProgressPrompt,
    Refused,
    TaskChoice,
    TaskList,
    Unclear,
    Welcome,
)
from superbot.service.review import Decided, ReasonPrompt, Waiting
from superbot.service.supervision import Nudged, OverdueView, Reloaded, SilentView, StatusView

TEMPLATES: dict[type, str] = {
    Welcome: "welcome",
    TaskList: "tasks",
    Help: "help",
    Confirmation: "recorded",
    Unclear: "unclear",
    NoteAdded: "note_added",
    NotePrompt: "note_prompt",
    TaskChoice: "choose_task",
    ProgressPrompt: "progress_prompt",
    Cancelled: "cancelled",
    Hint: "hint",
    History: "history",
    GroupAnswer: "group",
    StatusView: "status",
    OverdueView: "overdue",
    SilentView: "who",
    Nudged: "remind",
    Reloaded: "reloaded",
    Decided: "decided",
    ReasonPrompt: "reason_prompt",
    Waiting: "extension",  # a 办结 or 延期 request waiting for review
    EvidenceKept: "evidence",
}


class ChatAnswers:
    def __init__(self, templates: Templates) -> None:
        self.templates = templates

    def render(self, name: str, **context: Any) -> str:
        try:
            return self.templates.render(f"chat/{name}.txt", **context).strip()
        except jinja2.TemplateNotFound:
            html = self.templates.render(f"bot/{name}.html", bot_name="", **context)
            return visible_text(html)

    def text(self, outcome: object) -> str:
        if isinstance(outcome, Refused):
            return self.refused(outcome.text)
        return self.render(TEMPLATES[type(outcome)], r=outcome)

    def refused(self, text: Text) -> str:
        return self.render("refused", text=text)

    def unbound(self) -> str:
        return self.render("unbound")

    def failed(self) -> str:
        return self.render("error")

    def toast(self, outcome: object) -> str:
        """A button's short answer, where the platform shows one (飞书)."""
        return self.render("pressed", r=outcome)


def pieces(text: str, limit: int) -> list[str]:
    """``text`` in messages of at most ``limit`` UTF-8 bytes, cut between lines (a line too
    long for one message is cut inside)."""
    found: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line.encode()) > limit:
            cut = _fitting(line, limit)
            if current:
                found.append(current)
                current = ""
            found.append(line[:cut])
            line = line[cut:]
        joined = f"{current}\n{line}" if current else line
        if len(joined.encode()) > limit:
            found.append(current)
            joined = line
        current = joined
    if current.strip():
        found.append(current)
    return [piece.strip("\n") for piece in found if piece.strip()] or [
        text[: _fitting(text, limit)]
    ]


def _fitting(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-8 bytes."""
    used = 0
    for index, char in enumerate(text):
        used += len(char.encode())
        if used > limit:
            return index
    return len(text)
