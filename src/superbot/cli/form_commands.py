"""form · import: the 填报表 round-trip for offices that collect progress as spreadsheets."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from superbot.cli import cli

if TYPE_CHECKING:
    from superbot.cli.runtime import Runtime
    from superbot.domain.periods import Period
    from superbot.service.forms import FormImported


@cli.command()
@click.option("--month", default=None, help="哪个月的填报表，YYYY-MM（默认本月）")
@click.option("--dept", default=None, help="只生成某个单位的（单位编号或名称）")
@click.option(
    "-o",
    "output",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    show_default=True,
    help="写到哪个文件夹",
)
@click.pass_obj
def form(runtime: Runtime, month: str | None, dept: str | None, output: Path) -> int:
    """为各牵头单位生成进度填报表（.xlsx，每单位一份），填好后用 superbot import 导入。

    \b
    例：superbot form --month 2022-6 --dept 高新科 -o 填报表
    """
    from superbot.domain.periods import month_of, parse_month
    from superbot.render.form import form_filename, form_words, form_workbook
    from superbot.service.errors import ServiceError
    from superbot.service.forms import build_forms
    from superbot.service.status import PlanClock, load_plan

    try:
        plan = load_plan(runtime.store)
        today = runtime.now().astimezone(PlanClock.of(plan.settings).zone).date()
        period: Period = parse_month(month) if month else month_of(today)
    except ValueError:
        raise click.BadParameter(
            runtime.text("cli.bad_month", value=month), param_hint="--month"
        ) from None
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 1
    as_of = _as_of(period, today)
    try:
        views = build_forms(runtime.store, period, as_of, dept)
    except ServiceError as error:
        runtime.echo(runtime.say(error.text), err=True)
        return 2
    output.mkdir(parents=True, exist_ok=True)
    written = []
    for view in views:
        target = output / form_filename(runtime.templates, view)
        target.write_bytes(form_workbook(view, form_words(runtime.templates, view)))
        written.append((target, view))
    runtime.echo(runtime.render("cli/form.txt", written=written, period=period))
    return 0


def _as_of(period: Period, today: date) -> date:
    """The lights on the form: today's for this month, the month's end for a past one."""
    return min(max(today, period.first), period.last)


@cli.command(name="import")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@click.option("--by", default=None, help="报送人（人员编号或姓名），默认只记来源为填报表")
@click.pass_obj
def import_(runtime: Runtime, files: tuple[Path, ...], by: str | None) -> int:
    """导入填好的填报表。有问题的表一项也不登记，逐格列出（文件:工作表!单元格: 说明）；
    同一张表再导入不会重复登记。

    \b
    例：superbot import 填报表/*.xlsx --by 王丽
    """
    from superbot.service.errors import ServiceError

    results: list[FormImported] = []
    for path in files:
        try:
            results.append(
                runtime.forms.import_file(str(path), path.read_bytes(), runtime.now(), by=by)
            )
        except ServiceError as error:
            runtime.echo(runtime.say(error.text), err=True)
            return 1 if error.text.key == "status.not_synced" else 2
    for result in results:
        for problem in result.problems:
            runtime.echo(f"{problem.place}: {runtime.say(problem.text)}", err=True)
    runtime.echo(runtime.render("cli/import.txt", results=results))
    return 1 if any(r.problems for r in results) else 0
