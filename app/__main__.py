"""``python -m app`` serves the API, as the template's ``python main.py`` did."""

from __future__ import annotations

import uvicorn

if __name__ == "__main__":
    uvicorn.run("app.main:app", host="127.0.0.1", port=8000, log_config=None, access_log=False)
