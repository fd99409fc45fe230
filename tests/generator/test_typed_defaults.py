"""Defaults in the Pydantic modules are values of their field's type (see
generator/render/defaults.py): mypy --strict accepts them, and a date is a date."""

from __future__ import annotations

from generator.render.defaults import typed_defaults

# What datamodel-code-generator writes (no formatter: single quotes, imports unsorted).
_RAW = """\
from __future__ import annotations
from pydantic import AwareDatetime, Field
from typing import Annotated
from uuid import UUID


class X(SchemaModel):
    tags: Annotated[list[Tag], Field(validate_default=True)] = ['none']
    empty: Annotated[list[Tag], Field(validate_default=True)] = []
    place: Annotated[Address | None, Field(validate_default=True)] = {'city': 'Lyon'}
    at: AwareDatetime = '2020-01-01T00:00:00Z'
    day: date | None = '2020-01-01'
    token: UUID = '00000000-0000-4000-8000-000000000000'
    text: str = '2020-01-01'
"""


def test_defaults_become_values_of_their_types() -> None:
    lines = typed_defaults(_RAW).splitlines()
    assert lines[:2] == [
        "from __future__ import annotations",
        "from datetime import date, datetime",
    ]
    assert "from typing import Annotated, cast" in lines
    body = lines[lines.index("class X(SchemaModel):") + 1 :]
    assert body == [
        "    tags: Annotated[list[Tag], Field(validate_default=True)] = "
        "cast('list[Tag]', ['none'])",
        "    empty: Annotated[list[Tag], Field(validate_default=True)] = []",
        "    place: Annotated[Address | None, Field(validate_default=True)] = "
        "cast('Address | None', {'city': 'Lyon'})",
        "    at: AwareDatetime = datetime.fromisoformat('2020-01-01T00:00:00Z')",
        "    day: date | None = date.fromisoformat('2020-01-01')",
        "    token: UUID = UUID('00000000-0000-4000-8000-000000000000')",
        "    text: str = '2020-01-01'",
    ]


def test_a_module_without_such_defaults_is_unchanged() -> None:
    plain = "from __future__ import annotations\n\n\nclass Y(SchemaModel):\n    n: int = 3\n"
    assert typed_defaults(plain) == plain
