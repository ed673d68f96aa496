"""Reminders, 督查通报, digests and plan notices, worded and laid out for each channel.

:class:`MessageRenderer` is the :class:`~superbot.service.ports.Renderer`. It picks the
templates, hands them the view, and fits what they produce to the channel that carries it:
Telegram's 4096 characters (lists trimmed, or split on line boundaries), each robot's byte
limit (lists trimmed until it fits). Every word is in ``templates/<locale>/``: subjects,
button labels, file names, sheet names and headers included.

Template names, under ``<locale>/``:

``reminder/``  subject.txt, telegram_head.html, telegram_task.html, buttons.j2,
               email.txt, email.html, robot.md
``bulletin/``  subject.txt, telegram.html (summary), document.html (the full 通报, sent
               to Telegram as a file and written by ``superbot bulletin``), document.md,
               email.txt, email.html, robot.md, xlsx.j2 (workbook words)
``digest/``    subject.txt, telegram.html, email.txt, email.html, robot.md
``plan_notice/`` subject.txt, telegram.html, email.txt, email.html, robot.md
``escalation/`` subject.txt, telegram.html, email.txt, email.html (the message that carries
               a 督办单, 专函 or 约谈 proposal), docx.j2, document.html, document.md (the
               document itself)
``review/``    request_subject.txt, request.html, request.txt, request_email.html,
               buttons.j2 (a 办结/延期申请 to coordinators), decision_subject.txt,
               decision.html, decision.txt, decision_email.html (the decision, to the owner)
``web/``       link_subject.txt, link.html (Telegram), link.txt, link_email.html: a
               login link for the web view
``invite/``    subject.txt, email.txt, email.html (a person's own binding code)
``reminder/chat_head.txt``, ``reminder/card.txt`` the chat apps' reminder: a text, then a
               card per task with the answer buttons (the same card shows a new light)

The chat apps (钉钉, 企业微信, 飞书) get their robot's markdown for everything else. A message
for them is a card when it has buttons, markdown when it has a subject, else plain text.

The file channel gets what email gets: text, HTML and attachments, as files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from superbot.domain.text import Text
from superbot.render.docx import bulletin_docx
from superbot.render.environment import Templates
from superbot.render.form import form_filename, form_words, form_workbook
from superbot.render.telegram import TEXT_LIMIT, split_lines, visible_length
from superbot.render.xlsx import OPTIONAL_SHEETS, SHEETS, WorkbookWords, bulletin_workbook
from superbot.service import buttons
from superbot.service.dossier import Dossier
from superbot.service.escalation import EscalationView
from superbot.service.forms import FormView
from superbot.service.ports import (
    Attachment,
    Button,
    ConfigNotice,
    InviteMail,
    Message,
    Part,
    PlanNotice,
)
from superbot.service.review import Decided, Waiting
from superbot.service.status import TaskStatus
from superbot.service.views import Bulletin, DigestView, LoginLinkView, ReminderView

TELEGRAM, EMAIL, FILE = "telegram", "email", "file"
ROBOTS = ("wecom", "dingtalk", "feishu")
# The chat apps, by outbox channel: what they send besides cards is their robot's markdown.
APPS = {"wecom_app": "wecom", "dingtalk_app": "dingtalk", "feishu_app": "feishu"}
CHANNELS = (TELEGRAM, EMAIL, FILE, *ROBOTS, *APPS)

HTML_MIME = "text/html"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# How many entries each list in a message may show, tried in turn until the message fits.
# The first means "as many as the template shows by default".
CAPS = (1_000_000, 30, 20, 10, 5, 3, 1, 0)

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class MessageRenderer:
    def __init__(self, templates: Templates, robot_limits: Mapping[str, int]) -> None:
        self._templates = templates
        self._robot_limits = dict(robot_limits)
        templates.env.filters["md"] = escape_markdown

    # -- the Renderer protocol ------------------------------------------------------------

    def reminder(self, view: ReminderView, channel: str) -> list[Part]:
        _check(channel)
        subject = self._line("reminder/subject.txt", view=view)
        if channel == TELEGRAM:
            head = self._telegram_one("reminder/telegram_head.html", view=view)
            parts = [Part("head", Message(subject, head))]
            for s in view.tasks:
                task_id = s.task.id
                body = self._telegram_one("reminder/telegram_task.html", view=view, s=s)
                message = Message(subject, body, buttons=self._answer_buttons(task_id))
                parts.append(Part(f"task:{task_id}", message, task_id=task_id))
            return parts
        if channel in APPS:
            head = self._render("reminder/chat_head.txt", view=view)
            parts = [Part("head", Message("", head))]
            for s in view.tasks:
                card = self.task_card(s, view.as_of)
                parts.append(Part(f"task:{s.task.id}", card, task_id=s.task.id))
            return parts
        if channel in ROBOTS:
            return [Part("", self._robot(channel, subject, "reminder/robot.md", view=view))]
        message = self._email(subject, "reminder", self._forms(view), view=view)
        if view.reply is not None:
            message = replace(message, reply_address=view.reply.reply_to)
        return [Part("", message)]

    def bulletin(
        self, view: Bulletin, channel: str, documents: Mapping[str, bytes] | None = None
    ) -> list[Part]:
        _check(channel)
        context = self._bulletin_context(view)
        subject = self._line("bulletin/subject.txt", **context)
        if channel == TELEGRAM:
            summary = self._fit(
                lambda cap: self._render("bulletin/telegram.html", limit=cap, **context),
                lambda body: visible_length(body) <= TEXT_LIMIT,
            )
            if visible_length(summary) > TEXT_LIMIT:
                summary = split_lines(summary)[0]
            document = Attachment(
                self._filename(view, "html"),
                self._render("bulletin/document.html", **context).encode(),
                HTML_MIME,
            )
            return _with_document(subject, summary, document)
        if channel in ROBOTS or channel in APPS:
            return [Part("", self._robot(channel, subject, "bulletin/robot.md", **context))]
        # The 公文 a 督查科 files, beside the workbook it sorts and filters: as issued.
        kept = documents or {}
        attachments = (
            Attachment(
                self._filename(view, "docx"), kept.get("docx") or self._docx(view), DOCX_MIME
            ),
            Attachment(
                self._filename(view, "xlsx"), kept.get("xlsx") or self._workbook(view), XLSX_MIME
            ),
        )
        return [Part("", self._email(subject, "bulletin", attachments, **context))]

    def digest(self, view: DigestView, channel: str) -> list[Part]:
        _check(channel)
        subject = self._line("digest/subject.txt", view=view)
        if channel == TELEGRAM:
            return _telegram_pieces(subject, self._render("digest/telegram.html", view=view))
        if channel in ROBOTS or channel in APPS:
            return [Part("", self._robot(channel, subject, "digest/robot.md", view=view))]
        return [Part("", self._email(subject, "digest", view=view))]

    def plan_problems(self, notice: PlanNotice, channel: str) -> list[Part]:
        _check(channel)
        subject = self._line("plan_notice/subject.txt", notice=notice)
        if channel == TELEGRAM:
            body = self._render("plan_notice/telegram.html", notice=notice)
            return _telegram_pieces(subject, body)
        if channel in ROBOTS or channel in APPS:
            return [Part("", self._robot(channel, subject, "plan_notice/robot.md", notice=notice))]
        return [Part("", self._email(subject, "plan_notice", notice=notice))]

    def config_notice(self, notice: ConfigNotice, channel: str) -> list[Part]:
        _check(channel)
        subject = self._line("config_notice/subject.txt", notice=notice)
        if channel == TELEGRAM:
            return [
                Part(
                    "",
                    Message(
                        subject, self._telegram_one("config_notice/telegram.html", notice=notice)
                    ),
                )
            ]
        if channel in ROBOTS or channel in APPS:
            return [
                Part("", self._robot(channel, subject, "config_notice/robot.md", notice=notice))
            ]
        return [Part("", self._email(subject, "config_notice", notice=notice))]

    def operations(self, text: Text, channel: str) -> list[Part]:
        """Something about superbot itself, for the coordinators: one sentence."""
        _check(channel)
        subject = self._line("operations/subject.txt", text=text)
        if channel == TELEGRAM:
            return _telegram_pieces(subject, self._render("operations/telegram.html", text=text))
        if channel in ROBOTS or channel in APPS:
            return [Part("", self._robot(channel, subject, "operations/robot.md", text=text))]
        return [Part("", self._email(subject, "operations", text=text))]

    def invite(self, view: InviteMail, channel: str) -> list[Part]:
        """A person's own binding code; by email (or the file channel standing in for it)."""
        _check(channel)
        subject = self._line("invite/subject.txt", view=view)
        return [Part("", self._email(subject, "invite", view=view))]

    def task_card(self, status: TaskStatus, as_of: date) -> Message:
        """A task on a chat app: its light and progress, with the answer buttons. Sent with
        the reminder; sent again in place of it after a button, with the new light."""
        lines = self._render("reminder/card.txt", s=status, as_of=as_of).split("\n")
        return Message(
            lines[0].strip(),
            "\n".join(lines[1:]).strip("\n"),
            buttons=self._answer_buttons(status.task.id),
        )

    def escalation(
        self, view: EscalationView, channel: str, documents: Mapping[str, bytes]
    ) -> list[Part]:
        """The message that carries a 督办单, 专函 or 约谈 proposal, the Word document with it."""
        _check(channel)
        subject = self._line("escalation/subject.txt", view=view)
        word = documents.get("docx") or self._escalation_docx(view)
        attachment = Attachment(self._escalation_filename(view, "docx"), word, DOCX_MIME)
        if channel == TELEGRAM:
            body = self._telegram_one("escalation/telegram.html", view=view)
            return _with_document(subject, body, attachment)
        if channel in ROBOTS:
            return [Part("", self._robot(channel, subject, "escalation/robot.md", view=view))]
        return [Part("", self._email(subject, "escalation", (attachment,), view=view))]

    def review_request(self, view: Waiting, channel: str) -> list[Part]:
        """A 办结申请 or 延期申请 for a coordinator, with 同意 / 退回 on Telegram."""
        _check(channel)
        subject = self._line("review/request_subject.txt", view=view)
        if channel == TELEGRAM:
            body = self._telegram_one("review/request.html", view=view)
            return [Part("", Message(subject, body, buttons=self._decision_buttons(view)))]
        if channel in APPS:  # a card with 同意 / 退回, as on Telegram
            body = self._render("review/request.txt", view=view)
            return [Part("", Message(subject, body, buttons=self._decision_buttons(view)))]
        if channel in ROBOTS:
            return [Part("", self._robot(channel, subject, "review/request.md", view=view))]
        return [
            Part(
                "",
                Message(
                    subject,
                    self._render("review/request.txt", view=view) + "\n",
                    html=self._render("review/request_email.html", view=view) + "\n",
                ),
            )
        ]

    def review_decision(self, view: Decided, channel: str) -> list[Part]:
        """The decision on a request, for the owner: approved, or returned with the reason."""
        _check(channel)
        subject = self._line("review/decision_subject.txt", view=view)
        if channel == TELEGRAM:
            body = self._telegram_one("review/decision.html", view=view)
            return [Part("", Message(subject, body))]
        if channel in ROBOTS:
            return [Part("", self._robot(channel, subject, "review/decision.md", view=view))]
        return [
            Part(
                "",
                Message(
                    subject,
                    self._render("review/decision.txt", view=view) + "\n",
                    html=self._render("review/decision_email.html", view=view) + "\n",
                ),
            )
        ]

    def login_link(self, view: LoginLinkView, channel: str) -> list[Part]:
        """A login link for the web view: one short message on the person's channel."""
        _check(channel)
        subject = self._line("web/link_subject.txt", view=view)
        if channel == TELEGRAM:
            return [Part("", Message(subject, self._telegram_one("web/link.html", view=view)))]
        if channel in APPS:  # plain text, as the chat apps' answers
            return [Part("", Message("", self._render("web/link.txt", view=view)))]
        if channel in ROBOTS:  # never a person's route; worded all the same
            return [Part("", Message(subject, self._render("web/link.txt", view=view)))]
        return [
            Part(
                "",
                Message(
                    subject,
                    self._render("web/link.txt", view=view) + "\n",
                    html=self._render("web/link_email.html", view=view) + "\n",
                ),
            )
        ]

    # -- files --------------------------------------------------------------------------

    def escalation_document(self, view: EscalationView, fmt: str) -> str | bytes:
        """A 督办单, 专函 or 约谈 proposal as a file: ``docx``, ``html`` or ``md``."""
        if fmt == "docx":
            return self._escalation_docx(view)
        if fmt == "html":
            return self._render("escalation/document.html", view=view) + "\n"
        if fmt == "md":
            return self._render("escalation/document.md", view=view) + "\n"
        raise ValueError(f"unknown escalation format {fmt!r} (docx, html or md)")

    def escalation_filename(self, view: EscalationView, fmt: str) -> str:
        return self._escalation_filename(view, fmt)

    def dossier_document(self, view: Dossier, fmt: str) -> str | bytes:
        """一事一档 as a file: ``html`` (a page), ``docx`` (to print and file) or ``md``."""
        if fmt == "docx":
            return self._blocks_docx("dossier/docx.j2", view=view)
        if fmt == "html":
            return self._render("dossier/document.html", view=view) + "\n"
        if fmt == "md":
            return self._render("dossier/document.md", view=view) + "\n"
        raise ValueError(f"unknown dossier format {fmt!r} (html, docx or md)")

    def dossier_filename(self, view: Dossier, fmt: str) -> str:
        return f"{_plain(self._words('dossier/_words.j2').filename(view))}.{fmt}"

    def bulletin_document(self, view: Bulletin, fmt: str) -> str | bytes:
        """The whole 通报 as a file: ``docx`` (the 公文), ``html`` (a standalone page), ``md``
        or ``xlsx``. A PDF is the docx converted by LibreOffice (``render.pdf``)."""
        context = self._bulletin_context(view)
        if fmt == "docx":
            return self._docx(view)
        if fmt == "html":
            return self._render("bulletin/document.html", **context) + "\n"
        if fmt == "md":
            return self._render("bulletin/document.md", **context) + "\n"
        if fmt == "xlsx":
            return self._workbook(view)
        raise ValueError(f"unknown bulletin format {fmt!r} (docx, html, md or xlsx)")

    def bulletin_filename(self, view: Bulletin, fmt: str) -> str:
        """``督查通报-2022-06.<fmt>``, the stem worded by the templates."""
        return self._filename(view, fmt)

    def bulletin_stem(self) -> str:
        return str(self._words("_words.j2").bulletin_file)

    # -- pieces ---------------------------------------------------------------------------

    def _render(self, name: str, **context: Any) -> str:
        return self._templates.render(name, **context)

    def _line(self, name: str, **context: Any) -> str:
        """A subject: one line, however the template wraps it."""
        return " ".join(self._render(name, **context).split())

    def _words(self, name: str) -> Any:
        return self._templates.module(name)

    def _email(
        self, subject: str, kind: str, attachments: tuple[Attachment, ...] = (), **context: Any
    ) -> Message:
        return Message(
            subject,
            self._render(f"{kind}/email.txt", **context) + "\n",
            html=self._render(f"{kind}/email.html", **context) + "\n",
            attachments=attachments,
        )

    def _telegram_one(self, name: str, **context: Any) -> str:
        """A text that must go as one message: the template keeps it short; never over."""
        body = self._render(name, **context)
        return body if visible_length(body) <= TEXT_LIMIT else split_lines(body)[0]

    def _robot(self, channel: str, subject: str, name: str, **context: Any) -> Message:
        robot = APPS.get(channel, channel)
        # An app without a limit of its own is held to its group robot's.
        limit = self._robot_limits.get(channel) or self._robot_limits[robot]

        def render(cap: int) -> str:
            body = self._render(name, robot=robot, limit=cap, **context)
            # DingTalk joins lines that end without a markdown hard break.
            return _hard_breaks(body) if robot == "dingtalk" else body

        body = self._fit(render, lambda text: len(text.encode()) <= limit)
        return Message(subject, _cut_bytes(body, limit))

    def _fit(self, render: Callable[[int], str], fits: Callable[[str], bool]) -> str:
        body = ""
        for cap in CAPS:
            body = render(cap)
            if fits(body):
                break
        return body

    def _answer_buttons(self, task_id: str) -> tuple[tuple[Button, ...], ...]:
        rows: Sequence[Sequence[Sequence[str]]] = self._words("reminder/buttons.j2").rows
        keyboard: list[tuple[Button, ...]] = []
        for row in rows:
            line: list[Button] = []
            for label, code in row:
                if not buttons.is_answer(str(code)):
                    raise ValueError(f"reminder/buttons.j2: unknown answer {code!r}")
                data = buttons.answer_data(task_id, str(code))
                if data is None:
                    return ()  # too long an id for a button: replying to the message still works
                line.append(Button(str(label), data))
            keyboard.append(tuple(line))
        return tuple(keyboard)

    def _forms(self, view: ReminderView) -> tuple[Attachment, ...]:
        """The department's 填报表, to fill in and send back with the reply."""
        if not view.tasks:
            return ()
        form = FormView(view.department, view.period, view.as_of, view.tasks)
        content = form_workbook(form, form_words(self._templates, form))
        return (Attachment(form_filename(self._templates, form), content, XLSX_MIME),)

    def _bulletin_context(self, view: Bulletin) -> dict[str, Any]:
        # The footer words the scheme from the settings the scores were made with.
        return {"view": view, "scoring": view.scoring}

    def _filename(self, view: Bulletin, fmt: str) -> str:
        stem = str(self._words("_words.j2").bulletin_file)
        return f"{stem}-{view.period.key}.{fmt}"

    def _escalation_docx(self, view: EscalationView) -> bytes:
        return self._blocks_docx("escalation/docx.j2", view=view)

    def _escalation_filename(self, view: EscalationView, fmt: str) -> str:
        stem = _plain(self._words("escalation/_words.j2").filename(view))
        return f"{stem}.{fmt}"

    def _decision_buttons(self, view: Waiting) -> tuple[tuple[Button, ...], ...]:
        labels: Mapping[str, str] = self._words("review/buttons.j2").labels
        assert view.request.id is not None
        return (
            tuple(
                Button(str(labels[code]), buttons.decision_data(view.request.id, code))
                for code in buttons.DECISIONS
            ),
        )

    def _blocks_docx(self, name: str, **context: Any) -> bytes:
        """A Word document from a template that lists its blocks (as ``bulletin/docx.j2``)."""
        words: Any = self._templates.module(name, **context)
        return bulletin_docx(
            list(words.blocks),
            {str(k): str(v) for k, v in words.fonts.items()},
            {str(k): str(v) for k, v in words.fallbacks.items()},
        )

    def _docx(self, view: Bulletin) -> bytes:
        words: Any = self._templates.module("bulletin/docx.j2", **self._bulletin_context(view))
        return bulletin_docx(
            list(words.blocks),
            {str(k): str(v) for k, v in words.fonts.items()},
            {str(k): str(v) for k, v in words.fallbacks.items()},
        )

    def _workbook(self, view: Bulletin) -> bytes:
        words = self._words("bulletin/xlsx.j2")
        return bulletin_workbook(
            view,
            WorkbookWords(
                sheets={key: str(words.sheets[key]) for key in (*SHEETS, *OPTIONAL_SHEETS)},
                headers={key: [str(h) for h in value] for key, value in words.headers.items()},
                overview={str(k): str(v) for k, v in words.overview.items()},
                lights={str(k): str(v) for k, v in words.lights.items()},
                fills={str(k): str(v) for k, v in words.fills.items()},
                fonts={str(k): str(v) for k, v in words.fonts.items()},
                separator=str(words.separator),
                month=_plain(words.month(view.period)),
                formula=_plain(words.formula(view)),
                say=self._templates.texts,
                places={entry.department.id: _plain(words.place(entry)) for entry in view.ranking},
                page_header=_plain(words.page_header(view)),
                page_footer=str(words.page_footer),
                escalation=lambda e: (
                    _plain(words.document(e.document)),
                    _plain(words.document_kind(e.document)),
                    _plain(words.rule(e.document.rule)),
                ),
                change=lambda c: _plain(words.change(c)),
            ),
        )


def _check(channel: str) -> None:
    if channel not in CHANNELS:
        raise ValueError(f"no templates for channel {channel!r} ({', '.join(CHANNELS)})")


def _telegram_pieces(subject: str, body: str) -> list[Part]:
    pieces = split_lines(body)
    if len(pieces) == 1:
        return [Part("", Message(subject, pieces[0]))]
    return [Part(str(n), Message(subject, piece)) for n, piece in enumerate(pieces, start=1)]


def _hard_breaks(markdown: str) -> str:
    lines = markdown.split("\n")
    return "\n".join(
        f"{line}  " if line.strip() and following.strip() else line
        for line, following in zip(lines, [*lines[1:], ""], strict=True)
    )


def _cut_bytes(text: str, limit: int) -> str:
    """The last resort for a robot: whole lines up to ``limit`` UTF-8 bytes."""
    if len(text.encode()) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for line in text.split("\n"):
        size = len(line.encode()) + 1
        if used + size > limit - len("…".encode()):
            break
        kept.append(line)
        used += size
    return "\n".join([*kept, "…"])


def _plain(value: object) -> str:
    """A macro called from Python: its text, whitespace folded, not HTML."""
    return " ".join(str(value).split())


# Emphasis, code and links; "_" stays (ids like rd_ratio must read as written, and an
# underscore inside a word emphasises nothing).
_MARKDOWN_SPECIAL = str.maketrans({"*": "＊", "`": "｀", "[": "［", "]": "］"})
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_FULL_WIDTH_ANGLES = str.maketrans({"<": "＜", ">": "＞"})


def escape_markdown(text: object, flavour: str = "markdown") -> str:
    """A user's string, shown as itself in a robot's markdown (``| md(robot)``).

    Markdown punctuation becomes its full-width twin, which reads the same in Chinese and
    which no robot parses. Feishu and DingTalk decode ``&lt;``; WeCom's markdown is not
    documented to, so it gets full-width angle brackets. Plain ``markdown`` (a file) uses
    backslashes and entities.
    """
    value = str(text)
    if flavour == "markdown":
        value = value.translate(_ENTITIES)
        return re.sub(r"([\\*_`\[\]~#|])", r"\\\1", value)
    value = value.translate(_MARKDOWN_SPECIAL)
    if flavour == "wecom":
        return value.translate(_FULL_WIDTH_ANGLES)
    return value.translate(_ENTITIES)


def _with_document(subject: str, text: str, document: Attachment) -> list[Part]:
    """A text and its document are two things the recipient sees, so two outbox rows: a
    failed upload is sent again without the text."""
    return [
        Part("", Message(subject, text)),
        Part("document", Message(subject, "", attachments=(document,))),
    ]
