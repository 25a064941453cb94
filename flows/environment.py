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


DATA_FOLDER = ".parks"


def data_dir(*anchors: Path) -> Path:
    """The project's data folder (run log, Prefect state, review decisions, stage cache): `PARKS_HOME`
    when set; else the nearest `.parks` folder, or project root (`pyproject.toml` beside `corpus/`),
    at or above the folders given (the records or corpus folder) and then the current directory, so
    a command run from another folder still finds the project's decisions; else `./.parks`."""
    if os.environ.get("PARKS_HOME"):
        return Path(os.environ["PARKS_HOME"]).resolve()
    for start in (*(Path(a).resolve().parent for a in anchors), Path.cwd()):
        for folder in (start, *start.parents):
            if (folder / DATA_FOLDER).is_dir() or ((folder / "pyproject.toml").is_file() and
                                                   (folder / "corpus").is_dir()):
                return folder / DATA_FOLDER
    return Path(DATA_FOLDER).resolve()


def configure_prefect(home: Path | None = None) -> Path:
    """Set defaults the user has not set, Prefect's state in `home` (default: `data_dir()`); call
    before importing Prefect."""
    home = home or data_dir()
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
