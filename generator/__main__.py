"""``python -m generator`` is the ``specbase`` command."""

from __future__ import annotations

from generator.cli import main

raise SystemExit(main())
