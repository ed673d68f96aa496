"""The button protocol, in one place: what a button on a task message or in /report's task
choice carries, and how a press is read back.

``p:<task>:<answer>`` answers a task message (an answer is a percent 0–100, ``done``,
``blocked`` or ``note``); ``r:<task>`` chooses a task in /report; ``v:<request>:<ok|no>`` is
a coordinator's decision on a 办结 or 延期 request (同意 / 退回). Telegram gives a button
64 bytes of data; a task id too long for that gets no buttons (replying still works).
Button labels are words, in ``templates/<locale>/reminder/buttons.j2``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DATA_BYTES = 64
ANSWER, CHOICE, DECISION = "p", "r", "v"
DONE, BLOCKED, NOTE = "done", "blocked", "note"
APPROVE, RETURN = "ok", "no"
DECISIONS = (APPROVE, RETURN)
_ANSWER_CODE = re.compile(r"(?:100|[1-9]?[0-9]|done|blocked|note)\Z")


@dataclass(frozen=True)
class Press:
    kind: str  # ANSWER, CHOICE or DECISION
    task_id: str  # "" for a DECISION: it names the request
    answer: str = ""  # for ANSWER: a percent, DONE, BLOCKED or NOTE; for DECISION: APPROVE, RETURN
    request_id: int | None = None  # for DECISION


def is_answer(code: str) -> bool:
    return bool(_ANSWER_CODE.match(code))


def answer_data(task_id: str, code: str, limit: int = DATA_BYTES) -> str | None:
    """What an answer button carries; None when it does not fit."""
    if not is_answer(code):
        raise ValueError(f"not a button answer: {code!r} (a percent, done, blocked or note)")
    return _fitting(f"{ANSWER}:{task_id}:{code}", limit)


def choice_data(task_id: str, limit: int = DATA_BYTES) -> str | None:
    return _fitting(f"{CHOICE}:{task_id}", limit)


def decision_data(request_id: int, code: str) -> str:
    """What a 同意 / 退回 button on a request carries (always short enough)."""
    if code not in DECISIONS:
        raise ValueError(f"not a decision: {code!r} ({', '.join(DECISIONS)})")
    return f"{DECISION}:{request_id}:{code}"


def read_press(data: str | None) -> Press | None:
    """A press as sent; None for data this version never wrote (an old or foreign button)."""
    kind, _, rest = (data or "").partition(":")
    if kind == ANSWER:
        task_id, _, code = rest.partition(":")
        if task_id and is_answer(code) and ":" not in task_id:
            return Press(ANSWER, task_id, code)
    elif kind == CHOICE and rest and ":" not in rest:
        return Press(CHOICE, rest)
    elif kind == DECISION:
        request, _, code = rest.partition(":")
        if request.isdigit() and code in DECISIONS:
            return Press(DECISION, "", code, request_id=int(request))
    return None


def _fitting(data: str, limit: int) -> str | None:
    return data if len(data.encode()) <= limit else None
