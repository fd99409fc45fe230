"""``python -m app`` serves the API, as the template's ``python main.py`` did (HOST, PORT)."""

from __future__ import annotations

import uvicorn

from app.config import SettingsError, get_settings

if __name__ == "__main__":
    try:
        settings = get_settings()
    except SettingsError as exc:
        lines = str(exc).splitlines()
        raise SystemExit("\n".join(f"specbase: cannot start: {line}" for line in lines)) from None
    # The app configures logging itself (JSON lines with request ids) and writes its own
    # access line, so uvicorn's are off.
    uvicorn.run(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
    )
