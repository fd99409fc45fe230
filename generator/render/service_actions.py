"""The actions' part of a service base: one typed stub method per action.

Each stub is marked with ``app.core.operations.actions.unimplemented`` and raises; a subclass in
``custom/`` overrides it, and start-up refuses the service while one is left. The
class-level ``action_signatures`` table says what to write, for the start-up message.
"""

from __future__ import annotations

import json
import textwrap

from generator.ir import Resource
from generator.render.common import quote_doc

__all__ = ["action_imports", "render_action_doc", "render_actions"]


def action_imports(resource: Resource) -> list[str]:
    """The import lines the stubs need (besides the service module's own)."""
    if not resource.actions:
        return []
    lines = [
        "from collections.abc import Mapping",
        "from typing import ClassVar",
        "from app.core.operations.actions import unimplemented",
    ]
    if any(action.item and action.id_type == "UUID" for action in resource.actions):
        lines.append("from uuid import UUID")
    by_module: dict[str, set[str]] = {}
    for action in resource.actions:
        for name in (action.request_class, action.query_class):
            if name is not None:
                by_module.setdefault(resource.module, set()).add(name)
        if action.response_class and action.response_module:
            by_module.setdefault(action.response_module, set()).add(action.response_class)
    for module, names in sorted(by_module.items()):
        lines.append(f"from generated.{module}.schemas import {', '.join(sorted(names))}")
    return lines


def render_action_doc(resource: Resource) -> str:
    """The service docstring's list of actions."""
    if not resource.actions:
        return ""
    lines = [
        f"\n\n    Actions, each to write in custom/{resource.module}/service.py (start-up\n",
        "    refuses the service while one is left):\n\n",
    ]
    lines += [f"    - {a.name}: {a.method} {a.path}\n" for a in resource.actions]
    return "".join(lines).rstrip("\n")


def render_actions(resource: Resource) -> str:
    """The ``action_signatures`` table and a stub per action, in the spec's order."""
    if not resource.actions:
        return ""
    table = "".join(
        f"        {action.name!r}: {_value(action.signature)},\n" for action in resource.actions
    )
    out = [f"    action_signatures: ClassVar[Mapping[str, str]] = {{\n{table}    }}\n"]
    for action in resource.actions:
        message = (
            f"{resource.spec_path}: action {action.name} has no implementation; write "
            f"{action.signature} in a subclass of {resource.name}ServiceBase in "
            f"custom/{resource.module}/service.py"
        )
        out += [
            "\n    @unimplemented\n",
            f"    {action.signature}:\n",
            quote_doc(action.summary, "        "),
            f"        raise NotImplementedError(\n{_literal(message, 12)}        )\n",
        ]
    return "".join(out)


def _literal(text: str, indent: int) -> str:
    """``text`` as adjacent string literals, one a line, each within the line length."""
    pad = " " * indent
    chunks = textwrap.wrap(text, width=96 - indent - 2, drop_whitespace=False,
                           break_long_words=False, break_on_hyphens=False)  # fmt: skip
    return "".join(f"{pad}{json.dumps(chunk)}\n" for chunk in chunks)


def _value(text: str) -> str:
    """A string literal on one line when it fits, else parenthesised adjacent ones."""
    if len(text) <= 70:
        return json.dumps(text)
    return f"(\n{_literal(text, 12)}        )"
