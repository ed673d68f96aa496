"""Evidence files (佐证) under SUPERBOT_FILES_DIR, stored once by content hash:
``files/ab/abcdef…`` holds the bytes; the database knows its size and type, and which
reports it belongs to under which name."""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from superbot.service.outcomes import Evidence
from superbot.store.db import SqlRepository
from superbot.store.tables import EvidenceFileRow, ReportEvidenceRow


class FileEvidence(SqlRepository):
    def __init__(self, engine: Engine, directory: Path) -> None:
        super().__init__(engine)
        self.directory = directory

    def path(self, sha256: str) -> Path:
        return self.directory / sha256[:2] / sha256

    def keep(self, content: bytes, filename: str, mime: str, now: datetime) -> Evidence:
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(descriptor, "wb") as stream:
                    stream.write(content)
                os.replace(temporary, target)  # a reader sees no file or the whole of it
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        with self.session() as s:
            if s.get(EvidenceFileRow, digest) is None:
                s.add(
                    EvidenceFileRow(
                        sha256=digest, size=len(content), mime=mime[:255], stored_at=now
                    )
                )
        return Evidence(_name(filename), digest, len(content))

    def attach(self, report_id: int, evidence: Evidence) -> None:
        with self.session() as s:
            s.merge(
                ReportEvidenceRow(
                    report_id=report_id, sha256=evidence.sha256, filename=evidence.filename
                )
            )

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()


def _name(filename: str) -> str:
    """The name as sent, without a path (some clients send ``C:\\…\\照片.jpg``)."""
    return filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:255] or "file"
