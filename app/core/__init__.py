"""The runtime library under every generated project, grouped by concern.

From the top: :mod:`~app.core.operations` serves the generated operations and binds
``custom/``; :mod:`~app.core.http` (the HTTP edge) and :mod:`~app.core.services` (the
service base) sit beside each other over :mod:`~app.core.data` (data access), which sits
over :mod:`~app.core.domain` and :mod:`~app.core.tools`. A package imports only those
below it (import-linter, ``pyproject.toml``); no module sits here loose.
"""
