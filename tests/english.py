"""Is there an English sentence in what a zh-CN user was shown? A simple heuristic, as the
issue asks: three English words in a row, outside command and option names, ids and URLs."""

from __future__ import annotations

import re

_NOT_WORDS = (
    # A platform's own answer quoted after a failed delivery: its reason in Chinese is the
    # dispatcher's (issue 7), the quote is kept for whoever asks the platform.
    re.compile(r"✗[^\n]*"),
    re.compile(r"apt-get install [\w-]+"),  # a command to type
    re.compile(r"\S+://\S+"),  # URLs
    re.compile(r"superbot(?: [a-z]+)?"),  # the program and its commands
    re.compile(r"(?<![\w-])--?[a-z][a-z-]*(?: [A-Z][A-Z_=]*\b)?"),  # options, with a metavar
    re.compile(r"\[[a-z_|]+\]"),  # choices: [on_track|at_risk|blocked]
    re.compile(r"[A-Za-z0-9_.-]*[_./@][A-Za-z0-9_./@-]*"),  # ids, files, addresses
)
_RUN = re.compile(r"[A-Za-z][A-Za-z']*(?:[ ,]+[A-Za-z][A-Za-z']*){2,}")


def english_sentences(text: str) -> list[str]:
    for pattern in _NOT_WORDS:
        text = pattern.sub(" · ", text)
    return _RUN.findall(text)
