#!/usr/bin/env bash
# The test command: builds what changed, lints with Biome, then runs the tests with Node's test
# runner. `npm test` runs the whole suite (what CI runs); `npm run test:quick` leaves out the
# slow end-to-end files listed below, for the edit-test loop. Extra arguments go to node --test.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=false
if [ "${1:-}" = "--quick" ]; then quick=true; shift; fi
bash scripts/build-changed.sh
npx biome check src test bench
# Slow files: whole training runs, the demo, sweeps, the browser tests.
slow='^dist/test/(app/app-browser|cli/demo|train/train|train/data-parallel|pipeline/sweep|viz/report-browser|reliability/training-runs)\.test\.js$'
files=$(find dist/test -name '*.test.js' | sort)
if $quick; then files=$(echo "$files" | grep -Ev "$slow"); fi
# shellcheck disable=SC2086
exec node --expose-gc --test --test-concurrency=1 "$@" $files
