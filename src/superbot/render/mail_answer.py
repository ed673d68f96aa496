"""Answers to emailed replies, worded by ``templates/<locale>/mail_answer/``: what was
recorded per task and each task's new light (``answer``), or how to reply instead
(``notice``). The answer goes in the same thread as the mail it answers."""

from __future__ import annotations

from superbot.render.environment import Templates
from superbot.service.mail import InboundMail, MailAnswer, MailNotice
from superbot.service.ports import Message


class MailAnswerRenderer:
    def __init__(self, templates: Templates) -> None:
        self._templates = templates

    def answer(self, view: MailAnswer | MailNotice, mail: InboundMail) -> Message:
        name = "answer" if isinstance(view, MailAnswer) else "notice"
        subject = " ".join(self._render("subject.txt", view, mail).split())
        text = self._render(f"{name}.txt", view, mail)
        return Message(
            subject,
            text + "\n",
            # A template may show the text as it is (escaped like any other value).
            html=self._render(f"{name}.html", view, mail, text=text) + "\n",
            reply_to=mail.message_id,
        )

    def _render(
        self, name: str, view: MailAnswer | MailNotice, mail: InboundMail, text: str = ""
    ) -> str:
        return self._templates.render(f"mail_answer/{name}", view=view, mail=mail, text=text)
