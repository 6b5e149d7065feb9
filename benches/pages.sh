#!/usr/bin/env bash
# Cost of the main pages on demo data (`duban demo-data --scale N`, two years of monthly
# reporting) against a release build: for each page, wrk at 16 connections, then requests/s,
# p99 latency and the server's CPU time per request (its user+system time over the run divided
# by the requests answered: the robust figure on a shared machine), with /healthz measured the
# same way as the ceiling; and the server's memory: peak RSS after each page, and at the end
# its own memory apart from the mapped database file. Needs wrk, curl and python3.
# The scorecard is also measured drawn fresh (a different window and trend line each time).
# Usage: benches/pages.sh [seconds per page] [scales...]   (default: 5 s, scales 1 and 10)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
shift || true
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(1 10)
cargo build --release --quiet
bin=$PWD/target/release/duban
tick=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run PID LABEL HEADER URL: one wrk run, one line of the table.
run() {
  local pid=$1 label=$2 header=$3 url=$4
  local before after out requests p99 rps
  # Warm up (first page render, SQLite cache), then measure.
  wrk -t2 -c16 -d1s -H "$header" "$url" >/dev/null
  before=$(cpu_ticks "$pid")
  out=$(wrk -t2 -c16 -d"${secs}s" --latency -H "$header" "$url")
  after=$(cpu_ticks "$pid")
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$label: non-2xx answers: $(echo "$out" | grep Non-2xx)" >&2
  fi
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  python3 - "$label" "$requests" "$rps" "$p99" "$before" "$after" "$tick" "$hwm" <<'EOF'
import sys
label, requests, rps, p99, before, after, tick, hwm = sys.argv[1:]
ms = (int(after) - int(before)) * 1000 / int(tick) / max(int(requests), 1)
print(f"| {label:<28} | {float(rps):>9.0f} | {ms:>8.3f} | {p99:>8} | {int(hwm) / 1024:>7.0f} |")
EOF
}

# fresh PID LABEL COOKIE URL: the server's CPU time for pages drawn anew, not served from the
# kept drawings — each request asks for a different trend line (one per unit), so none is a
# repeat. One line of the table (no throughput: the requests are sequential).
fresh() {
  local pid=$1 label=$2 cookie=$3 url=$4 ids n=0 before after
  ids=$(curl -s -b "duban_session=$cookie" "$url" | grep -o '/scorecard/departments/[0-9]*' |
    grep -o '[0-9]*$' | sort -un | head -40)
  before=$(cpu_ticks "$pid")
  for window in year quarter all; do
    for id in $ids; do
      curl -sf -o /dev/null -b "duban_session=$cookie" "$url&window=$window&trend=$id"
      n=$((n + 1))
    done
  done
  after=$(cpu_ticks "$pid")
  awk -v n="$n" -v b="$before" -v a="$after" -v t="$tick" -v l="$label" 'BEGIN {
    printf "| %-28s | %9s | %8.3f | %8s | %7s |\n", l, "—", (a - b) * 1000 / t / (n > 0 ? n : 1), "—", "—" }'
}

for scale in "${scales[@]}"; do
  tmp=$(mktemp -d)
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  cat >"$tmp/bench.toml" <<'EOF'
[reminders]
interval_minutes = 0
EOF
  export DUBAN_DATA_DIR="$tmp" DUBAN_BIND="127.0.0.1:$port" RUST_LOG=warn
  export DUBAN_CONFIG="$tmp/bench.toml" DUBAN_ADMIN_PASSWORD=bench-password-1
  "$bin" demo-data --scale "$scale" >/dev/null
  "$bin" serve >"$tmp/server.log" 2>&1 &
  pid=$!
  trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
  base="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

  token=$("$bin" token create admin --name bench 2>/dev/null)
  login() {
    local jar="$tmp/jar-$1" csrf
    csrf=$(curl -s -c "$jar" "$base/login" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
    curl -s -b "$jar" -c "$jar" -o /dev/null \
      --data "username=$1&password=$2&next=/&csrf_token=$csrf" "$base/login"
    awk '$6 == "duban_session" {print $7}' "$jar"
  }
  admin=$(login admin "$DUBAN_ADMIN_PASSWORD")
  liaison=$(login demo1-1 demo-password)
  # The first demo plan's measure 6 and its lead unit.
  read -r measure unit < <(curl -s -H "Authorization: Bearer $token" "$base/api/v1/measures?document=1" |
    python3 -c 'import json, sys
ms = json.load(sys.stdin); m = next(m for m in ms if m["number"] == 6); print(m["id"], m["lead"])')
  unit_id=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/departments" |
    python3 -c "import json, sys; print(next(d['id'] for d in json.load(sys.stdin) if d['name'] == sys.argv[1]))" "$unit")
  obligations=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/obligations?per_page=1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["total_count"])')

  # The oldest report waiting for review: the review page the office opens from the queue.
  waiting=$(curl -s -H "Authorization: Bearer $token" "$base/api/v1/obligations?state=submitted&sort=due&per_page=1" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["obligations"][0]["id"])')

  echo
  echo "demo scale $scale: $obligations obligations; wrk -c16, ${secs} s a page"
  echo "| page                         |     req/s | CPU ms/r |      p99 | peak MB |"
  echo "|------------------------------|-----------|----------|----------|---------|"
  run $pid "/healthz (ceiling)" "X-Bench: 1" "$base/healthz"
  run $pid "ledger, 25 rows" "Cookie: duban_session=$admin" "$base/ledger"
  run $pid "/api/v1/obligations" "Authorization: Bearer $token" "$base/api/v1/obligations"
  run $pid "measure page" "Cookie: duban_session=$admin" "$base/measures/$measure"
  run $pid "department page" "Cookie: duban_session=$admin" "$base/departments/$unit_id"
  run $pid "liaison home" "Cookie: duban_session=$liaison" "$base/"
  run $pid "office workbench" "Cookie: duban_session=$admin" "$base/"
  run $pid "document page" "Cookie: duban_session=$admin" "$base/documents/1"
  run $pid "scorecard" "Cookie: duban_session=$admin" "$base/scorecard?document=1"
  fresh $pid "scorecard, drawn fresh" "$admin" "$base/scorecard?document=1"
  run $pid "review queue" "Cookie: duban_session=$admin" "$base/admin/reviews"
  run $pid "review page (from queue)" "Cookie: duban_session=$admin" "$base/obligations/$waiting?queue="
  run $pid "audit log" "Cookie: duban_session=$admin" "$base/admin/audit"
  # RssFile is mostly the binary's own code; RssAnon is the memory the server allocated.
  awk '/VmHWM/ {h = $2} /RssAnon/ {a = $2} /RssFile/ {f = $2}
    END {printf "peak RSS %.0f MB; now %.0f MB own (RssAnon) + %.0f MB mapped files (RssFile)\n", h / 1024, a / 1024, f / 1024}' \
    "/proc/$pid/status"
  kill $pid; wait $pid 2>/dev/null || true
  rm -rf "$tmp"
  trap - EXIT
done
