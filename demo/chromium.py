"""How this project starts Debian's chromium for Playwright: the browser tests and the README's
screenshots (docs/screenshots.py) launch it alike. Plain Python: importing it needs no Django."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox and no GPU (containers, CI); nothing in the background that would reach the network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
