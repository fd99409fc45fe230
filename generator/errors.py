"""Errors the generator reports to its user: each names a file, a line and what to fix."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["SpecError", "SpecErrors"]


@dataclass(frozen=True, order=True)
class SpecError:
    """One problem in one spec file, pointing at the line where it sits."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class SpecErrors(Exception):
    """Every problem found in the specs; raised before anything is written."""

    def __init__(self, errors: Iterable[SpecError]) -> None:
        self.errors = sorted(set(errors))
        super().__init__("\n".join(str(error) for error in self.errors))
