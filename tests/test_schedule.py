"""A schedule fires a real run: `parks server`, then `parks schedule` with an every-minute cron."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from conftest import CORPUS


def start(args, env, log):
    return subprocess.Popen([sys.executable, "-m", "flows.cli", *args], env=env, stdout=log, stderr=subprocess.STDOUT)


def stop(process):
    process.send_signal(signal.SIGTERM)  # the Python process only: killing the group hangs Prefect's shutdown
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def test_a_cron_schedule_fires_an_extraction_on_the_local_server(tmp_path):
    corpus = tmp_path / "corpus"
    (corpus / "seeds").mkdir(parents=True)
    shutil.copy(CORPUS / "seeds" / "004_214d4d4eb4e386b6.txt", corpus / "seeds")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PARKS_HOME=str(tmp_path / "home"), PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="5")
    log = (tmp_path / "server.log").open("w")
    server = start(["server", "--port", str(port)], env, log)
    serving = None
    try:
        api = f"http://127.0.0.1:{port}/api"
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{api}/health", timeout=2)
                break
            except OSError:
                assert time.time() < deadline and server.poll() is None, (tmp_path / "server.log").read_text()
                time.sleep(1)
        serving = start(["schedule", "--cron", "* * * * *", "--corpus", str(corpus), "--out", str(tmp_path / "out"),
                         "--api-url", api], env, (tmp_path / "serve.log").open("w"))
        record = tmp_path / "out" / "documents" / "004_214d4d4eb4e386b6.json"
        deadline = time.time() + 180
        while not record.exists():
            assert time.time() < deadline and serving.poll() is None, (tmp_path / "serve.log").read_text()
            time.sleep(2)
        time.sleep(1)
        assert json.loads(record.read_text(encoding="utf-8"))["status"] == "ok"
        runs = json.loads(urllib.request.urlopen(urllib.request.Request(
            f"{api}/flow_runs/filter", data=b"{}", headers={"Content-Type": "application/json"})).read())
        assert any(run["deployment_id"] for run in runs)  # the run came from the deployment's schedule
    finally:
        if serving:
            stop(serving)
        stop(server)
