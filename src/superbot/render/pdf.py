"""PDF and print previews through LibreOffice (``soffice --headless --convert-to``).

LibreOffice is optional: without it :class:`NoConverter` says so and the caller tells the
coordinator in one line. Each conversion runs in a fresh profile, so two at once (or a
LibreOffice the coordinator has open) do not block each other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

NAMES = ("soffice", "libreoffice")
TIMEOUT_SECONDS = 180.0


class NoConverter(Exception):
    """LibreOffice is not installed (or not on PATH)."""


class ConversionFailed(Exception):
    """LibreOffice ran and produced nothing; the message is its own output."""


def find_soffice(path: str | None = None) -> str | None:
    """``SUPERBOT_SOFFICE``, else ``soffice`` or ``libreoffice`` on PATH."""
    candidate = path or os.environ.get("SUPERBOT_SOFFICE")
    if candidate:
        return candidate if Path(candidate).exists() else shutil.which(candidate)
    return next((found for name in NAMES if (found := shutil.which(name))), None)


def convert(
    content: bytes,
    source_name: str,
    target: str = "pdf",
    *,
    soffice: str | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> bytes:
    """``content`` (a file named ``source_name``: .docx, .xlsx …) converted to ``target``."""
    program = find_soffice(soffice)
    if program is None:
        raise NoConverter()
    with tempfile.TemporaryDirectory(prefix="superbot-soffice-") as work:
        folder = Path(work)
        source = folder / Path(source_name).name
        source.write_bytes(content)
        profile = (folder / "profile").as_uri()
        try:
            done = subprocess.run(
                [
                    program,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    target,
                    "--outdir",
                    str(folder / "out"),
                    str(source),
                ],
                capture_output=True,
                timeout=timeout,
                check=False,
                env={**os.environ, "HOME": work},
            )
        except subprocess.TimeoutExpired as error:
            raise ConversionFailed(f"{program} took longer than {timeout:.0f} s") from error
        produced = folder / "out" / f"{source.stem}.{target.split(':')[0]}"
        if not produced.exists():
            output = (done.stderr or done.stdout).decode(errors="replace").strip()
            raise ConversionFailed(output or f"{program} exited with {done.returncode}")
        return produced.read_bytes()
