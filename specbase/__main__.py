"""``python -m specbase`` is the ``specbase`` command."""

from __future__ import annotations

from specbase.cli.main import main

raise SystemExit(main())
