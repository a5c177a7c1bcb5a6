"""What the page tests share besides builders and fixtures: reading a page."""

from __future__ import annotations

import re


def squashed(response) -> str:
    """The response's HTML with every run of whitespace made one space."""
    return re.sub(r"\s+", " ", response.content.decode())
