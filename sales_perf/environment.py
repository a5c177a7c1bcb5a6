"""Strict environment reading on top of django-environ: a bad value stops start-up with an
ImproperlyConfigured message that names the variable.

django-environ does the parsing (casts, comma lists, DATABASE_URL and EMAIL_URL); this layer only
refuses what django-environ would let through or report without the variable's name: booleans
other than 1/0, true/false, yes/no, on/off; integers outside their bounds; URL schemes we don't run.

Values are used exactly as written: django-environ's `$OTHER_VARIABLE` proxying is not applied,
since a secret key made by Django's get_random_secret_key() may well start with `$`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import environ as django_environ
from django.core.exceptions import ImproperlyConfigured

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}
DATABASE_SCHEMES = ("postgres://", "postgresql://", "pgsql://", "sqlite://")


class StrictEnv(django_environ.Env):
    """environ.Env whose readers take a default and refuse bad values by name."""

    def __init__(self, values: Mapping[str, str] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.ENVIRON = values

    def str(self, var: str, default: str = "") -> str:
        return self.ENVIRON.get(var, default)

    def bool(self, var: str, default: bool) -> bool:
        if var not in self.ENVIRON:
            return default
        raw = self.ENVIRON[var].strip().lower()
        if raw not in TRUE_VALUES | FALSE_VALUES:
            raise ImproperlyConfigured(
                f"{var}={self.ENVIRON[var]!r} is not a boolean (use 1/0, true/false, yes/no, on/off)"
            )
        return self.parse_value(raw, bool)

    def int(self, var: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
        raw = self.ENVIRON.get(var, "").strip()
        if not raw:
            return default
        try:
            value = self.parse_value(raw, int)
        except ValueError:
            raise ImproperlyConfigured(f"{var}={self.ENVIRON[var]!r} is not an integer") from None
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{var}={value} is below the minimum {minimum}")
        if maximum is not None and value > maximum:
            raise ImproperlyConfigured(f"{var}={value} is above the maximum {maximum}")
        return value

    def list(self, var: str, default: list[str]) -> list[str]:
        """Comma-separated; items are stripped and blank items dropped."""
        if var not in self.ENVIRON:
            return default
        return [item for item in self.parse_value(self.ENVIRON[var], [str.strip]) if item]

    def db_url(self, var: str = "DATABASE_URL") -> dict:
        """A Django DATABASES entry; only PostgreSQL and SQLite are supported."""
        url = self.ENVIRON[var]
        if not url.startswith(DATABASE_SCHEMES):
            raise ImproperlyConfigured(
                f"{var} must start with postgres://, postgresql:// or sqlite:// (got {url.split(':', 1)[0]!r})"
            )
        config = _parsed(var, self.db_url_config, url)
        if config["ENGINE"].endswith("postgresql") and not config.get("NAME"):
            raise ImproperlyConfigured(f"{var} names no database")
        return config

    def email_url(self, var: str = "EMAIL_URL", default: str = "consolemail://") -> dict:
        """EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, ... for the settings module; parts the URL leaves
        out keep Django's defaults. smtps:// and smtp+tls:// turn on STARTTLS, smtp+ssl:// SSL.
        ?options are refused: django-environ would drop most of them and set the rest as strings
        (`?email_use_tls=False` would turn TLS on)."""
        url = self.ENVIRON.get(var, "") or default
        scheme = url.split(":", 1)[0]
        if scheme not in self.EMAIL_SCHEMES or not url.startswith(f"{scheme}://"):
            schemes = [f"{name}://" for name in self.EMAIL_SCHEMES]
            raise ImproperlyConfigured(
                f"{var} must start with {', '.join(schemes[:-1])} or {schemes[-1]} (got {scheme!r})"
            )
        config = _parsed(var, self.email_url_config, url)
        if "OPTIONS" in config:
            raise ImproperlyConfigured(f"{var} takes no ?options (use smtps://, smtp+tls:// or smtp+ssl:// for TLS)")
        return {name: value for name, value in config.items() if value not in (None, "")}


def _parsed(var: str, parse: Callable[[str], dict], url: str) -> dict:
    """``parse(url)``, any failure of it reported as the setting ``var`` that could not be parsed."""
    try:
        return parse(url)
    except Exception as exc:
        raise ImproperlyConfigured(f"{var} could not be parsed: {exc}") from None
