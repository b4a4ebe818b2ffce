#!/usr/bin/env python3
"""
Check that the GraphiQL page of a running server works with no internet.

Headless Chromium opens `--url`, with everything but that URL's host:port cut off twice over:

* browser-wide, by flags: every host name resolves to nothing except the server's host, and every
  request except to the server's host:port goes to a proxy on that unresolvable name, so it fails
  without leaving the machine;
* per request, over the DevTools protocol (`Fetch` interception): anything for another origin is
  failed and recorded.

It then proves an outside URL (`--probe-url`) cannot be fetched, lets GraphiQL load, sets the query
(`--query`, through the page's `?q=` parameter), clicks the run button and waits for `--expect` in the
result pane. The page must not have tried to reach anything outside the server.

Needs only the standard library and a Chromium binary. Exits 0 on success, 1 on a failed check,
2 on a usage error or when no Chromium is found.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from typing import IO, Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BLOCKED_HOST = "blocked.invalid"
RUN_BUTTON = ".graphiql-execute-button"
RESULT_PANE = ".graphiql-response"
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"  # CodeMirror 5 keeps its editor object on this node


class CheckFailed(Exception):
    pass


def log(message: str) -> None:
    print(message, flush=True)


def find_chromium(explicit: str | None) -> str:
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise LookupError(f"--chromium {explicit!r} is not an executable file")
        return explicit
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    raise LookupError(
        f"no Chromium binary found on PATH (looked for {', '.join(CHROMIUM_NAMES)}); "
        "install one (e.g. `apt-get install chromium`) or pass --chromium PATH"
    )


def chromium_flags(host: str, port: int, profile: str) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-extensions",
        "--no-first-run",
        "--no-default-browser-check",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
        "--remote-debugging-pipe",
        # No name resolves (not even the proxy's), except the server's own host.
        f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {host}",
        # Everything goes to that unresolvable proxy, except the server's host:port;
        # `<-loopback>` drops Chromium's implicit direct route to other loopback addresses.
        f"--proxy-server=http://{BLOCKED_HOST}:9",
        f"--proxy-bypass-list=<-loopback>;{host}:{port}",
        "about:blank",
    ]


class Browser:
    """Chromium driven over the DevTools protocol on a pipe (fds 3 and 4 in the child)."""

    def __init__(self, binary: str, flags: list[str], allowed_origin: str, stderr: IO[str]) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # Move the child's ends above 3 and 4 so the dup2 calls below cannot clobber each other.
        child_in = fcntl.fcntl(to_child_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_child_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_child_r)
        os.close(from_child_w)

        def wire_pipe() -> None:
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        # close_fds=False keeps the fds wire_pipe makes; Python opens everything else non-inheritable.
        self.process = subprocess.Popen(
            [binary, *flags],
            stdin=subprocess.DEVNULL,
            stdout=stderr,
            stderr=stderr,
            preexec_fn=wire_pipe,
            close_fds=False,
        )
        os.close(child_in)
        os.close(child_out)
        self.allowed_origin = allowed_origin
        self.blocked: list[str] = []
        self.problems: list[str] = []  # page errors and console errors, shown on failure
        self._buffer = b""
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self.session: str | None = None

    def _post(self, method: str, params: dict[str, Any] | None, session: str | None) -> int:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        return self._next_id

    def _pump(self, deadline: float) -> None:
        """Read and handle whatever Chromium sends until the deadline or one read's worth."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        ready, _, _ = select.select([self._from_child], [], [], remaining)
        if not ready:
            return
        chunk = os.read(self._from_child, 1 << 20)
        if not chunk:
            raise CheckFailed(f"Chromium exited (code {self.process.poll()}) before the check finished")
        self._buffer += chunk
        *messages, self._buffer = self._buffer.split(b"\0")
        for raw in messages:
            self._handle(json.loads(raw))

    def _handle(self, message: dict[str, Any]) -> None:
        if "id" in message:
            self._replies[message["id"]] = message
            return
        method, params = message.get("method"), message.get("params", {})
        if method == "Fetch.requestPaused":
            url = params["request"]["url"]
            if origin_of(url) == self.allowed_origin:
                self._post("Fetch.continueRequest", {"requestId": params["requestId"]}, self.session)
            else:
                self.blocked.append(url)
                reply = {"requestId": params["requestId"], "errorReason": "BlockedByClient"}
                self._post("Fetch.failRequest", reply, self.session)
        elif method == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details["text"]
            self.problems.append(f"JS exception: {text}")
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            self.problems.append(f"console: {entry['text']} {entry.get('url', '')}".rstrip())

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 10.0) -> dict[str, Any]:
        """Send a command (to the page's session once attached) and return its result."""
        request_id = self._post(method, params, self.session)
        deadline = time.monotonic() + timeout
        while request_id not in self._replies:
            if time.monotonic() >= deadline:
                raise CheckFailed(f"Chromium did not answer {method} within {timeout:g}s")
            self._pump(deadline)
        reply = self._replies.pop(request_id)
        if "error" in reply:
            raise CheckFailed(f"{method} failed: {reply['error'].get('message')}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    def evaluate(self, expression: str, timeout: float = 10.0) -> Any:
        params = {"expression": expression, "awaitPromise": True, "returnByValue": True}
        result = self.call("Runtime.evaluate", params, timeout)
        if "exceptionDetails" in result:
            raise CheckFailed(f"evaluating {expression!r} threw: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def wait_for(self, expression: str, what: str, timeout: float) -> Any:
        """Poll a JS expression until it is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            if value := self.evaluate(expression):
                return value
            if time.monotonic() >= deadline:
                raise CheckFailed(f"timed out after {timeout:g}s waiting for {what}")
            self._pump(min(deadline, time.monotonic() + 0.2))

    def close(self) -> None:
        try:
            self.session = None
            self.call("Browser.close", timeout=5)
        except (CheckFailed, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_child)
        os.close(self._from_child)


def origin_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    port = parts.port or {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.hostname}:{port}"


def js(value: Any) -> str:
    return json.dumps(value)


def run_check(browser: Browser, args: argparse.Namespace) -> None:
    target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    attached = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})
    browser.session = attached["sessionId"]
    for domain in ("Page", "Runtime", "Log"):
        browser.call(f"{domain}.enable")
    browser.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]})
    log(f"network: only {browser.allowed_origin} is reachable (resolver + proxy flags, Fetch interception)")

    probe = browser.evaluate(
        f"fetch({js(args.probe_url)}, {{mode: 'no-cors', cache: 'no-store'}})"
        ".then(() => 'reached', error => 'blocked: ' + error)",
        timeout=args.timeout,
    )
    if not probe.startswith("blocked") or not browser.blocked:
        raise CheckFailed(f"outside URL {args.probe_url} was not blocked ({probe}): the network is not cut off")
    log(f"probe {args.probe_url}: {probe} (by Fetch interception: {', '.join(browser.blocked)})")
    browser.blocked.clear()  # from here on, anything blocked or logged is the page's doing
    browser.problems.clear()

    page_url = f"{args.url}?q={urllib.parse.quote(args.query, safe='')}"  # the page decodes no `+`
    log(f"opening {page_url}")
    if error := browser.call("Page.navigate", {"url": page_url}).get("errorText"):
        raise CheckFailed(f"could not open {page_url}: {error}")
    browser.wait_for("document.readyState === 'complete'", "the page to load", args.timeout)

    browser.wait_for(f"!!document.querySelector({js(RUN_BUTTON)})", "GraphiQL to render its run button", args.timeout)
    editor = browser.evaluate(f"document.querySelector({js(QUERY_EDITOR)})?.CodeMirror?.getValue()")
    if editor != args.query:
        raise CheckFailed(f"query editor shows {editor!r}, not the query {args.query!r}")
    log(f"GraphiQL rendered; query editor holds {args.query!r}")

    box = browser.evaluate(
        f"(r => [r.x + r.width / 2, r.y + r.height / 2])"
        f"(document.querySelector({js(RUN_BUTTON)}).getBoundingClientRect())"
    )
    for kind in ("mousePressed", "mouseReleased"):
        click = {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1}
        browser.call("Input.dispatchMouseEvent", click)
    log("clicked the run button")

    result = browser.wait_for(
        f"(t => t.includes({js(args.expect)}) && t)(document.querySelector({js(RESULT_PANE)})?.innerText ?? '')",
        f"{args.expect!r} in the result pane",
        args.timeout,
    )
    log("result pane: " + " ".join(result.split()))
    if browser.blocked:
        raise CheckFailed("the page tried to reach outside the server: " + ", ".join(browser.blocked))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--url", required=True, help="GraphiQL page, e.g. http://127.0.0.1:8000/graphql")
    parser.add_argument("--query", default="{ __typename }", help="query to run (default: %(default)s)")
    parser.add_argument("--expect", default="__typename", help="text the result must show (default: %(default)s)")
    parser.add_argument("--probe-url", default="https://unpkg.com/", help="outside URL that must be blocked")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for each wait (default: %(default)s)")
    parser.add_argument("--chromium", help=f"Chromium binary (default: first of {', '.join(CHROMIUM_NAMES)} on PATH)")
    args = parser.parse_args(argv)

    parts = urllib.parse.urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        parser.error(f"--url must be an http(s) URL without a query string, got {args.url!r}")
    host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)

    try:
        binary = find_chromium(args.chromium)
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    log(f"chromium: {binary}")
    with tempfile.TemporaryDirectory(prefix="graphiql-check-") as profile, tempfile.TemporaryFile("w+") as stderr:
        flags = chromium_flags(host, port, profile)
        browser = Browser(binary, flags, origin_of(args.url), stderr)
        try:
            run_check(browser, args)
        except CheckFailed as error:
            print(f"FAIL: {error}", file=sys.stderr)
            for url in browser.blocked:
                print(f"  blocked: {url}", file=sys.stderr)
            for problem in browser.problems:
                print(f"  {problem}", file=sys.stderr)
            stderr.seek(0)
            if chromium_log := [line for line in stderr.read().splitlines() if "dbus" not in line]:
                print("chromium output (last 20 lines, D-Bus noise left out):", file=sys.stderr)
                print("\n".join(chromium_log[-20:]), file=sys.stderr)
            return 1
        finally:
            browser.close()
    log("OK: GraphiQL ran the query with no network beyond the server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
