"""What a command loads before it does anything: `superbot --help` is instant, and a command
pays only for the parts it uses (issue 15). Each check runs in a fresh interpreter, since this
test process has imported everything already."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from tests.conftest import Cli

import superbot.cli
from superbot.cli import COMMANDS, main
from superbot.cli import cli as group

ROOT = Path(__file__).resolve().parent.parent.parent
# Help speaks the plan's language (issue 16), so it loads Jinja; with no database yet, it
# needs nothing else.
HEAVY = ("telegram", "alembic", "openpyxl", "docx", "sqlalchemy", "sqlmodel", "httpx")

# Runs superbot's command line in this interpreter and prints the top-level packages loaded.
_LOADED = """
import json, sys
from superbot.cli import main
status = main(sys.argv[1:])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


def loaded_by(*args: str, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_help_loads_none_of_the_heavy_parts(tmp_path: Path) -> None:
    loaded = loaded_by("--help", env={"SUPERBOT_DATABASE_URL": f"sqlite:///{tmp_path}/none.db"})
    assert "click" in loaded  # the probe works
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_lists_every_command_without_loading_them(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])
    listing = capsys.readouterr().out
    for name in COMMANDS:
        assert f"\n  {name} " in listing, name


def test_status_loads_no_telegram_no_alembic_no_workbook(tmp_path: Path) -> None:
    env = {
        "SUPERBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'superbot.db'}",
        "SUPERBOT_TASKS": str(ROOT / "tasks.yaml"),
    }
    loaded_by("sync", env=env)  # creates and migrates the database
    loaded = loaded_by("status", "--json", env=env)
    assert "sqlalchemy" in loaded  # it did read the database
    assert not loaded & {"telegram", "alembic", "openpyxl", "docx", "httpx"}, sorted(loaded)


def test_every_command_is_mapped_to_the_module_that_defines_it() -> None:
    """A command added to a module but not to COMMANDS would be missing from --help."""
    package = Path(superbot.cli.__file__).parent
    for module in pkgutil.iter_modules([str(package)]):
        importlib.import_module(f"superbot.cli.{module.name}")
    defined = {
        name: command.callback.__module__.rpartition(".")[2]
        for name, command in group.commands.items()
        if command.callback is not None
    }
    assert defined == COMMANDS


def test_choices_named_without_loading_the_domain_are_the_domains() -> None:
    from superbot.cli.delivery_commands import KINDS
    from superbot.domain.lights import Light
    from superbot.domain.model import ScheduleKind, State
    from superbot.service.people import INVITE_VALIDITY

    def option(command: str, name: str) -> click.Parameter:
        found = group.get_command(click.Context(group), command)
        assert found is not None
        return next(p for p in found.params if p.name == name)

    light = option("status", "lights").type
    assert isinstance(light, click.Choice)
    assert list(light.choices) == [light.value for light in Light]
    state = option("report", "state").type
    assert isinstance(state, click.Choice)
    assert list(state.choices) == [s.value for s in State if s is not State.DONE]
    assert {ScheduleKind(kind) for kind in KINDS.values()} == set(ScheduleKind)
    assert option("invite", "days").default == INVITE_VALIDITY.days


def test_a_wrong_light_is_answered_in_chinese_with_the_choices(cli: Cli) -> None:
    result = cli("status", "--light", "purple")
    assert result.status == 2
    assert "只能是 red、yellow、pending、green、done" in result.err, result.err
