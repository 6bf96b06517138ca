"""The README's runnable shell blocks: a fence preceded by `<!-- runnable -->` (runs anywhere, no chain needed)
or `<!-- runnable: with the demo running -->` (runs while `make demo` serves; the quick-start walk runs those)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
_BLOCK = re.compile(r"<!-- runnable(?P<when>: [^>]*?)? -->\n```(?:sh|bash|shell)\n(?P<body>.*?)```", re.S)


@dataclass(frozen=True)
class Block:
    when: str  # "" for anywhere, else the condition after `runnable:`
    line: int  # the fence's line in the README
    commands: list[str]  # one shell command per line, comments and blank lines dropped


def runnable_blocks(text: str | None = None) -> list[Block]:
    text = README.read_text() if text is None else text
    blocks = []
    for match in _BLOCK.finditer(text):
        commands = [re.sub(r"\s+#.*$", "", line).strip() for line in match["body"].splitlines()]
        line = text[: match.start("body")].count("\n")
        blocks.append(Block((match["when"] or "").removeprefix(": ").strip(), line,
                            [c for c in commands if c and not c.startswith("#")]))
    return blocks
