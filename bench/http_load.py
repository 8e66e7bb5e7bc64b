"""HTTP load test of the issue-12 page rows, through the real server (gunicorn, optionally nginx).

Logs in one account per role (once each, before the timed phase: the login form with its CSRF
token, exactly as a browser), then runs CLIENTS threads for DURATION seconds, each requesting the
page rows in turn — the carrier list page 1 as reader, registrar and 保密办, title searches, a deep
keyset page (reached by following the "较旧" link), the home page of every role and the approver's
待办 — and prints one table (bench/common.py) with min / median / p95 per kind, plus requests,
errors and throughput. Exits 1 if any request failed (any status but 200, any exception), 2 if
the set-up failed (server unreachable, a login refused).

    .venv/bin/python bench/http_load.py --base-url http://127.0.0.1:8000
    .venv/bin/python bench/http_load.py --base-url https://secrecy.example.internal --cafile ca.crt \\
        --reader bench_reader --registrar bench_registrar --office bench_office \\
        --approver bench_approver --password 'Bench#2026x' --search 通知 --search 雪龙

The password can come from SECRECY_BENCH_PASSWORD instead of the command line. Clients of one
role share that role's session, as tabs of one browser do. Only the standard library is used.
"""
import argparse
import http.client
import os
import ssl
import statistics
import sys
import threading
import time
from html import unescape
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import Row, table  # noqa: E402

DEMO_PASSWORD = "Secrecy#2026"  # README "演示账号"; only the demo data uses it


class SetupError(Exception):
    pass


# ------------------------------------------------------------------------------------ HTTP client


class Session:
    """One logged-in account: its cookies, shared by the client threads of that role."""

    def __init__(self, target, username):
        self.target = target
        self.username = username
        self.cookies = {}
        self._lock = threading.Lock()

    def cookie_header(self):
        with self._lock:
            return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def remember(self, response):
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            with self._lock:
                for name, morsel in jar.items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value


class Target:
    def __init__(self, base_url, *, cafile=None, insecure=False, timeout=30.0):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SetupError(f"--base-url must be http(s)://host[:port], not {base_url!r}")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.origin = f"{self.scheme}://{parts.netloc}"
        self.timeout = timeout
        self.context = None
        if self.scheme == "https":
            self.context = ssl.create_default_context(cafile=cafile)
            if insecure:
                self.context.check_hostname = False
                self.context.verify_mode = ssl.CERT_NONE

    def connect(self):
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=self.context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)


def request(connection, session, method, path, *, body=None, headers=None):
    """One request on a keep-alive connection (http.client reopens it when the server closed it)."""
    headers = dict(headers or {})
    cookie = session.cookie_header()
    if cookie:
        headers["Cookie"] = cookie
    headers.setdefault("User-Agent", "secrecy-bench-http-load")
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
    except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
        # The server may close an idle keep-alive connection between two requests; one retry on a
        # fresh connection is what a browser does too. A second failure is reported.
        connection.close()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
    data = response.read()
    session.remember(response)
    return response, data


# ------------------------------------------------------------------------------------ set-up


class _LinkFinder(HTMLParser):
    """The href of the first <a> whose text contains a word (the pager's "较旧 »")."""

    def __init__(self, word):
        super().__init__()
        self.word, self.href, self._current = word, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "a" and self.href is None:
            self._current = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag == "a":
            self._current = None

    def handle_data(self, data):
        if self._current is not None and self.href is None and self.word in data:
            self.href = self._current


def _csrf_token(html):
    marker = 'name="csrfmiddlewaretoken" value="'
    start = html.find(marker)
    if start < 0:
        return None
    start += len(marker)
    return unescape(html[start:html.index('"', start)])


def login(target, username, password):
    session = Session(target, username)
    connection = target.connect()
    try:
        response, data = request(connection, session, "GET", "/login/")
        token = _csrf_token(data.decode("utf-8", "replace"))
        if response.status != 200 or not token:
            raise SetupError(f"GET /login/ answered {response.status} without a login form")
        body = urlencode({"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/"})
        response, data = request(connection, session, "POST", "/login/", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            # Django's CSRF check compares these with the host over https, as for a browser.
            "Origin": target.origin, "Referer": f"{target.origin}/login/"})
        location = response.headers.get("Location", "")
        if response.status != 302 or "/login/" in location:
            # One attempt only: repeating a refused login would walk into the account lock-out.
            raise SetupError(f"login as {username} refused (HTTP {response.status}); check the user name and "
                             "password, and that the account is not locked or due a password change")
        response, _ = request(connection, session, "GET", "/")
        if response.status != 200:
            raise SetupError(f"{username}: the home page after login answered {response.status} "
                             f"({response.headers.get('Location', '')}); a password change may be due")
    finally:
        connection.close()
    return session


def logout(session):
    connection = session.target.connect()
    try:
        response, data = request(connection, session, "GET", "/")
        token = _csrf_token(data.decode("utf-8", "replace")) or session.cookies.get("csrftoken", "")
        request(connection, session, "POST", "/logout/", body=urlencode({"csrfmiddlewaretoken": token}), headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": session.target.origin, "Referer": f"{session.target.origin}/"})
    except (OSError, http.client.HTTPException):
        pass  # the session ends by its idle time-out anyway
    finally:
        connection.close()


def deep_page(session, hops):
    """Follow the list's "较旧" link up to `hops` times; the URL of the page reached."""
    connection = session.target.connect()
    path = "/carriers/"
    try:
        for _ in range(hops):
            response, data = request(connection, session, "GET", path)
            if response.status != 200:
                raise SetupError(f"{session.username}: GET {path} answered {response.status}")
            finder = _LinkFinder("较旧")
            finder.feed(data.decode("utf-8", "replace"))
            if not finder.href:
                break
            path = urljoin("/carriers/", unescape(finder.href))
    finally:
        connection.close()
    return path


# ------------------------------------------------------------------------------------ timed phase


class Results:
    def __init__(self, kinds):
        self.samples = {kind: [] for kind in kinds}
        self.errors = {kind: 0 for kind in kinds}
        self.examples = []
        self._lock = threading.Lock()

    def add(self, kind, seconds, error=None):
        with self._lock:
            if error is None:
                self.samples[kind].append(seconds)
            else:
                self.errors[kind] += 1
                if len(self.examples) < 10:
                    self.examples.append(f"{kind}: {error}")


def client(index, plan, deadline, results):
    """Request the plan's pages in turn (each client starts at another row), until the deadline,
    on one keep-alive connection (the cookies, not the connection, say who is asking)."""
    connection = plan[0][1].target.connect()
    step = index
    try:
        while time.monotonic() < deadline:
            kind, session, path = plan[step % len(plan)]
            step += 1
            started = time.perf_counter()
            try:
                response, _ = request(connection, session, "GET", path)
            except Exception as error:  # noqa: BLE001 — every exception is a failed request, counted
                connection.close()
                results.add(kind, 0, f"{path}: {type(error).__name__}: {error}")
                continue
            elapsed = time.perf_counter() - started
            if response.status == 200:
                results.add(kind, elapsed)
            else:
                results.add(kind, elapsed, f"{path}: HTTP {response.status} {response.headers.get('Location', '')}")
    finally:
        connection.close()


def build_plan(sessions, *, searches, deep_hops, deep_url):
    reader, registrar, office, approver = (sessions[r] for r in ("reader", "registrar", "office", "approver"))
    plan = [("list page 1, reader", reader, "/carriers/"),
            ("list page 1, registrar", registrar, "/carriers/"),
            ("list page 1, 保密办", office, "/carriers/")]
    for term in searches:
        plan.append((f"title search {term}, reader", reader, f"/carriers/?q={quote(term)}"))
        plan.append((f"title search {term}, registrar", registrar, f"/carriers/?q={quote(term)}"))
    for role, session in (("reader", reader), ("registrar", registrar)):
        path = deep_url or deep_page(session, deep_hops)
        plan.append((f"deep page, {role}", session, path))
    for role, session in (("reader", reader), ("registrar", registrar), ("保密办", office), ("approver", approver)):
        plan.append((f"home, {role}", session, "/"))
    plan.append(("待办 inbox, approver", approver, "/approvals/inbox/"))
    return plan


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="scheme://host[:port] of the server")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of the timed phase (default 60)")
    parser.add_argument("--reader", default="lisi")
    parser.add_argument("--registrar", default="mishu")
    parser.add_argument("--office", default="baomi", help="a 保密办 account")
    parser.add_argument("--approver", default="lingdao", help="an approver with pending requests")
    parser.add_argument("--password", default=os.environ.get("SECRECY_BENCH_PASSWORD", DEMO_PASSWORD),
                        help="password of all four accounts (default: $SECRECY_BENCH_PASSWORD, else the demo's)")
    parser.add_argument("--search", action="append", dest="searches", metavar="TERM",
                        help="title search term; repeat for several (default 通知 and 雪龙)")
    parser.add_argument("--deep-hops", type=int, default=20,
                        help="follow 较旧 this many times from page 1 for the deep page (default 20, or to the last page)")
    parser.add_argument("--deep-url", help="use this path as the deep page instead, e.g. /carriers/?after=1234")
    parser.add_argument("--cafile", help="CA certificate to verify an https server with")
    parser.add_argument("--insecure", action="store_true", help="do not verify the https certificate (local tests)")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before one request counts as failed")
    args = parser.parse_args(argv)
    searches = args.searches or ["通知", "雪龙"]

    try:
        target = Target(args.base_url, cafile=args.cafile, insecure=args.insecure, timeout=args.timeout)
        sessions = {}
        for role in ("reader", "registrar", "office", "approver"):
            username = getattr(args, role)
            # The same account in two roles logs in once.
            existing = next((s for s in sessions.values() if s.username == username), None)
            sessions[role] = existing or login(target, username, args.password)
        plan = build_plan(sessions, searches=searches, deep_hops=args.deep_hops, deep_url=args.deep_url)
    except (SetupError, OSError, http.client.HTTPException) as error:
        print(f"set-up failed: {error}", file=sys.stderr)
        return 2

    print(f"{args.base_url}: {args.clients} clients for {args.duration:g} s over {len(plan)} page kinds; "
          f"users {', '.join(f'{r}={s.username}' for r, s in sessions.items())}")
    for kind, _, path in plan:
        if kind.startswith("deep page"):
            print(f"  {kind}: {path}")
    results = Results([kind for kind, _, _ in plan])
    deadline = time.monotonic() + args.duration
    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i, plan, deadline, results), daemon=True)
               for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    for session in {id(s): s for s in sessions.values()}.values():
        logout(session)

    rows = [Row(kind, results.samples[kind], note=f"errors {results.errors[kind]}" if results.errors[kind] else "")
            for kind, _, _ in plan]
    everything = [s for samples in results.samples.values() for s in samples]
    errors = sum(results.errors.values())
    rows.append(Row("all pages", everything, note=f"errors {errors}" if errors else ""))
    print(table(rows))
    total = len(everything) + errors
    print(f"requests {total}, errors {errors}, throughput {total / wall:.1f} req/s over {wall:.1f} s"
          + (f", overall median {statistics.median(everything) * 1000:.0f} ms" if everything else ""))
    for example in results.examples:
        print(f"  error: {example}", file=sys.stderr)
    if total == 0:
        print("no request was made", file=sys.stderr)
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
