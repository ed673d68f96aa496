"""review · approve · reject · extend · accept-reason · dossier: the supervision loop from the
command line."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from superbot.cli import cli
from superbot.cli.params import DAY

if TYPE_CHECKING:
    from superbot.cli.runtime import Runtime
    from superbot.service.errors import ServiceError
    from superbot.service.outbox import DispatchReport, RoundState
    from superbot.service.review import Decided, Waiting

# Telling the owner or the coordinators waits this long for retries before `superbot run`
# takes over.
NOTICE_WAIT = timedelta(seconds=30)


def _refuse(runtime: Runtime, error: ServiceError) -> int:
    runtime.echo(runtime.say(error.text), err=True)
    return 1 if error.text.key == "status.not_synced" else 2


def deliver(runtime: Runtime, kind: str, period: str) -> tuple[DispatchReport, RoundState]:
    """Send what was just queued for (kind, period) now; `superbot run` retries the rest."""
    import asyncio

    async def drain() -> DispatchReport:
        try:
            return await runtime.dispatcher().drain(kind, period, NOTICE_WAIT)
        finally:
            await runtime.aclose()

    report = asyncio.run(drain())
    return report, runtime.outbox.round_state(kind, period)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@click.pass_obj
def review(runtime: Runtime, as_json: bool) -> int:
    """列出等待审核的办结申请和延期申请（最早的在前），附说明和佐证。

    \b
    例：superbot review
    """
    from superbot.service.errors import ServiceError
    from superbot.service.status import load_plan

    try:
        plan = load_plan(runtime.store)
        waiting = runtime.review.queue(runtime.now())
    except ServiceError as error:
        return _refuse(runtime, error)
    zone = ZoneInfo(plan.settings.timezone)
    if as_json:
        runtime.echo(json.dumps([_as_json(w, zone) for w in waiting], ensure_ascii=False, indent=2))
        return 0
    runtime.echo(runtime.render("cli/review.txt", waiting=waiting, zone=zone))
    return 0


def _as_json(w: Waiting, zone: ZoneInfo) -> dict[str, Any]:
    r = w.request
    return {
        "id": r.id,
        "kind": r.kind.value,
        "task": w.task.id,
        "title": w.task.title,
        "lead": w.lead.id,
        "requested_at": r.requested_at.astimezone(zone).isoformat(),
        "requested_by": r.person_id,
        "due": w.due.day.isoformat(),
        "original_due": w.due.original.isoformat() if w.due.original else None,
        "due_to": r.due_to.isoformat() if r.due_to else None,
        "reason": r.reason,
        "note": w.report.note if w.report else None,
        "evidence": [
            {"filename": e.filename, "sha256": e.sha256, "size": e.size} for e in w.evidence
        ],
    }


@cli.command()
@click.argument("task")
@click.option("--note", default=None, help="审核意见（可选）")
@click.option("--by", default=None, help="审核人（人员编号或姓名）")
@click.pass_obj
def approve(runtime: Runtime, task: str, note: str | None, by: str | None) -> int:
    """同意任务的办结申请（销号，按申请日期办结）或延期申请（从今天起按新日期）。

    \b
    例：superbot approve zcq8-4 --note 材料齐全 --by 王丽
    """
    from superbot.service.errors import ServiceError

    try:
        decided = runtime.review.approve(task, note, by, runtime.now())
    except ServiceError as error:
        return _refuse(runtime, error)
    return _decided(runtime, decided)


@cli.command()
@click.argument("task")
@click.option("--reason", default=None, help="退回原因：告诉责任单位还差什么（必填）")
@click.option("--by", default=None, help="审核人（人员编号或姓名）")
@click.pass_obj
def reject(runtime: Runtime, task: str, reason: str | None, by: str | None) -> int:
    """退回任务的办结申请或延期申请，原因通过责任人的渠道转告。

    \b
    例：superbot reject zcq8-4 --reason "缺少验收报告"
    """
    from superbot.service.errors import ServiceError

    try:
        decided = runtime.review.reject(task, reason, by, runtime.now())
    except ServiceError as error:
        return _refuse(runtime, error)
    return _decided(runtime, decided)


def _decided(runtime: Runtime, decided: Decided) -> int:
    from superbot.service.delivery import REVIEW
    from superbot.service.status import load_plan

    period = f"{decided.request.id}-{decided.request.status.value}"
    report, state = deliver(runtime, REVIEW, period)
    plan = load_plan(runtime.store)
    runtime.echo(
        runtime.render(
            "cli/decided.txt",
            decided=decided,
            report=report,
            state=state,
            people=plan.people,
        )
    )
    return 0


@cli.command()
@click.argument("task")
@click.option("--to", "to", type=DAY, required=True, help="申请延期到哪一天，YYYY-MM-DD")
@click.option("--reason", default=None, help="延期原因（必填）")
@click.option("--by", default=None, help="申请人（人员编号或姓名）")
@click.pass_obj
def extend(runtime: Runtime, task: str, to: date, reason: str | None, by: str | None) -> int:
    """申请延期（须在截止日期前）：交督查科审核，批准后从批准之日起按新日期计。

    \b
    例：superbot extend zcq8-2 --to 2023-3-31 --reason "土地审批未完成"
    """
    from superbot.service.delivery import REVIEW
    from superbot.service.errors import ServiceError
    from superbot.service.status import load_plan

    try:
        waiting = runtime.review.extend(task, to, reason, by, runtime.now())
    except ServiceError as error:
        return _refuse(runtime, error)
    report, state = deliver(runtime, REVIEW, str(waiting.request.id))
    plan = load_plan(runtime.store)
    runtime.echo(
        runtime.render(
            "cli/extend.txt", waiting=waiting, report=report, state=state, people=plan.people
        )
    )
    return 0


@cli.command("accept-reason")
@click.argument("task")
@click.option("--reason", default=None, help="认可的理由，如“待区政府协调用地”（必填）")
@click.option("--by", default=None, help="认可人（人员编号或姓名）")
@click.pass_obj
def accept_reason_command(runtime: Runtime, task: str, reason: str | None, by: str | None) -> int:
    """认可受阻任务的正当理由：任务仍受阻期间，按计分办法（scoring.excuse_accepted）不扣分。

    \b
    例：superbot accept-reason dls3-2 --reason "征迁协调权限在区政府" --by 王丽
    """
    from superbot.service.errors import ServiceError
    from superbot.service.review import accept_reason
    from superbot.service.status import load_plan

    try:
        status = accept_reason(runtime.store, task, reason, by, runtime.now())
    except ServiceError as error:
        return _refuse(runtime, error)
    plan = load_plan(runtime.store)
    runtime.echo(
        runtime.text(
            "cli.reason_accepted",
            id=status.task.id,
            title=status.task.title,
            scored=not plan.settings.scoring.excuse_accepted,
        )
    )
    return 0


@cli.command()
@click.argument("task")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "docx", "md"]),
    default="html",
    show_default=True,
    help="docx 为可归档的 Word 文档",
)
@click.option(
    "-o",
    "output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="输出文件（默认 一事一档-任务编号.格式；- 为标准输出）",
)
@click.pass_obj
def dossier(runtime: Runtime, task: str, fmt: str, output: Path | None) -> int:
    """一事一档：任务从交办到销号的全部记录，按时间顺序（提醒、报送、佐证、审核、延期、督办、通报）。

    \b
    例：superbot dossier zcq8-1 --format docx
    """
    from superbot.service.errors import ServiceError

    try:
        view = runtime.dossiers.build(task, runtime.now())
    except ServiceError as error:
        return _refuse(runtime, error)
    if output is not None and str(output) == "-" and fmt == "docx":
        raise click.BadParameter(runtime.text("cli.binary_to_stdout"), param_hint="-o")
    document = runtime.renderer.dossier_document(view, fmt)
    if output is not None and str(output) == "-":
        assert isinstance(document, str)
        runtime.echo(document.rstrip("\n"))
        return 0
    target = output or Path(runtime.renderer.dossier_filename(view, fmt))
    if isinstance(document, bytes):
        target.write_bytes(document)
    else:
        target.write_text(document, encoding="utf-8")
    runtime.echo(runtime.text("cli.dossier_written", path=str(target), events=len(view.events)))
    return 0
