"""The security walk through the bot: every command the bot registers, every shape of button
data the button protocol writes, and free text, tried by an unbound account, by an owner of a
department that only supports a task, and by an owner of a department with no part in it.

What each may see is worked out here from the plan itself (a department sees the tasks it
leads or supports), not from the code under test. Every task carries a report whose note no
outsider may read; after the walk no answer (message, edited message, button popup, file
name) holds a title, note or person name the asker may not see, and no report or request
was written or decided that the asker had no right to. The commands come from the bot's own
registries, so a command added later is walked without touching this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from tests.bot.conftest import LIMH, NOW, STRANGER, WANGLI, ZHANGJH, World

from superbot.bot.app import COORDINATOR_COMMANDS, OWNER_COMMANDS
from superbot.domain.model import Report, Task
from superbot.domain.review import Request, RequestKind, RequestStatus
from superbot.service import buttons
from superbot.service.store import ActivePlan

ANSWER_CODES = ("0", "60", "100", buttons.DONE, buttons.BLOCKED, buttons.NOTE)
FREE_TEXT = ("60%", "已完成", "1", "延期到 2022-12-31，原因：资金未到位")


def secret_note(task_id: str) -> str:
    return f"内部说明{task_id}仅本单位可见"


@dataclass(frozen=True)
class Asker:
    user_id: int
    department: str | None  # None: bound to nobody

    def sees(self, task: Task) -> bool:
        return self.department is not None and self.department in (task.lead, *task.support)

    def leads(self, task: Task) -> bool:
        return task.lead == self.department


def walked_commands(targets: list[str]) -> list[str]:
    """Every registered command, bare and about each target task; an invite code tried."""
    names = [*OWNER_COMMANDS, *COORDINATOR_COMMANDS]
    said = [f"/{name}" for name in names]
    said += [f"/{name} {task_id}" for name in names for task_id in targets]
    return [*said, "/start WRONGCODE1", "/nonsense"]


def pressed_data(targets: list[str], request_ids: list[int]) -> list[str]:
    """Every shape of button data the protocol writes, about each target."""
    data = [buttons.answer_data(t, code) for t in targets for code in ANSWER_CODES]
    data += [buttons.choice_data(t) for t in targets]
    data += [buttons.decision_data(r, code) for r in request_ids for code in buttons.DECISIONS]
    return [d for d in data if d is not None]


def forbidden_words(plan: ActivePlan, asker: Asker) -> list[str]:
    """Titles and notes of the tasks the asker may not see; names of the people of
    departments the asker shares no task with (coordinators and leaders aside: they are
    named to everyone bound, as who to ask)."""
    visible = [t for t in plan.tasks if asker.sees(t)]
    hidden = [t for t in plan.tasks if not asker.sees(t)]
    words = [secret_note(t.id) for t in hidden]
    # A hidden title inside a visible one (or a visible department's name) is not a leak.
    shown = [t.title for t in visible] + [
        d.name for d in plan.departments.values() if d.id == asker.department
    ]
    words += [t.title for t in hidden if not any(t.title in s for s in shown)]
    near = {asker.department} | {d for t in visible for d in (t.lead, *t.support)}
    task_departments = {d for t in plan.tasks for d in (t.lead, *t.support)}
    for person in plan.people.values():
        if asker.department is None or (
            person.department_id in task_departments and person.department_id not in near
        ):
            words.append(person.name)
    return words


async def settled(world: World) -> None:
    """Every update sent so far is handled: a later /help is answered only after them (the bot
    handles updates in order). Over a hundred updates queue here, hence the longer ceiling."""
    before = len(world.server.messages(WANGLI))
    world.server.user_sends(WANGLI, "/help")
    await world.server.await_messages(WANGLI, before + 1, timeout=60.0)


async def walk(world: World, asker: Asker, targets: list[str], request_ids: list[int]) -> str:
    """Everything tried by the asker; every word the asker was answered, joined."""
    user = asker.user_id
    chat_before = len(world.server.messages(user))
    popups_before = len(world.server.callback_answers)
    for command in walked_commands(targets):
        world.server.user_sends(user, command)
        world.server.user_sends(user, FREE_TEXT[0])
    for text in FREE_TEXT:
        world.server.user_sends(user, text)
    await settled(world)
    anchor = world.server.messages(user)[-1].message_id  # a bot message to press on
    for data in pressed_data(targets, request_ids):
        world.server.user_presses_any(user, anchor, data)
        world.server.user_sends(user, "50%")
    await settled(world)
    answers = world.server.messages(user)[chat_before:]
    assert answers, "the bot answered nothing"
    popups = world.server.callback_answers[popups_before:]
    return "\n".join(
        [m.text for m in answers]
        + [m.document.file_name for m in answers if m.document is not None]
        + [p.text or "" for p in popups]
    )


async def prepared(world: World) -> tuple[ActivePlan, list[int]]:
    """Every task with a report by its lead carrying a note; a pending 办结 request on each
    task; 王丽 (督查科) bound so the sentinel /help is answered by a bound person."""
    plan = world.store.active_plan()
    assert plan is not None
    world.bind(WANGLI)
    owner = {p.department_id: p.id for p in reversed(list(plan.people.values()))}
    request_ids = []
    for task in plan.tasks:
        world.store.add_report(
            Report(
                task.id,
                at=NOW - timedelta(days=3),
                percent=37,
                note=secret_note(task.id),
                person_id=owner.get(task.lead),
            )
        )
        request = world.store.add_request(
            Request(RequestKind.DONE, task.id, NOW - timedelta(days=1), owner.get(task.lead))
        )
        assert request.id is not None
        request_ids.append(request.id)
    return plan, request_ids


def changes(world: World, plan: ActivePlan) -> tuple[list[Report], list[Request]]:
    reports = [r for t in plan.tasks for r in world.store.task_reports(t.id)]
    return reports, world.store.requests()


def targets_for(plan: ActivePlan, asker: Asker) -> list[str]:
    """A task the asker's department supports without leading (when there is one), and one
    it has no part in."""
    supported = [t.id for t in plan.tasks if asker.sees(t) and not asker.leads(t)]
    foreign = [t.id for t in plan.tasks if not asker.sees(t)]
    return supported[:1] + foreign[:1]


async def walk_and_check(world: World, asker: Asker) -> None:
    plan, request_ids = await prepared(world)
    targets = targets_for(plan, asker)
    reports_before, requests_before = changes(world, plan)

    answered = await walk(world, asker, targets, request_ids)

    for word in forbidden_words(plan, asker):
        assert word not in answered, (asker, word)
    reports_after, requests_after = changes(world, plan)
    assert requests_after == requests_before  # nothing asked, approved or returned
    assert all(r.status is RequestStatus.PENDING for r in requests_after)
    by_task = {t.id: t for t in plan.tasks}
    known = {r.id for r in reports_before}
    for report in [r for r in reports_after if r.id not in known]:
        # Its own tasks' progress (the walk's "1" then "60%" picks one): fine. On a task it
        # supports, a note at most: no percent, no state. On any other task: nothing.
        task = by_task[report.task_id]
        assert asker.sees(task), report
        if not asker.leads(task):
            assert (report.percent, report.state) == (None, None), report


async def test_an_unbound_account_sees_and_changes_nothing(world: World) -> None:
    await walk_and_check(world, Asker(STRANGER, None))


async def test_a_supporting_departments_owner_adds_notes_at_most(world: World) -> None:
    """张建华 (高新科) supports zcq8-1, led by 区发改局; other tasks are none of his."""
    world.bind(ZHANGJH)
    await walk_and_check(world, Asker(ZHANGJH, "gxk"))


async def test_another_departments_owner_sees_and_changes_nothing_of_it(world: World) -> None:
    """李明辉 (区发改局) has no part in most of 高新科's tasks."""
    world.bind(LIMH)
    await walk_and_check(world, Asker(LIMH, "fgj"))
