"""Headless Chromium screenshots of every dashboard page, on a lake made by `sahaja demo`.

    python -m benchmarks.screenshots [--limit 600] [--out dashboard/screenshots]

Steps: run the demo (embedded broker + the real worker) into a fresh lake; accept one candidate and
export a batch so the review and export pages have something to show; start the dashboard with
`dashboard.launch.command`; shoot each page with Debian's `chromium` (install it with
`apt-get install -y chromium`); stop the dashboard.

Chromium's own `--screenshot` fires at the load event, before Streamlit's websocket has delivered
the page (`--virtual-time-budget` does not wait for websockets either), so the page is driven over
the DevTools protocol instead: navigate, wait until the page's title is drawn and the charts had a
moment, then capture. `websockets` comes with Streamlit.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

from dashboard.launch import command

OUT = Path(__file__).resolve().parents[1] / "dashboard" / "screenshots"
PAGES = {"overview": "", "drift": "drift", "review": "review", "export": "export"}
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--hide-scrollbars",
]  # fmt: skip
WIDTH = 1400
# Drawn: a title, the script finished (no running-status widget) and no loading placeholder left
# (charts and tables load lazily after the script ran). Returns the page's size when ready, else 0.
READY = (
    "(!!document.querySelector('h1') && document.querySelector('h1').innerText.length > 0 && "
    "![...document.querySelectorAll('[data-testid]')].some(e => /skeleton|spinner|statuswidget/i.test("
    "e.dataset.testid))) ? document.body.innerHTML.length : 0"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_lake(lake: Path, limit: int) -> None:
    subprocess.run([sys.executable, "-m", "sidecar.cli", "--lake", str(lake), "demo", "--limit", str(limit)],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    from feedback import FeedbackLake

    feedback = FeedbackLake(lake)
    pending = feedback.list_candidates(status="pending").sort("candidate_id")
    for candidate_id in pending["candidate_id"].to_list()[:3]:
        feedback.review(candidate_id, "accept", "screenshot-bot")
    feedback.export(lake / "batches" / "batch-screenshot")


def wait_healthy(port: int, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("the dashboard did not become healthy")


class DevTools:
    """The few DevTools protocol calls a screenshot needs, over one page's websocket."""

    def __init__(self, url: str) -> None:
        self.ws = connect(url, max_size=None, open_timeout=20)
        self.ids = itertools.count(1)

    def call(self, method: str, **params: object) -> dict:
        request_id = next(self.ids)
        self.ws.send(json.dumps({"id": request_id, "method": method, "params": params}))
        while True:  # events arrive in between; the answer carries our id
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == request_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    def close(self) -> None:
        self.ws.close()


def page_socket(debug_port: int, timeout_s: float = 30.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list", timeout=2) as r:  # noqa: S310
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError("chromium's DevTools endpoint did not come up")


def shoot(
    chromium: str, url: str, target: Path, height: int = 1800, settle_s: float = 3.0, timeout_s: float = 90.0
) -> None:
    debug_port = free_port()
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        browser = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--window-size={WIDTH},{height}", f"--user-data-dir={profile}",
             f"--remote-debugging-port={debug_port}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        try:
            tools = DevTools(page_socket(debug_port))
            try:
                tools.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=height, deviceScaleFactor=1,
                           mobile=False)  # fmt: skip
                tools.call("Page.navigate", url=url)
                deadline, last = time.monotonic() + timeout_s, -1
                while True:  # ready, and unchanged since the last look
                    size = tools.call("Runtime.evaluate", expression=READY)["result"].get("value") or 0
                    if size and size == last:
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"{url} did not render")
                    last = size
                    time.sleep(1.0)
                time.sleep(settle_s)  # vega draws into its canvas after the DOM settles
                target.write_bytes(base64.b64decode(tools.call("Page.captureScreenshot", format="png")["data"]))
            finally:
                tools.close()
        finally:
            os.killpg(browser.pid, signal.SIGTERM)  # chromium's helper processes are in its own session
            browser.wait(timeout=20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Screenshots of every dashboard page.")
    parser.add_argument("--limit", type=int, default=600, help="demo conversations to score")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--lake", type=Path, default=None, help="use this lake instead of running the demo")
    parser.add_argument("--pages", nargs="+", choices=list(PAGES), default=list(PAGES))
    parser.add_argument("--prefix", default="", help="file name prefix (e.g. for a second lake)")
    parser.add_argument("--height", type=int, default=1800, help="window height in pixels")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: apt-get install -y chromium", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="sahaja-shots-"))
    lake = args.lake or work / "lake"
    if args.lake is None:
        make_lake(lake, args.limit)
    port = free_port()
    server = subprocess.Popen(command(port, "127.0.0.1"), env={**os.environ, "SAHAJA_LAKE_PATH": str(lake)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_healthy(port)
        args.out.mkdir(parents=True, exist_ok=True)
        for name in args.pages:
            target = args.out / f"{args.prefix}{name}.png"
            shoot(chromium, f"http://127.0.0.1:{port}/{PAGES[name]}", target, args.height)
            print(f"wrote {target}")
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
