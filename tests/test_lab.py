"""`make lab` starts JupyterLab with settings that keep it offline: no news, no PyPI queries.

These settings come from tools/jupyter/; without them both tests below fail.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "unrolled-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab_url():
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(ROOT / "tools" / "jupyter"))
    command = [sys.executable, "-m", "jupyter", "lab", "--allow-root", "--ip=127.0.0.1"]
    command += [f"--port={port}", f"--ServerApp.token={TOKEN}", f"--notebook-dir={ROOT}"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"jupyter lab exited: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not answer within 60 s")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def get(url: str) -> str:
    return urllib.request.urlopen(f"{url}&token={TOKEN}", timeout=10).read().decode()


def page_config(lab_url: str) -> dict:
    """The settings JupyterLab embeds in its page for the front end."""
    page = get(f"{lab_url}/lab?reset=1")
    return json.loads(
        page.split('id="jupyter-config-data" type="application/json">')[1].split("<")[0]
    )


def test_announcements_plugin_is_disabled(lab_url):
    config = page_config(lab_url)
    assert "@jupyterlab/apputils-extension:announcements" in config["disabledExtensions"]


def test_extension_manager_cannot_reach_pypi(lab_url):
    assert page_config(lab_url)["extensionManager"]["name"] == "read-only"
