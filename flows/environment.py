"""Prefect settings for a run without a configured server, chosen so the temporary
local server starts reliably on a busy 2-core machine (see STACK-NOTES)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",  # Prefect's client telemetry: nothing leaves the machine at run time
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_UI_ENABLED": "false",
}


def data_dir() -> Path:
    """The project's data folder: run log, Prefect state review decisions, stage cache."""
    return Path(os.environ.get("PARKS_HOME", ".parks")).resolve()


def configure_prefect() -> Path:
    """Set defaults the user has not set; call before importing Prefect."""
    home = data_dir()
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)  # Prefect makes one level only
    for key, value in DEFAULTS.items():
        os.environ.setdefault(key, value)
    return home


@contextmanager
def shared_api():
    """One Prefect API for the whole run. Without a configured server Prefect starts a temporary
    one per process, so every worker process (or Dask worker) would start and feed its own: we
    start it here, once, and point the workers at it."""
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

    configured = get_current_settings().api.url  # environment, profile, prefect.toml or .env
    if configured:
        yield configured
        return

    server = SubprocessASGIServer()
    server.start(timeout=int(os.environ["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"]))
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield server.api_url
    finally:
        del os.environ["PREFECT_API_URL"]
        server.stop()
