#!/usr/bin/env bash
# `npm test`: installs and starts what the tests need, type-checks and builds, then runs the fast
# suites (unit, API) in parallel and the integration suites one file at a time (they run real
# processes, Docker and Chromium on a 2-core machine). Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-deps.sh || exit 1
npx tsc -p tsconfig.json || exit 1
mkdir -p test-artifacts
rm -f test-artifacts/results-*.json
# A vitest run can exit 1 with every test passed (an unhandled error in a test process); the summary
# counts such runs so that its closing line never reads "0 failed" on a failed run.
runs_failed=0
npx vitest run test/unit test/api --reporter=default --reporter=json --outputFile.json=test-artifacts/results-fast.json || runs_failed=$((runs_failed + 1))
npx vitest run test/integration --no-file-parallelism --reporter=default --reporter=json --outputFile.json=test-artifacts/results-integration.json || runs_failed=$((runs_failed + 1))
node dist/scripts/test-summary.js --runs-failed "$runs_failed" test-artifacts/results-fast.json test-artifacts/results-integration.json
