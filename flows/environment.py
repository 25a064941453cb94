"""Prefect settings for a run without a configured server, chosen so the temporary
local server starts reliably on a busy 2-core machine (see STACK-NOTES)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",  # Prefect's client telemetry: nothing leaves the machine at run time
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
}


def data_dir() -> Path:
    """The project's data folder: run log, Prefect state (and later review decisions)."""
    return Path(os.environ.get("PARKS_HOME", ".parks")).resolve()


def configure_prefect() -> Path:
    """Set defaults the user has not set; call before importing Prefect."""
    home = data_dir()
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)  # Prefect makes one level only
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    return home
