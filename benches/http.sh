#!/usr/bin/env bash
# HTTP throughput of the main pages and API on a release build: wrk against a server on a
# temporary SQLite database holding the bundled plan, signed in as the administrator (pages)
# and with an API token (API). Needs wrk and curl (Debian packages `wrk`, `curl`).
# Usage: benches/http.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
cargo build --release --quiet
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export DUBAN_DATA_DIR="$tmp" DUBAN_BIND="127.0.0.1:$port" RUST_LOG=warn
export DUBAN_ADMIN_PASSWORD=bench-password-1
./target/release/duban serve &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 50); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done

token=$(./target/release/duban token create admin --name bench 2>/dev/null)
jar="$tmp/cookies"
csrf=$(curl -s -c "$jar" "$base/login" | grep -o 'name="csrf_token" value="[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}')
curl -s -b "$jar" -c "$jar" -o /dev/null \
  --data "username=admin&password=$DUBAN_ADMIN_PASSWORD&next=/&csrf_token=$csrf" "$base/login"
session=$(awk '$6 == "duban_session" {print $7}' "$jar")

for path in /documents/1 /departments; do
  echo "== GET $path (signed in)"
  wrk -t2 -c32 -d"${secs}s" --latency -H "Cookie: duban_session=$session" "$base$path" \
    | grep -E "Requests/sec|Latency |99%"
done
for path in "/api/v1/measures?document=1" /api/v1/departments; do
  echo "== GET $path (token)"
  wrk -t2 -c32 -d"${secs}s" --latency -H "Authorization: Bearer $token" "$base$path" \
    | grep -E "Requests/sec|Latency |99%"
done
