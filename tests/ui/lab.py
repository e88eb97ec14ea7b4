"""A real ``jupyter lab`` on loopback and a real Chromium driving it (tests and benchmarks).

Chromium comes from Debian (``/usr/bin/chromium``, installed by ``make test``); Playwright's
own browser download does not work on these machines.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError

CHROMIUM = os.environ.get("CELLOPS_CHROMIUM", "/usr/bin/chromium")
# A real pipeline run or sweep in the browser tests; bounded so a hang fails the test.
RUN_TIMEOUT_MS = 240_000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Lab:
    root: Path
    url: str
    token: str
    proc: subprocess.Popen[bytes]
    log: Path

    def api(self, method: str, route: str, body: Any = None) -> Any:
        """Call the REST API directly (test set-up and checks, not what is under test)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            f"{self.url}{route}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            text = resp.read().decode()
        return json.loads(text) if text else None


@contextmanager
def running_lab(root: Path, log_dir: Path) -> Iterator[Lab]:
    """Start ``jupyter lab`` serving ``root`` on 127.0.0.1; stop it (by its PID) afterwards."""
    port = free_port()
    token = secrets.token_hex(16)
    log = log_dir / "jupyter-lab.log"
    env = dict(os.environ)
    # A private config and workspace: no layout restored from a developer's own lab.
    for var, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTERLAB_WORKSPACES_DIR", "ws")):
        (log_dir / sub).mkdir(exist_ok=True)
        env[var] = str(log_dir / sub)
    # No "official Jupyter news?" toast over the notebook.
    settings = log_dir / "settings"
    notification = settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    args = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.workspaces_dir={log_dir / 'ws'}",
        f"--LabApp.user_settings_dir={settings}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp: the tests reset the page (close every tab) through its commands.
        "--LabApp.expose_app_in_browser=True",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
    lab = Lab(root, f"http://127.0.0.1:{port}/", token, proc, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited:\n{log.read_text(errors='replace')}")
            try:
                lab.api("GET", "api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"jupyter lab did not answer in 90 s:\n{log.read_text(errors='replace')}"
                    ) from None
                time.sleep(0.3)
        yield lab
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


@contextmanager
def browser_page(lab: Lab, width: int = 1400, height: int = 900) -> Iterator[Any]:
    """A Playwright page in Debian's headless Chromium, logged in to ``lab``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            page.set_default_timeout(30_000)
            yield page
        finally:
            browser.close()


def open_notebook(page: Any, lab: Lab, path: str) -> None:
    """Open ``path`` in JupyterLab and show the cellops sidebar."""
    page.goto(f"{lab.url}lab/tree/{path}?token={lab.token}")
    page.locator(".jp-NotebookPanel:visible .jp-Cell").first.wait_for(timeout=60_000)
    wait_revealed(page)
    tab = page.locator('.jp-SideBar [data-id="cellops-sidebar"]')
    tab.wait_for()
    if tab.get_attribute("aria-selected") != "true":
        tab.click()
    page.locator("#cellops-sidebar .jp-cellops-Notebook", has_text=path).wait_for()


def wait_revealed(page: Any) -> None:
    """Wait until no main-area tab shows its loading spinner. A tab activated while it loads
    focuses its spinner, then its content: focus taken from whatever the test opened
    meanwhile (the modal command palette closes on it)."""
    page.locator(".jp-MainAreaWidget:visible > .jp-Spinner").first.wait_for(
        state="detached", timeout=60_000
    )


def run_from_palette(page: Any, label: str) -> None:
    """Run the command labelled ``label`` from JupyterLab's command palette. The modal palette
    closes when anything else takes the focus (a tab that finishes loading): open it again."""
    wait_revealed(page)
    for attempt in range(4):
        page.keyboard.press("Control+Shift+C")
        search = page.locator(".lm-CommandPalette-input:visible")
        try:
            search.wait_for(timeout=5_000)
            search.fill(label, timeout=5_000)
            item = page.locator(".lm-CommandPalette-item:visible", has_text=label).first
            item.click(timeout=5_000)
            return
        except PlaywrightError:
            if attempt == 3:
                raise
            page.keyboard.press("Escape")


# Every main-area widget but launchers disposed (no "save?" dialog: a test's notebook is
# scratch), then every dialog dismissed.
_CLOSE_ALL = """async () => {
  const app = window.jupyterapp;
  for (const w of Array.from(app.shell.widgets('main'))) {
    if (!w.node.querySelector('.jp-Launcher')) {
      w.dispose();
    }
  }
  for (const b of document.querySelectorAll('.jp-Dialog .jp-mod-reject')) {
    b.click();
  }
}"""


def reset_page(page: Any, lab: Lab) -> None:
    """Bring the shared page to a known state: the lab loaded, no main-area tab, no dialog,
    and the saved layout empty too (the next ``page.goto`` restores nothing of a test before)."""
    if not page.evaluate("() => !!(window.jupyterapp && window.jupyterapp.shell)"):
        return  # not loaded yet: the first test of a module
    page.evaluate("() => window.jupyterapp.restored")
    page.evaluate(_CLOSE_ALL)
    # JupyterLab opens a Launcher in an emptied main area: that one may stay.
    page.wait_for_function(
        "() => Array.from(window.jupyterapp.shell.widgets('main'))"
        ".every(w => w.node.querySelector('.jp-Launcher'))"
        " && !document.querySelector('.jp-Dialog')",
        timeout=30_000,
    )
    wait_saved_layout(lab, lambda names: all(n.startswith("launcher") for n in names))


def wait_saved_layout(lab: Lab, done: Callable[[list[str]], bool]) -> list[str]:
    """Wait (bounded) until the layout JupyterLab saved on the server satisfies ``done`` (given
    the restorer names of its main-area tabs). The workspace is saved up to half a second
    after the layout changes: a reload before that restores the layout before the change."""
    deadline = time.monotonic() + 30
    while True:
        data = lab.api("GET", "lab/api/workspaces/default").get("data") or {}
        names = _area_widgets((data.get("layout-restorer:data") or {}).get("main"))
        if done(names):
            return names
        if time.monotonic() > deadline:
            raise TimeoutError(f"the saved layout's main area is still {names}")
        time.sleep(0.2)


def _area_widgets(area: Any) -> list[str]:
    """The widget names of a saved main-area layout (tab areas nested in split areas)."""
    if isinstance(area, dict):
        own = [str(w) for w in area.get("widgets") or []]
        return own + [n for k, v in area.items() if k != "widgets" for n in _area_widgets(v)]
    if isinstance(area, list):
        return [n for v in area for n in _area_widgets(v)]
    return []


def sidebar(page: Any) -> Any:
    return page.locator("#cellops-sidebar")


def click_cell(page: Any, index: int) -> None:
    # JupyterLab may rebuild a cell's DOM as it scrolls into view: retry on a detached node.
    for attempt in range(3):
        cell = page.locator(".jp-NotebookPanel:visible .jp-Cell").nth(index)
        try:
            cell.scroll_into_view_if_needed()
            cell.locator(".jp-InputPrompt").click()
            return
        except PlaywrightError:
            if attempt == 2:
                raise


def wait_finished(page: Any, selector: str) -> str:
    """Wait (bounded) until the sidebar element ``selector`` no longer says running."""
    page.wait_for_function(
        "(sel) => { const e = document.querySelector('#cellops-sidebar ' + sel);"
        " return e && e.dataset.status !== 'running'; }",
        arg=selector,
        timeout=RUN_TIMEOUT_MS,
    )
    return str(sidebar(page).locator(selector).get_attribute("data-status"))


def promote_through_dialog(page: Any) -> None:
    page.locator(".jp-NotebookPanel:visible .jp-cellops-ToolbarPromote").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    assert dialog.locator('input[data-field="target"]').input_value().endswith("-pipeline")
    dialog.locator(".jp-mod-accept").click()
    sidebar(page).locator(".jp-cellops-Promoted").wait_for()


def promoted_notebook(lab: Lab, name: str, cells: list[tuple[str, tuple[str, ...]]]) -> str:
    """Write ``name`` into the lab's root and promote it through the API; the package path."""
    from tests.nbfactory import notebook_dict

    (lab.root / name).write_text(json.dumps(notebook_dict(cells)), encoding="utf-8")
    return str(lab.api("POST", "cellops/api/promote", {"path": name})["package"])


def start_run(lab: Lab, package: str, **body: Any) -> str:
    """Start a run through the API (set-up: what is under test is how the views show it)."""
    return str(lab.api("POST", "cellops/api/runs", {"package": package, **body})["id"])


def wait_run(lab: Lab, package: str, run_id: str, until: str = "finished") -> dict[str, Any]:
    """Poll the API (bounded) until the run has finished, or until one stage is running."""
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while True:
        status: dict[str, Any] = lab.api("GET", f"cellops/api/runs/{run_id}?package={package}")
        if status["status"] != "running" or (
            until != "finished" and any(s["state"] == until for s in status["stages"])
        ):
            return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"run {run_id} still running: {status}")
        time.sleep(0.3)


def record_cancel_labels(page: Any, container: str) -> None:
    """Record every label the Cancel button inside ``container`` shows, however briefly
    (read them back with ``page.evaluate("() => window.cancelLabels")``)."""
    page.evaluate(
        """(sel) => {
          window.cancelLabels = [];
          const box = document.querySelector(sel);
          new MutationObserver(() => {
            const b = box.querySelector('.jp-cellops-CancelButton');
            if (b) { window.cancelLabels.push([b.textContent, b.disabled]); }
          }).observe(box, { subtree: true, childList: true, characterData: true,
                            attributes: true });
        }""",
        container,
    )
