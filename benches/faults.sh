#!/usr/bin/env bash
# Floods against a release build, on SQLite (or DATABASE_URL if set):
#  1. 200 report submissions with evidence, 40 at a time: the answers by status and the time;
#  2. 80 clients failing to sign in, over and over, for a few seconds, while /healthz and a
#     signed-in page are asked once a second: their worst latency, the answers the flood
#     got, and the server's CPU time per sign-in attempt.
# Needs curl and python3 (standard library only).
# Usage: benches/faults.sh [flood-seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-8}
cargo build --release --quiet
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DUBAN_DATA_DIR="$tmp" DUBAN_BIND="127.0.0.1:$port" RUST_LOG=error
export DUBAN_ADMIN_PASSWORD=Bench-Tarim-8812-pass
./target/release/duban serve &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
token=$(./target/release/duban token create admin --name bench 2>/dev/null)

BASE="$base" TOKEN="$token" PID="$pid" SECS="$secs" PASSWORD="$DUBAN_ADMIN_PASSWORD" python3 - <<'EOF'
import collections, concurrent.futures as cf, http.client, json, os, re, threading, time, urllib.parse

base = urllib.parse.urlparse(os.environ["BASE"])
token, pid, secs = os.environ["TOKEN"], int(os.environ["PID"]), float(os.environ["SECS"])

def request(method, path, body=None, headers=None):
    c = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.getheaders(), data

def api(path):
    return json.loads(request("GET", path, headers={"Authorization": "Bearer " + token})[2])

def cpu_seconds():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

doc = api("/api/v1/documents")[0]["id"]
targets = []
for m in api(f"/api/v1/measures?document={doc}"):
    for o in api(f"/api/v1/measures/{m['id']}")["obligations"]:
        if o["state"] in ("open", "overdue"):
            targets.append((m["id"], o["department"], o["period"]))
targets = targets[:200]

def multipart(fields, files):
    b = "bench-boundary-5a1"
    out = b""
    for k, v in fields:
        out += f"--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
    for name, data in files:
        out += (f"--{b}\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"{name}\"\r\n"
                "Content-Type: application/pdf\r\n\r\n").encode() + data + b"\r\n"
    return "multipart/form-data; boundary=" + b, out + f"--{b}--\r\n".encode()

def submit(i):
    m, dept, period = targets[i]
    ctype, body = multipart(
        [("period", period), ("department", dept), ("summary", "bench"), ("percent", "30"), ("status", "on_track")],
        [("a.pdf", f"%PDF-1.4 own {i}".encode()), ("b.pdf", b"%PDF-1.4 shared")])
    return request("POST", f"/api/v1/measures/{m}/reports", body,
                   {"Authorization": "Bearer " + token, "Content-Type": ctype})[0]

started = time.time()
with cf.ThreadPoolExecutor(40) as pool:
    statuses = collections.Counter(pool.map(submit, range(len(targets))))
print(f"== {len(targets)} submissions with evidence, 40 at a time: {dict(statuses)} in {time.time() - started:.2f} s")

# Sign in once for the probe, as a browser would.
status, headers, page = request("GET", "/login")
cookie = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie"][0]
csrf = re.search(rb'name="csrf_token" value="([0-9a-f]+)"', page).group(1).decode()
form = urllib.parse.urlencode({"username": "admin", "password": os.environ["PASSWORD"], "next": "/", "csrf_token": csrf})
status, headers, _ = request("POST", "/login", form, {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
session = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie" and v.startswith("duban_session=")][0]

stop = threading.Event()
answers = collections.Counter()
attempts = [0]
def attacker(n):
    while not stop.is_set():
        s, h, p = request("GET", "/login")
        c = [v.split(";")[0] for k, v in h if k.lower() == "set-cookie"][0]
        t = re.search(rb'name="csrf_token" value="([0-9a-f]+)"', p).group(1).decode()
        f = urllib.parse.urlencode({"username": "admin" if n % 2 else f"nobody{n}", "password": "guess", "next": "/", "csrf_token": t})
        s, _, _ = request("POST", "/login", f, {"Cookie": c, "Content-Type": "application/x-www-form-urlencoded"})
        answers[s] += 1
        attempts[0] += 1

worst = {"/healthz": 0.0, "/": 0.0}
probe_status = collections.Counter()
cpu0 = cpu_seconds()
threads = [threading.Thread(target=attacker, args=(n,)) for n in range(80)]
for t in threads:
    t.start()
end = time.time() + secs
while time.time() < end:
    for path, headers in (("/healthz", {}), ("/", {"Cookie": session})):
        t0 = time.time()
        s, _, _ = request("GET", path, headers=headers)
        worst[path] = max(worst[path], time.time() - t0)
        probe_status[(path, s)] += 1
    time.sleep(1)
stop.set()
for t in threads:
    t.join()
cpu = cpu_seconds() - cpu0
print(f"== 80 clients failing to sign in for {secs:.0f} s: {attempts[0]} attempts, answers {dict(answers)}, "
      f"server CPU {1000 * cpu / max(attempts[0], 1):.2f} ms per attempt")
print(f"   meanwhile: /healthz worst {1000 * worst['/healthz']:.0f} ms, signed-in page worst {1000 * worst['/']:.0f} ms, "
      f"answers {dict(probe_status)}")
EOF
