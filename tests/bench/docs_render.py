#!/usr/bin/python3
# The figure of issue 7: /docs first render in headless Chromium, from
# navigation to the operations being visible (budget: 1 s on loopback).
#
# Each run starts a fresh Chromium (Debian's `chromium`, headless, a new
# empty profile, so nothing is cached), drives it over the Chrome DevTools
# Protocol (Debian's python3-websocket) and navigates to BASE_URL/docs. A
# script installed before any of the page's own (a MutationObserver) notes
# performance.now() when the first Swagger UI operation (div.opblock) enters
# the DOM, when all the document's operations are there, and at the next
# animation frame after that: the operations painted, "visible". The clock
# is the page's own, whose zero is the start of the navigation, so neither
# Chromium's start-up nor the protocol's round trips are counted; the time
# seen from outside (Page.navigate sent to the frame seen by polling) is
# printed beside it. A second navigation in the same browser, with the
# scripts cached (nginx sends them with a 1-day expiry), gives the warm figure.
# Any request to another host than BASE_URL's fails (host-resolver rules),
# so the page renders from our own assets or not at all.
#
# usage: /usr/bin/python3 tests/bench/docs_render.py [--runs N] [BASE_URL]
#        (BASE_URL default http://127.0.0.1:8001, a running stack)
# Prints one line per run and a last line
#   docs_render runs=N cold_ms=MEDIAN cold_max_ms=MAX warm_ms=MEDIAN budget_ms=1000 within_budget=yes|no
# exit status: 0 measured, 1 a run failed (no render within 10 s), 2 usage.
#
# tests/integration/test_openapi.sh imports Chromium and Page from here.
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import websocket  # Debian's python3-websocket


class Chromium:
    """A headless Chromium of our own (killed by close()), with a DevTools
    Protocol connection to the browser."""

    def __init__(self, extra_args=(), binary="chromium"):
        self.dir = tempfile.mkdtemp(prefix="usersuite-chromium.")
        self.proc = None
        args = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps",
                "--user-data-dir=" + self.dir, "--remote-debugging-port=0", *extra_args, "about:blank"]
        self.stderr_path = os.path.join(self.dir, "chromium.stderr")
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                         start_new_session=True)
        port_file = os.path.join(self.dir, "DevToolsActivePort")
        deadline = time.monotonic() + 20
        lines = []
        while True:
            try:
                with open(port_file) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[1]:
                    break
            except FileNotFoundError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError("chromium did not start")
            time.sleep(0.02)
        self.ws = websocket.create_connection("ws://127.0.0.1:%s%s" % (lines[0], lines[1]), timeout=30,
                                              suppress_origin=True)
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer to " + method)
            self.ws.settimeout(left)
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def close(self):
        ws = getattr(self, "ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:
                pass
        if self.proc is not None and self.proc.poll() is None:
            # Chromium's own children are in its session: end them with it.
            try:
                os.killpg(self.proc.pid, 15)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    """A new tab of a Chromium, attached over the browser's connection."""

    def __init__(self, browser):
        self.b = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def send(self, method, params=None, timeout=30):
        return self.b.send(method, params, self.session, timeout)

    def eval(self, expression, timeout=30):
        r = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                      timeout)
        if "exceptionDetails" in r:
            raise RuntimeError("JavaScript exception: %s" % json.dumps(r["exceptionDetails"])[:1000])
        return r["result"].get("value")

    def wait_for(self, expression, timeout=10, interval=0.005):
        """Polls a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.eval(expression)
            if v:
                return v
            if time.monotonic() > deadline:
                raise TimeoutError("timed out waiting for: " + expression)
            time.sleep(interval)

    def events(self, method):
        return [e["params"] for e in self.b.events if e.get("method") == method and e.get("sessionId") == self.session]


def only_host_rules(base_url):
    """Chromium flags under which every host but base_url's fails to resolve."""
    host = urllib.parse.urlsplit(base_url).hostname
    return ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE %s" % host]


# Installed before the page's scripts: marks the render on the page's clock.
OBSERVER = """
(() => {
  const want = %d;
  const marks = {};
  window.__docsRender = marks;
  const obs = new MutationObserver(() => {
    const n = document.querySelectorAll('.opblock').length;
    if (n > 0 && marks.first === undefined) marks.first = performance.now();
    if (n >= want && marks.all === undefined) {
      marks.all = performance.now();
      obs.disconnect();
      requestAnimationFrame(() => { marks.frame = performance.now(); });
    }
  });
  obs.observe(document, {childList: true, subtree: true});
})();
"""

MARKS = """
(() => {
  const m = window.__docsRender;
  if (!m || m.frame === undefined) return null;
  const nav = performance.getEntriesByType('navigation')[0] || {};
  const first = document.querySelector('.opblock').getBoundingClientRect();
  return {first: m.first, all: m.all, frame: m.frame, html: nav.responseEnd,
          dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
          count: document.querySelectorAll('.opblock').length, visible: first.height > 0 && first.width > 0};
})()
"""


def operation_count(base_url):
    with urllib.request.urlopen(base_url + "/openapi.json", timeout=10) as r:
        doc = json.load(r)
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return sum(1 for item in doc["paths"].values() for m in item if m in methods)


def navigate_and_time(page, url):
    t0 = time.monotonic()
    page.send("Page.navigate", {"url": url})
    marks = page.wait_for(MARKS, timeout=10, interval=0.002)
    marks["outside"] = (time.monotonic() - t0) * 1000
    return marks


def one_run(base_url, want):
    with Chromium(only_host_rules(base_url)) as browser:
        page = Page(browser)
        page.send("Page.enable")
        page.send("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER % want})
        cold = navigate_and_time(page, base_url + "/docs")
        warm = navigate_and_time(page, base_url + "/docs?warm")
    for m in (cold, warm):
        if m["count"] != want or not m["visible"]:
            raise RuntimeError("rendered %s of %d operations (visible: %s)" % (m["count"], want, m["visible"]))
    return cold, warm


def main():
    ap = argparse.ArgumentParser(description="/docs first render in headless Chromium")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--budget-ms", type=float, default=1000)
    ap.add_argument("base_url", nargs="?", default="http://127.0.0.1:8001")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    base = args.base_url.rstrip("/")
    want = operation_count(base)
    colds, warms = [], []
    for i in range(args.runs):
        try:
            cold, warm = one_run(base, want)
        except Exception as e:
            print("docs_render run %d failed: %s" % (i + 1, e), file=sys.stderr)
            return 1
        colds.append(cold["frame"])
        warms.append(warm["frame"])
        print("run %d: cold: html %.0f ms, DOMContentLoaded %.0f ms, first operation %.0f ms, all %d operations "
              "%.0f ms, painted %.0f ms (seen from outside %.0f ms); warm: painted %.0f ms"
              % (i + 1, cold["html"], cold["dcl"], cold["first"], cold["count"], cold["all"], cold["frame"],
                 cold["outside"], warm["frame"]))
    median = statistics.median(colds)
    print("docs_render runs=%d cold_ms=%.0f cold_max_ms=%.0f warm_ms=%.0f budget_ms=%.0f within_budget=%s"
          % (args.runs, median, max(colds), statistics.median(warms), args.budget_ms,
             "yes" if max(colds) < args.budget_ms else "no"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
