#!/usr/bin/env bash
# Installs the Portkey gateway 1.15.2 (the Node peer in bench/run) into bench/.portkey on first use
# and prints the path of its start-server.js. @hono/node-server is pinned to 1.13.5 because later
# versions break Portkey's streaming (Portkey-AI/gateway #1389, #1550). Idempotent: a complete
# install is reused; an incomplete one is redone.
set -euo pipefail

dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/.portkey"
entry="$dir/node_modules/@portkey-ai/gateway/build/start-server.js"
stamp="$dir/.installed-1.15.2"

if [[ -f "$stamp" && -f "$entry" ]]; then
  echo "$entry"
  exit 0
fi

command -v npm >/dev/null || { echo "portkey.sh: npm is not installed" >&2; exit 1; }
mkdir -p "$dir"
cat >"$dir/package.json" <<'EOF'
{
  "name": "kt-bench-portkey",
  "private": true,
  "description": "Portkey gateway pinned for kt's load benchmark (bench/run)",
  "dependencies": {
    "@portkey-ai/gateway": "1.15.2"
  },
  "overrides": {
    "@hono/node-server": "1.13.5"
  }
}
EOF
rm -f "$stamp"
echo "portkey.sh: installing @portkey-ai/gateway@1.15.2 into $dir" >&2
(cd "$dir" && npm install --no-audit --no-fund --loglevel=error >&2)
[[ -f "$entry" ]] || { echo "portkey.sh: install finished but $entry is missing" >&2; exit 1; }
actual="$(node -p "require('$dir/node_modules/@hono/node-server/package.json').version")"
[[ "$actual" == "1.13.5" ]] || {
  echo "portkey.sh: @hono/node-server is $actual, expected 1.13.5" >&2
  exit 1
}
touch "$stamp"
echo "$entry"
