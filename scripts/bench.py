#!/usr/bin/env python3
"""Roster's benchmark: seeds a dataset, serves the release build, and measures each page
with wrk at 64 connections. Run through scripts/bench.sh, which builds and installs first.

    scripts/bench.sh                 # 100k links, then 10M links (SQLite)
    scripts/bench.sh --db postgres   # the same on PostgreSQL, in a throwaway cluster
    scripts/bench.sh --scales 100k   # one scale only
    ROSTER_BENCH_SECONDS=20 scripts/bench.sh
    ROSTER_BENCH_ROUNDS=5 scripts/bench.sh   # each read target five times on each scale

Prints a Markdown report, and writes it to bench-results.md.
"""

import argparse
import base64
import gzip
import json
import os
import pathlib
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

SCALES = {
    # name: (users, profiles, per-user)
    "100k": (10_000, 1_000, 10),
    "10m": (1_000_000, 100_000, 10),
}
CONNECTIONS = 64
SECONDS = int(os.environ.get("ROSTER_BENCH_SECONDS", "10"))
WARM_UP_SECONDS = 3
ROUNDS = int(os.environ.get("ROSTER_BENCH_ROUNDS", "3"))
PASSWORD = "bench password 123"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, url, site):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # The API's per-token rate is lifted: the bench measures what the server can answer.
        env = dict(os.environ, ROSTER_DATABASE_URL=url, ROSTER_LISTEN=f"127.0.0.1:{self.port}",
                   ROSTER_LOG="warn", LEPTOS_SITE_ROOT=site, ROSTER_API_REQUESTS_PER_MINUTE="1000000000")
        self.proc = subprocess.Popen([binary, "serve"], env=env, cwd=tempfile.gettempdir())
        for _ in range(600):
            try:
                urllib.request.urlopen(self.base + "/", timeout=1)
                return
            except Exception:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def stop(self):
        """Stops the server, killing it if it hasn't stopped within 30 s of being asked, so
        that the report is still written."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print(f"   the server at {self.base} had not stopped after 30 s: killed", flush=True)
            self.proc.kill()
            self.proc.wait()

    def call(self, path, form, cookie=None):
        data = urllib.parse.urlencode(form, doseq=True).encode()
        req = urllib.request.Request(self.base + path, data=data, method="POST")
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
        req.add_header("Accept", "application/json")
        if cookie:
            req.add_header("Cookie", cookie)
        with urllib.request.urlopen(req) as res:
            return res.read().decode(), res.headers


def cpu_ticks(pid):
    """CPU time a process has used (user + system), in clock ticks (`/proc/PID/stat`)."""
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def host_times():
    """The machine's CPU times (`/proc/stat`, first line): user, nice, system, idle, …, steal."""
    return [int(v) for v in pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]]


def settle(quiet_seconds=10, most_seconds=300):
    """Waits until the machine has been quiet for `quiet_seconds` in a row (at most 1% of its
    CPU time stolen by the host or waiting on the disk, and under 64 MB of dirty pages), for
    at most `most_seconds`; returns the seconds waited. A seed writes gigabytes, and the host
    goes on with them after `sync`: in three runs the first target measured after the 10M
    seed had the profile pages' worst p99 (400, 78 and 71 ms; 46, 68 and 48 ms the next)."""
    started, quiet = time.time(), 0
    while quiet < quiet_seconds and time.time() - started < most_seconds:
        before = host_times()
        time.sleep(1)
        spent = [b - a for a, b in zip(before, host_times())]
        busy = 100 * (spent[4] + spent[7]) / max(1, sum(spent))   # iowait + steal
        meminfo = pathlib.Path("/proc/meminfo").read_text()
        dirty_kb = sum(int(re.search(rf"^{name}:\s+(\d+)", meminfo, re.M).group(1)) for name in ("Dirty", "Writeback"))
        quiet = quiet + 1 if busy <= 1 and dirty_kb < 64 * 1024 else 0
    return time.time() - started


def steal_since(before):
    """The share of CPU time the host took from this machine (steal) since `before`, in %.
    A virtual machine's figures fall as steal rises, so each one is reported beside it."""
    spent = [b - a for a, b in zip(before, host_times())]
    return 100 * spent[7] / max(1, sum(spent))


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def wrk(url, cookie, script=None, pid=None, seconds=SECONDS):
    """Runs wrk and returns (requests/s, p50 ms, p99 ms, non-2xx count, server CPU ms per
    request, steal %). The CPU is the server process's own (`pid`): unlike req/s and latency,
    it does not fall when the host takes CPU away or wrk takes its share."""
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-H", f"Cookie: {cookie}"]
    if script:
        cmd += ["-s", script]
    host, ticks = host_times(), cpu_ticks(pid)
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    cpu_ms, steal = (cpu_ticks(pid) - ticks) * TICK_MS, steal_since(host)

    def ms(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, ms("50"), ms("99"), int(bad.group(1)) if bad else 0, cpu_ms / max(1, requests), steal


def post_headers(cookie):
    """The headers of a scripted POST, as a Lua table. A script that passes its own headers to
    wrk.format replaces wrk's, `-H Cookie` included, so the cookie goes here too."""
    return ('{["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = "application/json", '
            f'["Cookie"] = "{cookie}"}}')


def post_script(path, body_lines, directory, cookie):
    """A wrk Lua script that POSTs bodies in turn: `body_lines` are form bodies."""
    bodies = directory / f"bodies-{len(list(directory.iterdir()))}.txt"
    bodies.write_text("\n".join(body_lines) + "\n")
    script = directory / f"post-{len(list(directory.iterdir()))}.lua"
    script.write_text(f"""
local bodies = {{}}
for line in io.lines("{bodies}") do bodies[#bodies + 1] = line end
local n = 0
request = function()
  n = n + 1
  local body = bodies[(n - 1) % #bodies + 1]
  return wrk.format("POST", "{path}", {post_headers(cookie)}, body)
end
""")
    return str(script)


def get_script(path, headers, directory):
    """A wrk Lua script that GETs `path` with `headers` (a dict) and no cookie: an API call.
    Passing its own headers to wrk.format replaces wrk's, `-H Cookie` included."""
    table = ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())
    script = directory / f"get-{len(list(directory.iterdir()))}.lua"
    script.write_text(f"""
request = function()
  return wrk.format("GET", "{path}", {{{table}}})
end
""")
    return str(script)


def api_token(server, cookie):
    """A personal token of the bench admin that reads with admin power (the admin is on no
    more than twenty profiles), made as the tokens page makes one: its secret comes back in
    the cookie that carries it to that page. The password goes along, in case getting the
    targets ready took longer than a sign-in counts as recent."""
    form = {"kind": "personal", "name": "bench", "scopes[]": ["read", "admin"], "expires": "30",
            "confirm_password": PASSWORD}
    _, headers = server.call("/api/tokens/create", form, cookie)
    reveal = next(c for c in headers.get_all("Set-Cookie") if c.startswith("roster_new_token="))
    value = reveal.split(";")[0].split("=", 1)[1]
    return json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))["secret"]


def sql(url, query):
    """One value from the database, via sqlite3 or psql. The server is running: on SQLite, a
    write waits for the server's own to finish rather than failing at once."""
    if url.startswith("sqlite:"):
        path = url.split("sqlite://", 1)[1]
        command = ["sqlite3", "-cmd", ".timeout 60000", path, query]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    return subprocess.run(["psql", url, "-Atc", query], capture_output=True, text=True, check=True).stdout.strip()


def prepare_scale(name, binary, site, workdir, database_url=None):
    """Seeds a scale, serves it, and gets its targets ready: a dict with the server (left
    running), the session cookie, and the read and write targets."""
    users, profiles, per_user = SCALES[name]
    url = database_url or f"sqlite://{workdir}/{name}.db"
    env = dict(os.environ, ROSTER_DATABASE_URL=url, ROSTER_LOG="warn")
    print(f"\n== {name}: seeding {users} people, {profiles} profiles, {per_user} each", flush=True)
    started = time.time()
    subprocess.run([binary, "migrate"], env=env, check=True, cwd=tempfile.gettempdir(), capture_output=True)
    subprocess.run([binary, "seed", "--users", str(users), "--profiles", str(profiles), "--per-user", str(per_user)],
                   env=env, check=True, cwd=tempfile.gettempdir())
    seed_seconds = time.time() - started
    # The seed leaves gigabytes of dirty pages that the kernel writes back over the next
    # minutes, alongside the measurements, unless they are written now.
    os.sync()
    subprocess.run([binary, "user", "create", "--email", "bench@example.com", "--name", "Bench Admin", "--admin"],
                   env=env, input=PASSWORD + "\n", text=True, check=True, cwd=tempfile.gettempdir(), capture_output=True)
    # The identity provider's token, made as an operator makes one.
    scim_token = subprocess.run([binary, "token", "create", "--name", "bench-scim", "--scope", "scim"], env=env,
                                check=True, cwd=tempfile.gettempdir(), capture_output=True, text=True).stdout.strip()
    links = int(sql(url, "SELECT COUNT(*) FROM memberships"))
    biggest, biggest_size = sql(url, "SELECT id || ' ' || member_count FROM profiles ORDER BY member_count DESC LIMIT 1").split()
    server = Server(binary, url, site)
    try:
        scale = prepare_targets(name, url, server, seed_seconds, links, biggest, biggest_size)
        scale["scim_pairs_script"], scale["scim_path"] = scim_pairs(url, scim_token)
        return scale
    except BaseException:
        server.stop()
        raise


def scim_pairs(url, token):
    """A wrk script of SCIM PATCHes on the second-biggest profile, made the provider's: a
    thousand people added one a request, then removed by `members[value eq "…"]`, as Okta
    sends them, each thread its own thousand. Returns the script and the group's path."""
    group = sql(url, "SELECT id FROM profiles ORDER BY member_count DESC LIMIT 1 OFFSET 1")
    sql(url, f"UPDATE profiles SET provisioned_at = '2026-01-01T00:00:00.000Z', "
             f"provisioned_by = (SELECT id FROM api_tokens WHERE name = 'bench-scim') WHERE id = {group}")
    people = sql(url, f"SELECT id FROM users WHERE id NOT IN (SELECT user_id FROM memberships "
                      f"WHERE profile_id = {group}) ORDER BY id LIMIT 2000").splitlines()
    schema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
    bodies = []
    for block in (people[:1000], people[1000:]):
        bodies += [json.dumps({"schemas": [schema], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": uid}]}]}) for uid in block]
        bodies += [json.dumps({"schemas": [schema], "Operations": [
            {"op": "remove", "path": f'members[value eq "{uid}"]'}]}) for uid in block]
    scripts = pathlib.Path(tempfile.mkdtemp())
    (scripts / "scim.txt").write_text("\n".join(bodies) + "\n")
    path = f"/scim/v2/Groups/{group}?excludedAttributes=members"
    script = scripts / "scim.lua"
    script.write_text(f"""
local bodies = {{}}
for line in io.lines("{scripts}/scim.txt") do bodies[#bodies + 1] = line end
local threads = 0
function setup(thread) thread:set("part", threads); threads = threads + 1 end
local n = 0
request = function()
  local half = math.floor(#bodies / 4) * 2
  local body = bodies[(part or 0) * half + (n % half) + 1]
  n = n + 1
  return wrk.format("PATCH", "{path}", {{["Authorization"] = "Bearer {token}",
    ["Content-Type"] = "application/scim+json"}}, body)
end
""")
    return str(script), path


def prepare_targets(name, url, server, seed_seconds, links, biggest, biggest_size):
    """The rest of `prepare_scale`, on its running server."""
    users, profiles, _ = SCALES[name]
    _, headers = server.call("/api/sign_in", {"email": "bench@example.com", "password": PASSWORD})
    cookie = headers["Set-Cookie"].split(";")[0]
    # The bench admin is on twenty profiles, so "my profiles" has something to show.
    for p in range(2, 22):
        server.call("/api/members/add", {"profile": p, "email": "bench@example.com", "access": "member"}, cookie)
    # The biggest profile as a team that uses Roster has it: fifty invitations waiting, and
    # one member in fifty with a last day (read on every page of it, the first included).
    for i in range(50):
        server.call("/api/members/add", {"profile": biggest, "email": f"invitee{i}@bench.example", "access": "member"},
                    cookie)
    sql(url, f"UPDATE memberships SET ends_at = '2036-01-01T00:00:00.000Z' "
             f"WHERE profile_id = {biggest} AND user_id % 50 = 0 AND access = 'member'")
    # Page 1000 of the biggest profile (by "since"): follow the cursors there.
    after = None
    for _ in range(999):
        form = {"profile": biggest, "sort": "since"}
        if after:
            form["after"] = after
        after = json.loads(server.call("/api/members/list", form, cookie)[0])["next"]
    deep_page = f"/profiles/{biggest}?sort=since&after={after}" if after else None

    scripts = pathlib.Path(tempfile.mkdtemp())
    members_api = f"/api/v1/profiles/{biggest}/members?limit=100"
    api_members = get_script(members_api, {"Authorization": f"Bearer {api_token(server, cookie)}",
                                           "Accept": "application/json"}, scripts)
    suggest = post_script("/api/users/suggest", [f"profile={biggest}&q={q}" for q in ["ma", "jo", "an", "sa", "li", "da"]], scripts, cookie)
    # Add-and-remove pairs: people not on profile 3, a thousand added, then the same
    # thousand removed, and again. Each person's remove comes a thousand requests after
    # the add, so it never overtakes it among the 32 a thread has in flight: every
    # request changes something (answered with an "already there" error, it would be
    # cheaper than a change).
    candidates = sql(url, "SELECT id || ' ' || email FROM users WHERE id NOT IN "
                          "(SELECT user_id FROM memberships WHERE profile_id = 3) ORDER BY id LIMIT 2000").splitlines()
    pairs = []
    for block in (candidates[:1000], candidates[1000:]):
        people = [row.split() for row in block]
        pairs += [f"profile=3&email={urllib.parse.quote(email)}&access=member&op=add" for _, email in people]
        pairs += [f"profile=3&user={uid}&op=remove" for uid, _ in people]
    add_remove = scripts / "add_remove.lua"
    (scripts / "pairs.txt").write_text("\n".join(pairs) + "\n")
    add_remove.write_text(f"""
local bodies = {{}}
for line in io.lines("{scripts}/pairs.txt") do bodies[#bodies + 1] = line end
-- Each wrk thread takes its own block of a thousand people, so no two threads touch one.
local threads = 0
function setup(thread) thread:set("part", threads); threads = threads + 1 end
local n = 0
request = function()
  local half = math.floor(#bodies / 4) * 2
  local body = bodies[(part or 0) * half + (n % half) + 1]
  n = n + 1
  local path = body:find("op=add") and "/api/members/add" or "/api/members/remove"
  return wrk.format("POST", path, {post_headers(cookie)}, body)
end
""")
    # (label, path, wrk script): the reads, measured warm, after a first run, not counted,
    # that brings their pages into the caches.
    reads = [
        ("Profile page, first page (biggest profile)", f"/profiles/{biggest}", None),
        ("Profile page, page 1000 (biggest profile)", deep_page, None),
        ("Invitations tab (biggest profile)", f"/profiles/{biggest}/invitations", None),
        ("Member search: q=ma, members only (biggest)", f"/profiles/{biggest}?q=ma&access=member", None),
        ("My profiles", "/profiles", None),
        ("Users directory search: q=mar", "/users?q=mar", None),
        ("Users directory, surname: q=ngu", "/users?q=ngu", None),
        ("Member search, surname: q=ngu (biggest)", f"/profiles/{biggest}?q=ngu", None),
        ("Picker suggestions (POST)", "/api/users/suggest", suggest),
        ("API: members, 100 a page (biggest, token)", members_api, api_members),
    ]
    return {"name": name, "users": users, "profiles": profiles, "links": links, "biggest": int(biggest_size),
            "biggest_id": biggest,
            "seed_seconds": seed_seconds, "url": url, "server": server, "cookie": cookie, "reads": reads,
            "add_remove": str(add_remove), "rounds": [[] for _ in reads]}


def measure_read(scale, index):
    """One warm run of the scale's read target `index`, kept with its others."""
    _, path, script = scale["reads"][index]
    if path is None:
        return
    server = scale["server"]
    wrk(server.base + path, scale["cookie"], script, server.proc.pid, seconds=WARM_UP_SECONDS)
    scale["rounds"][index].append(wrk(server.base + path, scale["cookie"], script, server.proc.pid))


def measure_writes(scale):
    """The writes, once each: the add-and-remove pairs (not warmed: the script starts over
    each run, and adding the same people again would be refused), then the bulk add."""
    server, cookie = scale["server"], scale["cookie"]
    print(f"   {scale['name']}: add-and-remove pairs, bulk add …", flush=True)
    scale["pairs"] = wrk(server.base + "/api/members/add", cookie, scale["add_remove"], server.proc.pid)
    scale["scim"] = wrk(server.base + scale["scim_path"], "", scale["scim_pairs_script"], server.proc.pid)
    # Bulk add of 1,000 emails: five runs, each on people not yet on profile 4.
    fresh = sql(scale["url"], "SELECT email FROM users WHERE id NOT IN (SELECT user_id FROM memberships WHERE profile_id = 4) "
                              "ORDER BY id LIMIT 5000").splitlines()
    bulk_seconds, bulk_cpu, host = [], [], host_times()
    for run in range(5):
        emails = "\n".join(fresh[run * 1000:(run + 1) * 1000])
        t0, ticks = time.time(), cpu_ticks(server.proc.pid)
        draft = server.call("/api/bulk/add", {"profile": 4, "emails": emails, "access": "member"}, cookie)[0]
        server.call("/api/bulk/apply", {"id": draft}, cookie)
        bulk_seconds.append(time.time() - t0)
        bulk_cpu.append((cpu_ticks(server.proc.pid) - ticks) * TICK_MS)
    scale["bulk"], scale["bulk_cpu"] = statistics.median(bulk_seconds), statistics.median(bulk_cpu)
    scale["bulk_steal"] = steal_since(host)


def rss_kib(pid):
    """The process's resident memory now, in KiB (`/proc/PID/status`)."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure_export(scale):
    """Downloads the biggest profile's members as CSV, reading as fast as it comes: the
    time, the size and the rows, the server's CPU, and how far its resident memory rose
    above where it started (sampled every 20 ms)."""
    server = scale["server"]
    print(f"   {scale['name']}: export of the biggest profile …", flush=True)
    baseline = rss_kib(server.proc.pid)
    peak, done = [baseline], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kib(server.proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    request = urllib.request.Request(f"{server.base}/profiles/{scale['biggest_id']}/members.csv",
                                     headers={"Cookie": scale["cookie"]})
    t0, ticks, size, lines = time.time(), cpu_ticks(server.proc.pid), 0, 0
    with urllib.request.urlopen(request) as res:
        while chunk := res.read(1 << 16):
            size, lines = size + len(chunk), lines + chunk.count(b"\n")
    seconds = time.time() - t0
    done.set()
    sampler.join()
    scale["export"] = {"seconds": seconds, "bytes": size, "rows": lines - 1,
                       "cpu_ms": (cpu_ticks(server.proc.pid) - ticks) * TICK_MS,
                       "rss_mib": (peak[0] - baseline) / 1024}


def median_run(runs):
    """The run with the median req/s of `runs` (the lower middle one of an even number)."""
    return sorted(runs, key=lambda r: r[0])[(len(runs) - 1) // 2] if runs else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--site", required=True)
    parser.add_argument("--scales", default="100k,10m")
    parser.add_argument("--keep", metavar="DIR", help="seed into DIR and keep the files (100k.db, 10m.db)")
    parser.add_argument("--postgres", metavar="URL", help="seed each scale into this PostgreSQL database, "
                        "{scale} replaced by the scale's name (an empty database each)")
    args = parser.parse_args()
    if args.keep:
        workdir = pathlib.Path(args.keep)
        workdir.mkdir(parents=True, exist_ok=True)
        for scale in args.scales.split(","):
            for suffix in ("", "-wal", "-shm"):
                (workdir / f"{scale}.db{suffix}").unlink(missing_ok=True)
    else:
        workdir = pathlib.Path(tempfile.mkdtemp(prefix="roster-bench-"))
    runs = []
    try:
        for name in args.scales.split(","):
            url = args.postgres.format(scale=name) if args.postgres else None
            runs.append(prepare_scale(name, args.binary, args.site, workdir, url))
        waited = settle()
        print(f"\n== measuring, once the machine was quiet ({waited:.0f} s of waiting)", flush=True)
        # Each read target is measured on every scale back to back, so that a comparison of
        # the scales sees the host as it was for both, and in rounds, alternating which
        # scale goes first; each figure reported is a median round's.
        for number in range(ROUNDS):
            order = runs if number % 2 == 0 else runs[::-1]
            for index, (label, _, _) in enumerate(runs[0]["reads"]):
                print(f"   round {number + 1} of {ROUNDS}: {label} …", flush=True)
                for scale in order:
                    measure_read(scale, index)
        for scale in runs:
            measure_writes(scale)
            measure_export(scale)
    finally:
        for scale in runs:
            scale["server"].stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    wasm = pathlib.Path(args.site) / "pkg" / "roster.wasm"
    wasm_raw = wasm.stat().st_size
    wasm_gz = len(gzip.compress(wasm.read_bytes(), 9))
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    database = "SQLite (synchronous FULL)"
    if args.postgres:
        version = sql(args.postgres.format(scale=runs[0]["name"]), "SHOW server_version").split()[0]
        database = f"PostgreSQL {version} on the same machine"
    lines = [f"Machine: {os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GB, {platform.system()} {platform.release()}; "
             f"wrk -t2 -c{CONNECTIONS} -d{SECONDS}s on the same machine; {database}; release build. "
             "Server CPU: the server process's user + system time over the run (`/proc/PID/stat`), "
             "per request answered. Steal: the host's share of this machine's CPU time over the run "
             f"(`/proc/stat`). Measured after {waited:.0f} s of waiting for the machine to be quiet; "
             f"each read in {ROUNDS} rounds, the scales back to back in each.", ""]

    def row(label, r, rounds=""):
        return f"| {label} | {r[0]:,.0f} | {r[1]:.2f} | {r[2]:.2f} | {r[3]} | {r[4]:.2f} | {r[5]:.0f} | {rounds} |"

    def per_round(a_runs, b_runs, field):
        """The median, over the rounds, of b's figure against a's in the same round."""
        ratios = [b[field] / a[field] for a, b in zip(a_runs, b_runs)]
        return statistics.median(ratios), min(ratios), max(ratios)

    for run in runs:
        lines.append(f"### {run['name']}: {run['users']:,} people, {run['profiles']:,} profiles, {run['links']:,} links "
                     f"(biggest profile {run['biggest']:,}); seeded in {run['seed_seconds']:.0f} s")
        lines.append("")
        lines.append(f"Reads: the median of {ROUNDS} rounds by req/s (that round's figures), and each round's req/s "
                     "(and p99 ms).")
        lines.append("")
        lines.append("| What | req/s | p50 ms | p99 ms | non-2xx | server CPU ms/req | steal % | req/s (p99 ms), each round |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---|")
        for (label, path, _), rounds in zip(run["reads"], run["rounds"]):
            if not rounds:
                lines.append(f"| {label} | — | — | — | (fewer than 1000 pages) | | | |")
            else:
                lines.append(row(label, median_run(rounds), ", ".join(f"{r[0]:,.0f} ({r[2]:.0f})" for r in rounds)))
        lines.append(row("Add-and-remove pairs (POST), one run", run["pairs"]))
        lines.append(row("SCIM PATCH, one member added or removed (2nd-biggest group), one run", run["scim"]))
        lines.append(f"| Bulk add of 1,000 emails (preview + apply, median of 5) | | {run['bulk'] * 1000:.0f} | | | "
                     f"{run['bulk_cpu']:.0f} | {run['bulk_steal']:.0f} | |")
        lines.append("")
        if "export" in run:
            e = run["export"]
            lines.append(f"Export of the biggest profile's members as CSV: {e['rows']:,} rows, {e['bytes'] / 1e6:.1f} MB "
                         f"in {e['seconds']:.2f} s ({e['bytes'] / 1e6 / e['seconds']:.0f} MB/s), server CPU "
                         f"{e['cpu_ms']:,.0f} ms, its resident memory up {e['rss_mib']:.1f} MiB at most.")
            lines.append("")
        first, deep = run["rounds"][0], run["rounds"][1]
        if first and deep:
            p50, low, high = per_round(first, deep, 1)
            cpu_ratio = per_round(first, deep, 4)[0]
            lines.append(f"Page 1000 against the first page, round by round: p50 {p50:.2f}× (median; {low:.2f}–{high:.2f}×), "
                         f"server CPU {cpu_ratio:.2f}×.")
            lines.append("")
    if len(runs) == 2:
        small, big = runs
        lines.append(f"#### {big['name']} against {small['name']}")
        lines.append("")
        lines.append("Reads: round by round (both scales measured back to back), the median and the range.")
        lines.append("")
        lines.append("| What | p50 ratio | p50 ratio, range | server CPU ratio |")
        lines.append("|---|---:|---:|---:|")
        for (label, _, _), a, b in zip(small["reads"], small["rounds"], big["rounds"]):
            if a and b:
                p50, low, high = per_round(a, b, 1)
                lines.append(f"| {label} | {p50:.2f}× | {low:.2f}–{high:.2f}× | {per_round(a, b, 4)[0]:.2f}× |")
        lines.append(f"| Add-and-remove pairs (POST), one run | {big['pairs'][1] / small['pairs'][1]:.2f}× | | "
                     f"{big['pairs'][4] / small['pairs'][4]:.2f}× |")
        lines.append(f"| SCIM PATCH of one member, one run | {big['scim'][1] / small['scim'][1]:.2f}× | | "
                     f"{big['scim'][4] / small['scim'][4]:.2f}× |")
        lines.append(f"| Bulk add of 1,000 emails | {big['bulk'] / small['bulk']:.2f}× | | "
                     f"{big['bulk_cpu'] / small['bulk_cpu']:.2f}× |")
        lines.append("")
    served = wasm.with_name(wasm.name + ".br")
    served = f"; served as {served.stat().st_size:,} bytes brotli" if served.exists() else ""
    lines.append(f"Release WASM: {wasm_raw:,} bytes, {wasm_gz:,} bytes gzipped (-9){served}.")
    report = "\n".join(lines)
    print("\n" + report)
    keep_latest(report, "PostgreSQL" if args.postgres else "SQLite")


def keep_latest(report, database):
    """Writes `report` to bench-results.md as the latest of `database`, keeping the latest
    report of the other database beside it."""
    path = pathlib.Path("bench-results.md")
    sections = {}
    if path.exists():
        for part in path.read_text().split("\n## ")[1:]:
            sections[part.split(" ", 1)[0]] = "## " + part.rstrip("\n")
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    sections[database] = f"## {database} (finished {stamp}, on {commit or 'an unknown commit'})\n\n{report}"
    head = "# Benchmark reports: the latest run on each database\n\nWritten by `scripts/bench.sh`; BENCHMARKS.md reads them.\n"
    body = "\n\n".join(sections[name] for name in ("SQLite", "PostgreSQL") if name in sections)
    path.write_text(f"{head}\n{body}\n")


if __name__ == "__main__":
    main()
