"""deploy/ holds three ways to run superbot — a systemd unit, a container image, a compose
file with PostgreSQL and two instances — and env.example. What can be checked without
installing them is checked here: the unit's syntax (by systemd itself where it is installed),
the hardening it promises, the compose structure, that every command they run is a real
superbot command with real options, and that env.example documents every variable."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from superbot.cli import cli, main

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
HARDENING = {
    "NoNewPrivileges": "true",
    "ProtectSystem": "strict",
    "ProtectHome": "true",
    "PrivateTmp": "true",
    "PrivateDevices": "true",
    "CapabilityBoundingSet": "",
    "RestrictSUIDSGID": "true",
    "SystemCallArchitectures": "native",
}


def unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit file: sections of (key, value) lines, in order."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        if re.fullmatch(r"\[[A-Za-z]+\]", stripped):
            current = sections.setdefault(stripped[1:-1], [])
            continue
        key, equals, value = stripped.partition("=")
        assert equals, f"{path.name}:{number}: not key=value: {line}"
        assert current is not None, f"{path.name}:{number}: a key before any [Section]"
        assert re.fullmatch(r"[A-Za-z]+", key), f"{path.name}:{number}: bad key {key!r}"
        current.append((key, value))
    return sections


def superbot_command(argv: list[str]) -> None:
    """``superbot COMMAND OPTION…`` parses as a real command with real options."""
    assert Path(argv[0]).name == "superbot", argv
    main(["--help"])  # registers every command
    name, args = argv[1], argv[2:]
    command = cli.get_command(click.Context(cli), name)
    assert command is not None, f"no command superbot {name}"
    command.make_context(name, list(args), obj=object())  # raises on an unknown option


def test_the_unit_is_valid_for_systemd_and_hardened(tmp_path: Path) -> None:
    sections = unit(DEPLOY / "superbot.service")
    assert set(sections) == {"Unit", "Service", "Install"}
    service = dict(sections["Service"])
    for key, value in HARDENING.items():
        assert service.get(key) == value, key
    assert service["User"] == "superbot"  # never root
    assert service["ReadWritePaths"] == service["WorkingDirectory"]
    superbot_command(shlex.split(service["ExecStart"]))
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed: the parser above is the check")
    # systemd checks every key and value; the program must exist, so point it at ours.
    copy = tmp_path / "superbot.service"
    real = Path(sys.executable).with_name("superbot")
    copy.write_text(
        (DEPLOY / "superbot.service")
        .read_text(encoding="utf-8")
        .replace("/opt/superbot/bin/superbot", str(real)),
        encoding="utf-8",
    )
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert verified.returncode == 0, verified.stderr
    assert verified.stderr.strip() == "", verified.stderr  # an unknown key is only a warning


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    text = re.sub(r"\\\n\s*", " ", text)
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, rest = line.strip().partition(" ")
            found.append((instruction.upper(), rest.strip()))
    return found


def exec_form(arguments: str) -> list[str]:
    parsed: Any = yaml.safe_load(arguments)  # a JSON array is YAML too
    assert isinstance(parsed, list), arguments
    return [str(part) for part in parsed]


def test_the_image_is_slim_non_root_installs_a_wheel_and_checks_with_doctor() -> None:
    steps = dockerfile()
    bases = [args for step, args in steps if step == "FROM"]
    assert all("slim" in base for base in bases), bases
    runs = " ".join(args for step, args in steps if step == "RUN")
    assert "pip wheel" in runs
    assert re.search(r"pip install [^&]*\.whl", runs)
    assert " -e " not in runs  # the package, not a checkout
    users = [args for step, args in steps if step == "USER"]
    assert users
    assert users[-1] not in ("root", "0")
    final = len(steps) - [s for s, _ in steps][::-1].index("FROM")
    assert any(step == "USER" for step, _ in steps[final:]), "USER in the final stage"
    [health] = [args for step, args in steps if step == "HEALTHCHECK"]
    check = health.partition("CMD")[2].strip()
    command = exec_form(check)
    assert command[:2] == ["superbot", "doctor"]
    superbot_command(command)
    [cmd] = [args for step, args in steps if step == "CMD"]
    superbot_command(exec_form(cmd))
    for source in (
        args.split()[-2] for step, args in steps if step == "COPY" and "--from" not in args
    ):
        assert (ROOT / source).exists(), source


def test_compose_runs_two_instances_on_postgresql_once_it_is_healthy() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in postgres["healthcheck"]["test"]
    instances = {name: s for name, s in services.items() if name.startswith("superbot")}
    assert len(instances) == 2
    ports = set()
    for name, service in instances.items():
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy", name
        url = service["environment"]["SUPERBOT_DATABASE_URL"]
        assert url.startswith("postgresql://"), name
        assert "@postgres:" in url, name
        superbot_command(service["command"])
        test = service["healthcheck"]["test"]
        assert test[0] == "CMD"
        superbot_command(test[1:])
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        ports |= set(service["ports"])
        mounts = {v.split(":")[1] for v in service["volumes"]}
        assert service["environment"]["SUPERBOT_FILES_DIR"] in mounts  # evidence shared
    assert len(ports) == 2  # one host port each
    assert set(compose["volumes"]) >= {"postgres", "files"}


def test_env_example_documents_every_variable_the_readme_lists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", readme, flags=re.M))
    assert {"SUPERBOT_DATABASE_URL", "TELEGRAM_BOT_TOKEN", "SMTP_URL"} <= listed
    example = (DEPLOY / "env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", example, flags=re.M))
    assert listed - documented == set()
