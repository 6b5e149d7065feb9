#!/usr/bin/env bash
# HTTP throughput of the main pages on a release build: wrk against a server on a temporary
# SQLite database holding the bundled plan. Needs wrk (Debian package `wrk`).
# Usage: benches/http.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
cargo build --release --quiet
tmp=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
DUBAN_DATA_DIR="$tmp" DUBAN_BIND="127.0.0.1:$port" RUST_LOG=warn ./target/release/duban serve &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
base="http://127.0.0.1:$port"
for path in /documents/1 "/api/v1/measures?document=1" /departments; do
  echo "== GET $path"
  wrk -t2 -c32 -d"${secs}s" --latency "$base$path" | grep -E "Requests/sec|Latency|99%"
done
