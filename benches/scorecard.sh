#!/usr/bin/env bash
# Scorecard render time and query count at demo scales 1, 10 and 100 (release build, SQLite).
# Usage: benches/scorecard.sh [scale ...]
set -euo pipefail
cd "$(dirname "$0")/.."
scales=("${@:-1 10 100}")
cargo build --release --quiet
for scale in ${scales[@]}; do
  tmp=$(mktemp -d)
  export DUBAN_DATA_DIR="$tmp" DUBAN_ADMIN_PASSWORD=bench-password-1 RUST_LOG=warn
  ./target/release/duban demo-data --scale "$scale"
  echo "== scale $scale"
  cargo bench --quiet --bench scorecard 2>/dev/null | grep scorecard
  rm -rf "$tmp"
done
