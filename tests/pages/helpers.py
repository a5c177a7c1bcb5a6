"""What the page tests share besides builders and fixtures: reading a page."""

from __future__ import annotations

import re


def squashed(response) -> str:
    """The response's HTML with every run of whitespace made one space."""
    return re.sub(r"\s+", " ", response.content.decode())


def without_csrf_token(response) -> str:
    """The response's HTML without the CSRF token's value: a random 64-letter string that now and
    then holds a short code such as "M9", which a test looking for that code must not see."""
    return re.sub(r'(name="csrfmiddlewaretoken" value=")[^"]*"', r'\1"', response.content.decode())
