"""What the ``manage.py`` commands of several apps share (this module imports no app)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sales_perf.tabular import ImportFailed, ImportResult, failure_lines


class FileImportCommand(BaseCommand):
    """``manage.py <name> FILE``: import one .csv or .xlsx file, all or nothing; progress goes to stderr.

    A subclass describes the file (``file_help``), runs its app's import (``run_import``) and says what
    it imported (``summary``); the audit reason names the command by its module. A file with any bad
    row lists them on stderr and fails the command."""

    file_help = ".csv or .xlsx"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help=self.file_help)

    @property
    def command_name(self) -> str:
        return type(self).__module__.rsplit(".", 1)[-1]

    def run_import(self, *, source: IO[bytes], filename: str, progress, reason: str) -> ImportResult:
        raise NotImplementedError

    def summary(self, result: ImportResult) -> str:
        raise NotImplementedError

    def handle(self, *args, file: str, verbosity: int = 1, **options) -> None:
        path = Path(file)
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read ({exc.strerror})") from None
        with handle:
            try:
                result = self.run_import(
                    source=handle,
                    filename=path.name,
                    progress=self.stderr.write if verbosity >= 1 else None,
                    reason=f"{self.command_name} command ({path.name})"[:100],
                )
            except ImportFailed as failed:
                for line in failure_lines(failed):
                    self.stderr.write(line)
                raise CommandError(f"{path.name}: {failed.message}, nothing imported") from None
        self.stdout.write(self.summary(result))
