"""The file channel: each message becomes files a person can open, under one folder per
recipient, for when no Telegram token and no SMTP server are configured.

``<directory>/<recipient>/000042-<subject>.txt`` holds the subject, a blank line and the
body; ``000042-<subject>.html`` the HTML alternative, and ``000042-<filename>`` each
attachment. Numbers go on from the highest one in the folder, so they survive restarts; a
number is claimed by creating its ``.txt`` exclusively, so two processes never share one.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from superbot.service.ports import ChannelError, Message, Pace, Receipt

_NUMBERED = re.compile(r"^(\d{6})-")
# Path separators, what Windows forbids, control characters and whitespace runs.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\s]+')
_NAME_BYTES = 120  # well inside the usual 255-byte limit, with room for the number


class FileChannel:
    name = "file"
    pace = Pace()

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def send(self, message: Message, recipient: str) -> Receipt:
        try:
            path = await asyncio.to_thread(self._write, message, recipient)
        except OSError as exc:
            raise ChannelError(f"file: {exc}", permanent=True) from exc
        return Receipt(ref=path.relative_to(self._directory).as_posix())

    async def aclose(self) -> None:
        pass

    def _write(self, message: Message, recipient: str) -> Path:
        folder = self._directory / safe_name(recipient)
        folder.mkdir(parents=True, exist_ok=True)
        text = f"{message.subject}\n\n{message.body}"
        if not text.endswith("\n"):
            text += "\n"
        subject = safe_name(message.subject)
        number, path = _claim(folder, subject)
        _write_atomically(path, text.encode())
        if message.html is not None:
            _write_atomically(path.with_suffix(".html"), message.html.encode())
        taken = {path, path.with_suffix(".html")}
        for index, attachment in enumerate(message.attachments, start=1):
            target = folder / f"{number:06d}-{safe_name(attachment.filename)}"
            if target in taken:  # an attachment named like the message must not replace it
                target = folder / f"{number:06d}-{index}-{safe_name(attachment.filename)}"
            taken.add(target)
            _write_atomically(target, attachment.content)
        return path


def safe_name(text: str) -> str:
    """A file name from any text, Chinese and its full-width punctuation kept as they are."""
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", text)).strip("._")
    encoded = name.encode()
    if len(encoded) > _NAME_BYTES:
        stem, dot, suffix = name.rpartition(".")
        if not dot or not 0 < len(suffix.encode()) <= 10:
            stem, suffix = name, ""
        budget = _NAME_BYTES - len(suffix.encode()) - (1 if suffix else 0)
        stem = stem.encode()[:budget].decode(errors="ignore").rstrip("._")
        name = f"{stem}.{suffix}" if suffix else stem
    return name or "_"


def _claim(folder: Path, subject: str) -> tuple[int, Path]:
    number = _highest(folder)
    while True:
        number += 1
        path = folder / f"{number:06d}-{subject}.txt"
        try:
            # O_EXCL: another writer that picked the same number gets FileExistsError.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            continue
        return number, path


def _highest(folder: Path) -> int:
    numbers = (
        int(match.group(1)) for entry in folder.iterdir() if (match := _NUMBERED.match(entry.name))
    )
    return max(numbers, default=0)


def _write_atomically(path: Path, content: bytes) -> None:
    # Readers see the old file or the whole new one, never half of it.
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
