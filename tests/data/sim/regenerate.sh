#!/usr/bin/env bash
# Regenerate every simulated fixture from the commands in README.md (run from the repo root).
set -euo pipefail
cd "$(dirname "$0")"
grep -E '^\| `[a-z0-9_]+\.csv` \|' README.md | while IFS='|' read -r _ file cmd _; do
  file=$(echo "$file" | tr -d ' `')
  cmd=$(echo "$cmd" | sed -e 's/^ *`//' -e 's/` *$//')
  echo "+ $cmd"
  eval "../../../.venv/bin/$cmd"
done
