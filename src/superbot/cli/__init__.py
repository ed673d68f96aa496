"""superbot's command line: ``superbot COMMAND``. Commands are wired here and in siblings."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

# PTB 22 warns when RetryAfter.retry_after is read as an int; opt in to PTB 23's timedelta.
os.environ.setdefault("PTB_TIMEDELTA", "1")

import click

from superbot.cli.runtime import Runtime
from superbot.config import Config
from superbot.domain.text import Text


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
    from superbot.cli import (  # noqa: F401  (registers the commands)
        delivery_commands,
        plan_commands,
        task_commands,
    )

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        status = cli.main(args=args, prog_name="superbot", standalone_mode=False, obj=runtime)
    except click.UsageError as error:
        runtime = (
            runtime
            or (error.ctx.find_root().obj if error.ctx else None)
            or Runtime(Config.from_env(os.environ))
        )
        command = error.ctx.command_path if error.ctx else "superbot"
        runtime.echo(
            runtime.say(
                Text.of("cli.usage_error", message=error.format_message(), command=command)
            ),
            err=True,
        )
        status = 2
    except click.ClickException as error:
        click.echo(f"superbot: {error.format_message()}", err=True)
        status = error.exit_code
    except click.exceptions.Exit as exit_:
        status = exit_.exit_code
    except click.Abort:
        status = 130
    if argv is None:
        sys.exit(status or 0)
    return int(status or 0)
