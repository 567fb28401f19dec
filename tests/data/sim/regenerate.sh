#!/usr/bin/env bash
# Regenerate the simulated fixtures from the commands in README.md.
# Usage: tests/data/sim/regenerate.sh [NAME-PATTERN]   (e.g. 'jumps_*'; default: all)
set -euo pipefail
cd "$(dirname "$0")"
pattern="${1:-*}"
grep -E '^\| `[a-z0-9_]+\.csv` \|' README.md | while IFS='|' read -r _ file cmd _; do
  file=$(echo "$file" | tr -d ' `')
  # shellcheck disable=SC2053
  [[ "$file" == $pattern.csv || "$file" == $pattern ]] || continue
  cmd=$(echo "$cmd" | sed -e 's/^ *`//' -e 's/` *$//')
  echo "+ $cmd"
  eval "../../../.venv/bin/$cmd"
done
