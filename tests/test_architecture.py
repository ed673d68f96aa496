"""The shape docs/architecture.md draws, held by tests: dependencies point inward, words live in
templates, every command is documented, and the migrations match the tables."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from superbot.store.db import make_engine, migrate

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "superbot"
FRAMEWORKS = ("telegram", "sqlmodel", "sqlalchemy", "apscheduler", "jinja2", "httpx", "alembic")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_the_domain_imports_no_framework_and_nothing_outside_it(path: Path) -> None:
    for name in imports(path):
        assert not name.startswith(FRAMEWORKS), f"{path.name} imports {name}"
        if name.startswith("superbot."):
            assert name.startswith("superbot.domain"), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", modules("service"), ids=lambda p: p.name)
def test_use_cases_import_no_framework_and_no_edge(path: Path) -> None:
    edges = (
        "superbot.store",
        "superbot.channels",
        "superbot.render",
        "superbot.bot",
        "superbot.cli",
    )
    for name in imports(path):
        assert not name.startswith(FRAMEWORKS), f"{path.name} imports {name}"
        assert not name.startswith(edges), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", modules("bot"), ids=lambda p: p.name)
def test_bot_handlers_hold_no_sql(path: Path) -> None:
    for name in imports(path):
        assert not name.startswith(("sqlalchemy", "sqlmodel", "superbot.store")), name


def test_the_domain_never_reads_the_clock() -> None:
    for path in modules("domain"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"\b(datetime|date)\.(now|today|utcnow)\(", source), path.name
        assert "time.time(" not in source, path.name


CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Modules that *read* Chinese (百分之六十, 受阻, 北京时间) hold the words they recognise.
READERS = {"domain/progress.py", "plan/fields.py", "domain/mail.py", "channels/mail_reader.py"}


@pytest.mark.parametrize(
    "path",
    [
        p
        for p in sorted(SRC.rglob("*.py"))
        if "migrations" not in p.parts and str(p.relative_to(SRC)) not in READERS
    ],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_python_holds_no_chinese_words_but_command_help(path: Path) -> None:
    """Messages are templates. Only click's help texts (docstrings, help=) may be Chinese."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Module):
            doc = node.body[0] if node.body else None
            if isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant):
                allowed.add(id(doc.value))
        if isinstance(node, ast.keyword) and node.arg == "help":
            allowed |= {id(n) for n in ast.walk(node.value)}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in allowed
        ):
            assert not CHINESE.search(node.value), f"{path.name}:{node.lineno}: {node.value!r}"


def test_every_command_is_documented_in_the_readme() -> None:
    from superbot.cli import cli, main

    main(["--help"])  # registers every command module
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.list_commands(None):  # type: ignore[arg-type]
        assert f"superbot {name}" in readme, name


def test_every_environment_variable_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    config = (SRC / "config.py").read_text(encoding="utf-8")
    for name in re.findall(r'get\("([A-Z_]+)"\)', config):
        assert f"`{name}`" in readme, name


def test_the_migrations_build_exactly_the_tables(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in ci
    assert "make test" in readme
