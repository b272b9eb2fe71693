"""Headless Firefox ESR driven over its built-in WebDriver BiDi server (Debian 12 packages no
geckodriver, so Selenium cannot drive it). Only what the tests need: open a tab, read page state,
close the tab, quit."""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

from websockets.sync.client import connect

# Firefox's counterpart of Chromium's mDNS flag (plain host addresses in candidates), and video
# that plays without a user gesture.
PREFS = {
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    "media.autoplay.default": 0,
}


class Firefox:
    def __init__(self, startup_timeout=30):
        self.profile = tempfile.mkdtemp(prefix="rtd-firefox-")
        with open(os.path.join(self.profile, "user.js"), "w") as f:
            for name, value in PREFS.items():
                f.write(f"user_pref({json.dumps(name)}, {json.dumps(value)});\n")
        # Firefox writes under $HOME even with its own profile.
        env = dict(os.environ, HOME=self.profile)
        self.proc = subprocess.Popen(
            ["firefox-esr", "--headless", "--no-remote", "--profile", self.profile, "--remote-debugging-port", "0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
        self.stderr = []
        url = self._bidi_url(startup_timeout)
        # Held open across calls rather than in a with-block: websockets asks for legacy=True then.
        self.ws = connect(url + "/session", max_size=None, open_timeout=startup_timeout, legacy=True)
        self.next_id = 0
        self.command("session.new", capabilities={})

    def _bidi_url(self, timeout):
        """Reads stderr (on a thread, so the browser never blocks on a full pipe) until the BiDi
        server says where it listens."""
        found = threading.Event()
        url = []

        def pump():
            for line in self.proc.stderr:
                self.stderr.append(line)
                if "WebDriver BiDi listening on " in line and not url:
                    url.append(line.split("WebDriver BiDi listening on ")[1].strip())
                    found.set()
            found.set()

        threading.Thread(target=pump, daemon=True).start()
        if not found.wait(timeout) or not url:
            self.quit()
            raise RuntimeError("Firefox did not start its WebDriver BiDi server:\n" + "".join(self.stderr[-20:]))
        return url[0]

    def command(self, method, timeout=30, **params):
        """Sends one BiDi command and returns its result (events in between are skipped)."""
        self.next_id += 1
        ident = self.next_id
        self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") != ident:
                continue
            if message.get("type") == "error":
                raise RuntimeError(f"{method}: {message.get('error')}: {message.get('message')}")
            return message["result"]

    def open_tab(self, url):
        """A new tab showing `url` (once loaded); returns its context id. The first tab stays, so
        closing this one closes a page, not the browser."""
        context = self.command("browsingContext.create", type="tab")["context"]
        self.command("browsingContext.navigate", context=context, url=url, wait="complete")
        return context

    def evaluate(self, context, expression):
        """The JSON value of `expression` in the page (it is passed through JSON.stringify)."""
        result = self.command("script.evaluate", expression=f"JSON.stringify({expression})", awaitPromise=True,
                              target={"context": context}, resultOwnership="none")
        if result.get("type") != "success":
            raise RuntimeError(f"page script failed: {result.get('exceptionDetails')}")
        value = result["result"]
        return json.loads(value["value"]) if value.get("type") == "string" else None

    def evaluate_promise(self, context, body):
        """The JSON value a Promise settles with; `body` is the promise's executor body, with
        `done` to settle it (like Selenium's execute_async_script callback)."""
        expression = f"new Promise((done) => {{ {body} }}).then((v) => JSON.stringify(v))"
        result = self.command("script.evaluate", expression=expression, awaitPromise=True,
                              target={"context": context}, resultOwnership="none")
        if result.get("type") != "success":
            raise RuntimeError(f"page script failed: {result.get('exceptionDetails')}")
        value = result["result"]
        return json.loads(value["value"]) if value.get("type") == "string" else None

    def close_tab(self, context):
        self.command("browsingContext.close", context=context)

    def quit(self):
        try:
            if getattr(self, "ws", None):
                try:
                    self.command("browser.close", timeout=5)
                except Exception:
                    pass
                self.ws.close()
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)
