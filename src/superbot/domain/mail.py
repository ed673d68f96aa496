"""Reading an emailed progress reply: what the person wrote above the quoted reminder, and
which task each line is about.

Mail clients quote the message they answer in their own ways; everything from the first
quote marker on is history, not the reply:

- Outlook: ``-----原始邮件-----`` / ``-----Original Message-----``, or a header block
  (``发件人: …`` / ``From: …`` followed by ``发送时间:`` / ``Sent:``, ``收件人:`` …), often
  under a line of underscores;
- QQ 邮箱, Foxmail, 163/网易: ``------------------ 原始邮件 ------------------``,
  ``---- 回复的原邮件 ----``, or Foxmail's header block;
- Gmail and Apple Mail: ``在 2022年6月20日 09:00，督查科 <…> 写道：`` / ``On … wrote:``;
- ``>`` quoted lines, and signatures (``-- ``, ``发自我的iPhone``, ``Sent from my …``).

A line names its task by id (``zcq8-1 60% 设备已招标``) or by title; lines that follow it
without naming another task continue it. Tokens are what superbot put in the reminder:
``#K7Q2M9XA3B4C`` in the subject, or a plus-addressed Reply-To ``duban+k7q2m9xa3b4c@…``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

TOKEN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: tokens get retyped
TOKEN_LENGTH = 12
_TOKEN = f"[{TOKEN_ALPHABET}{TOKEN_ALPHABET.lower()}]{{{TOKEN_LENGTH}}}"
_SUBJECT_TOKEN = re.compile(rf"#({_TOKEN})(?![A-Za-z0-9])")
_ADDRESS_TOKEN = re.compile(rf"\+({_TOKEN})@", re.IGNORECASE)
_SUBJECT_TASK = re.compile(r"\[([a-z0-9][a-z0-9_-]{0,63})\]", re.IGNORECASE)

# A line where quoted history begins.
_QUOTE_MARKERS = re.compile(
    r"^\s*(?:"
    r"-{2,}\s*(?:原始邮件|Original Message|回复的原邮件|转发的邮件|Forwarded message)\s*-{2,}"
    r"|_{10,}"
    r"|(?:在|于).{0,80}(?:写道|wrote)\s*[:：]?"
    r"|On\s.{0,200}\swrote\s*:"
    r"|.{0,80}\s(?:写道|wrote)\s*[:：]"
    r")\s*$",
    re.IGNORECASE,
)
# Outlook's and Foxmail's header block: "From:" then, within the next lines, "Sent:"/"Date:".
_HEADER_FROM = re.compile(r"^\s*\*?(?:发件人|From)\s*\*?\s*[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(?:发送时间|发件时间|日期|时间|Sent|Date|收件人|To|主题|Subject)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_SIGNATURES = re.compile(
    r"^\s*(?:--\s*"
    r"|发自我的\s*\S+|发自\s*\S*(?:邮箱|手机|iPhone|iPad|Android).*"
    r"|来自\s*\S*(?:邮箱|手机|iPhone|iPad|Android).*"
    r"|Sent from my .*|Sent from .*(?:Mail|Outlook).*|Get Outlook for .*|获取 Outlook.*"
    # Foxmail signs a reply with the sender's bare address above the quoted header.
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r")$",
    re.IGNORECASE,
)
# Lines that close a letter: everything after them is the signature.
_CLOSINGS = re.compile(
    r"^\s*(?:此致|敬礼|此致敬礼|顺颂(?:商祺|时祺)|祝好|谢谢|多谢|感谢|辛苦了?|以上|特此报告"
    r"|best regards|regards|thanks|thank you|cheers)\s*[!！。.,，]*\s*$",
    re.IGNORECASE,
)
_GREETING = re.compile(r"^\s*(?:\S{1,12}[:：]|\S{0,8}(?:您好|你好)[!！,，。]?)\s*$")
_LIST_MARKER = re.compile(r"^\s*(?:\(?\d{1,2}[)）.．、]|[（(]\d{1,2}[)）]|[-*•·])\s*")
_BRACKETS = "【】[]「」『』《》〈〉“”\"'"
_FULL_WIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})


@dataclass(frozen=True)
class TaskName:
    id: str
    title: str


class TaskNames:
    """The tasks a reply may name, indexed by id and by title: reading a line costs a few
    lookups, whether the plan has 100 tasks or 100,000."""

    def __init__(self, tasks: Iterable[TaskName]) -> None:
        self.by_id: dict[str, TaskName] = {}
        self.by_title: dict[str, TaskName] = {}
        for task in tasks:  # plan order: of two tasks with one title, the first is named
            self.by_id.setdefault(task.id.lower(), task)
            title = _fold(task.title)
            if title:
                self.by_title.setdefault(title, task)
        self.id_lengths = sorted({len(i) for i in self.by_id}, reverse=True)
        self.title_lengths = sorted({len(t) for t in self.by_title}, reverse=True)

    def by_id_at_start(self, text: str) -> TaskName | None:
        """The longest id that ``text`` begins with as a whole word."""
        for length in self.id_lengths:
            task = self.by_id.get(text[:length])
            if task is not None and _ends_word(text, length):
                return task
        return None

    def by_title_at_start(self, text: str) -> TaskName | None:
        """The longest title that ``text`` begins with."""
        for length in self.title_lengths:
            task = self.by_title.get(text[:length])
            if task is not None:
                return task
        return None


@dataclass(frozen=True)
class Line:
    """What the reply says about one task (``task_id``), or text that names none."""

    task_id: str | None
    text: str


def reply_text(body: str, closing_names: Sequence[str] = ()) -> str:
    """The reply above the quoted history, without ``>`` lines and the signature.
    ``closing_names`` (the sender's name, their department) end the reply when a line is
    only that."""
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    names = {n.strip() for n in closing_names if n.strip()}
    for index, line in enumerate(lines):
        if _QUOTE_MARKERS.match(line) or _header_block(lines, index):
            break
        if _SIGNATURES.match(line) or _CLOSINGS.match(line) or line.strip() in names:
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and not kept[-1].strip():
        kept.pop()
    while kept and not kept[0].strip():
        kept.pop(0)
    return "\n".join(kept)


_INVITE_WORDS = ("绑定", "bind", "邀请码", "invite", "code")


def invite_code(subject: str, body: str) -> str | None:
    """An invite code sent by email: the whole subject or first line (``绑定 ABCD2345``)."""
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    for candidate in (subject, first):
        words = candidate.replace("：", " ").replace(":", " ").split()
        words = [w for w in words if w.lower() not in _INVITE_WORDS]
        if len(words) == 1 and len(words[0]) == 8 and words[0].isalnum():
            return words[0]
    return None


def _header_block(lines: Sequence[str], index: int) -> bool:
    if not _HEADER_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 5] if line.strip()]
    return any(_HEADER_NEXT.match(line) for line in following[:3])


def subject_token(subject: str) -> str | None:
    found = _SUBJECT_TOKEN.search(subject)
    return found.group(1).upper() if found else None


def address_token(address: str) -> str | None:
    found = _ADDRESS_TOKEN.search(address)
    return found.group(1).upper() if found else None


def subject_task(subject: str) -> str | None:
    """``进度报送 [zcq8-1] …``: the task a "回复此项" link was about."""
    found = _SUBJECT_TASK.search(subject)
    return found.group(1).lower() if found else None


def lines_by_task(
    text: str, tasks: Sequence[TaskName] | TaskNames, only: str | None = None
) -> list[Line]:
    """Split a reply into what it says per task.

    A line that begins with a task's id or title (after a list marker or a bracket) starts
    that task; lines after it continue it until another task is named. With ``only`` (the
    reminder held one task, or the subject names it), lines that name no task are about it.
    A greeting before the first task (``王科长：``) is not a line about anything.
    """
    names = tasks if isinstance(tasks, TaskNames) else TaskNames(tasks)
    found: list[Line] = []
    current: str | None = only
    buffer: list[str] = []

    def flush() -> None:
        words = "\n".join(buffer).strip()
        if words:
            found.append(Line(current, words))
        buffer.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        named = _named(line, names)
        if named is not None:
            task_id, rest = named
            flush()
            current = task_id
            if rest:
                buffer.append(rest)
            continue
        if not found and not buffer and _GREETING.match(line):
            continue  # 王科长： / 您好！ before anything is said
        buffer.append(line)
    flush()
    return _merged(found)


def _merged(lines: list[Line]) -> list[Line]:
    """A task named twice: its lines read as one reply."""
    merged: dict[str | None, list[str]] = {}
    for line in lines:
        merged.setdefault(line.task_id, []).append(line.text)
    return [Line(task_id, "\n".join(texts)) for task_id, texts in merged.items()]


def _named(line: str, tasks: TaskNames) -> tuple[str, str] | None:
    """(task id, the rest of the line) when the line begins by naming a task."""
    plain = _LIST_MARKER.sub("", line, count=1)
    # A copied reminder line: 【红灯】高新技术产业投资攻坚（zcq8-1）
    plain = re.sub(r"^[【\[](?:红灯|黄灯|绿灯|已办结|red|yellow|green|done)[】\]]\s*", "", plain)
    folded = _fold(plain)
    stripped = folded.lstrip(_BRACKETS + "#")
    task = tasks.by_id_at_start(stripped)
    if task is not None:
        return task.id, _rest(plain, len(folded) - len(stripped) + len(task.id))
    stripped = folded.lstrip(_BRACKETS)
    task = tasks.by_title_at_start(stripped)
    if task is not None:
        offset = len(folded) - len(stripped) + len(_fold(task.title))
        rest = _rest(plain, offset)
        # …（zcq8-1） after the title, as the reminder writes it
        rest = re.sub(rf"^[（(]\s*{re.escape(task.id)}\s*[）)]", "", rest, flags=re.I)
        return task.id, rest.strip(_BRACKETS + " :：,，、")
    return None


def _fold(text: str) -> str:
    """Full-width letters and digits as ASCII, lower case: one character for one."""
    return "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in text.translate(_FULL_WIDTH))


def _ends_word(text: str, at: int) -> bool:
    return at == len(text) or not (text[at].isalnum() or text[at] in "-_")


def _rest(plain: str, offset: int) -> str:
    return plain[offset:].strip().lstrip(_BRACKETS + ":：,，、").strip()
