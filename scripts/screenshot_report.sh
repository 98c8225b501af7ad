#!/usr/bin/env bash
# Render the HTML report of the shipped fixtures in headless Chromium and save a screenshot,
# to look at before changing the report (needs Debian's chromium: apt-get install chromium).
# Usage: scripts/screenshot_report.sh [OUT_DIR]
set -euo pipefail
out="${1:-/tmp/lossrules-report}"
mkdir -p "$out"
lossrules audit fixtures/corpus --format html -o "$out/report.html" -j 2 || [ $? -eq 1 ]
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d)" --window-size=1200,3000 \
    --screenshot="$out/report.png" "file://$out/report.html" 2>/dev/null
echo "report: $out/report.html, screenshot: $out/report.png"
