"""superbot's command line: ``superbot COMMAND``. Commands are wired here and in siblings."""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Sequence

# PTB 22 warns when RetryAfter.retry_after is read as an int; opt in to PTB 23's timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import click

from superbot.cli.help import Group
from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.domain.text import Text

# Command → the module under superbot.cli that defines it. A command's module, and what it
# imports (telegram, openpyxl, the chat apps …), is loaded only when that command runs or its
# help is shown. tests/cli/test_startup.py checks that this lists every command defined.
COMMANDS = {
    "check": "plan_commands",
    "sync": "plan_commands",
    "schedule": "plan_commands",
    "status": "task_commands",
    "report": "task_commands",
    "history": "task_commands",
    "undo": "task_commands",
    "send": "delivery_commands",
    "bulletin": "delivery_commands",
    "run": "delivery_commands",
    "invite": "bot_commands",
    "form": "form_commands",
    "import": "form_commands",
    "review": "loop_commands",
    "approve": "loop_commands",
    "reject": "loop_commands",
    "extend": "loop_commands",
    "accept-reason": "loop_commands",
    "dossier": "loop_commands",
    "demo": "demo_commands",
    "doctor": "doctor_commands",
    "login": "web_commands",
    "web": "web_commands",
}


class LazyGroup(Group):
    """A group whose commands are imported from their module on first use."""

    def __init__(self, *args: object, modules: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.modules = modules

    def list_commands(self, ctx: click.Context | None) -> list[str]:
        return sorted({*self.commands, *self.modules})

    def get_command(self, ctx: click.Context | None, name: str) -> click.Command | None:
        if name not in self.commands and name in self.modules:
            # Importing the module runs its @cli.command() decorators, which add the command.
            importlib.import_module(f"{__name__}.{self.modules[name]}")
        return self.commands.get(name)


@click.group(
    cls=LazyGroup,
    modules=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="superbot", prog_name="superbot")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """督查督办机器人：任务清单 → 数据库 → 红黄绿灯 → 提醒与通报。"""
    if ctx.obj is None:
        ctx.obj = Runtime(Config.from_env(os.environ))


def main(argv: Sequence[str] | None = None, runtime: Runtime | None = None) -> int:
    """Run one command; returns (and, as a script, exits with) its status.

    Wrong arguments are one line on stderr and status 2; everything else is the command's.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    # Made before click parses anything: `superbot --help` speaks the plan's language too.
    runtime = runtime or Runtime(Config.from_env(os.environ))
    if runtime.config.locale and runtime.config.locale not in _locales():
        runtime.echo(
            runtime.text("cli.unknown_locale", value=runtime.config.locale, choices=_locales()),
            err=True,
        )
        return _exit(argv, 2)
    try:
        status = cli.main(args=args, prog_name="superbot", standalone_mode=False, obj=runtime)
    except click.UsageError as error:
        runtime = (
            runtime
            or (error.ctx.find_root().obj if error.ctx else None)
            or Runtime(Config.from_env(os.environ))
        )
        runtime.echo(runtime.say(usage_text(error)), err=True)
        status = 2
    except click.ClickException as error:
        click.echo(f"superbot: {error.format_message()}", err=True)
        status = error.exit_code
    except click.exceptions.Exit as exit_:
        status = exit_.exit_code
    except click.Abort:
        status = 130
    except Exception as error:  # one line for a person; the traceback only when asked for
        if _unsupported_database(error):
            url = _shown(runtime.config.database_url)
            runtime.echo(runtime.text("cli.database_unsupported", url=url), err=True)
            return _exit(argv, 2)
        if os.environ.get("SUPERBOT_DEBUG"):
            raise
        if _database_down(error):  # the server is down, or refuses us
            runtime.echo(
                runtime.text(
                    "cli.database_unreachable",
                    url=_shown(runtime.config.database_url),
                    reason=_database_reason(runtime, error),
                ),
                err=True,
            )
            return _exit(argv, 1)
        fallback = runtime or Runtime(Config.from_env(os.environ))
        reason = f"{type(error).__name__}: {error}"
        fallback.echo(fallback.say(Text.of("cli.crashed", reason=reason)), err=True)
        status = 1
    return _exit(argv, status)


def _exit(argv: Sequence[str] | None, status: int | None) -> int:
    if argv is None:
        sys.exit(status or 0)
    return int(status or 0)


# The database's errors are recognised without importing SQLAlchemy for every command (a
# command that never opened the database cannot have raised them).
def _unsupported_database(error: Exception) -> bool:
    db = sys.modules.get("superbot.store.db")
    return db is not None and isinstance(error, db.UnsupportedDatabase)


def _database_down(error: Exception) -> bool:
    if "sqlalchemy" not in sys.modules:
        return False
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(error, OperationalError | InterfaceError)


def _locales() -> tuple[str, ...]:
    from superbot.render.environment import LOCALES

    return tuple(LOCALES)


def _shown(url: str) -> str:
    """The database URL without its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


# What drivers say, by the cause a person can act on (psycopg's and sqlite3's wording).
_DATABASE_REASONS = (
    ("refused", "refused"),
    ("timeout expired", "timeout"),
    ("timed out", "timeout"),
    ("password authentication failed", "password"),
    ("no password supplied", "password"),
    ("does not exist", "no_database"),
    ("could not translate host name", "no_host"),
    ("name or service not known", "no_host"),
    ("unable to open database file", "no_file"),
)


def _database_reason(runtime: Runtime, error: Exception) -> str:
    orig = getattr(error, "orig", None)
    said = _first_line(orig) if orig else _first_line(error)
    for phrase, cause in _DATABASE_REASONS:
        if phrase in said.lower():
            return runtime.text("cli.database_reason", cause=cause)
    return said


def _first_line(error: BaseException) -> str:
    """What a driver says, without the SQL and the background link SQLAlchemy adds."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def usage_text(error: click.UsageError) -> Text:
    """Click's complaint, in the coordinator's language where we know the words."""
    command = error.ctx.command_path if error.ctx else "superbot"
    if isinstance(error, click.NoSuchOption):
        return Text.of(
            "cli.no_such_option",
            command=command,
            option=error.option_name,
            possibilities=sorted(error.possibilities or ()),
        )
    if isinstance(error, click.exceptions.NoSuchCommand):
        group = error.ctx.command if error.ctx else None
        names = (
            sorted(group.list_commands(error.ctx))
            if isinstance(group, click.Group) and error.ctx
            else []
        )
        return Text.of(
            "cli.no_such_command", command=command, name=error.command_name, choices=names
        )
    if isinstance(error, click.MissingParameter):
        hint = error.param.get_error_hint(error.ctx) if error.param and error.ctx else ""
        return Text.of("cli.missing_parameter", command=command, param=hint)
    if isinstance(error, click.BadParameter):
        hint = error.param.get_error_hint(error.ctx) if error.param and error.ctx else ""
        if not hint and error.param_hint:
            given = error.param_hint
            hint = given if isinstance(given, str) else " / ".join(given)
        kind = error.param.type if error.param else None
        if isinstance(kind, click.Choice):
            return Text.of(
                "cli.bad_choice", command=command, param=hint, choices=list(kind.choices)
            )
        if isinstance(kind, click.IntRange | click.types.IntParamType):
            return Text.of(
                "cli.bad_integer",
                command=command,
                param=hint,
                lo=getattr(kind, "min", None),
                hi=getattr(kind, "max", None),
            )
        return Text.of("cli.bad_parameter", command=command, param=hint, message=error.message)
    extra = re.fullmatch(r"Got unexpected extra arguments? \((.*)\)", error.message)
    if extra:  # click's only other complaint a person meets: words left over
        return Text.of("cli.extra_arguments", command=command, words=extra.group(1))
    return Text.of("cli.usage_error", message=error.format_message(), command=command)
