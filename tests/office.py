"""LibreOffice for tests that print: ``soffice`` converts the 通报 to PDF, ``pdftotext`` (poppler)
reads the pages back. ``.ci/run`` installs both; without them a test skips with the reason,
except in CI, where it fails."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from superbot.render.pdf import convert, find_soffice


def office_problem() -> str | None:
    if find_soffice() is None:
        return "LibreOffice (soffice) not installed (apt-get install libreoffice-writer-nogui)"
    if shutil.which("pdftotext") is None:
        return "pdftotext not installed (apt-get install poppler-utils)"
    return None


@pytest.fixture
def office() -> None:
    problem = office_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the printing tests: {problem}")
        pytest.skip(problem)


def to_pdf(content: bytes, name: str) -> bytes:
    return convert(content, name)


def pages(pdf: bytes) -> list[str]:
    """The text of each page, laid out as printed."""
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return done.stdout.decode().split("\f")[:-1] or [done.stdout.decode()]


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of every page's MediaBox."""
    found = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    return [(float(w), float(h)) for w, h in found]
