#!/usr/bin/env bash
# Installs and starts what the test suite needs when it is missing (run by `npm test`).
# Each need is added here by the feature whose tests need it.
set -euo pipefail
node -e 'const [maj] = process.versions.node.split(".").map(Number); if (maj < 20) { console.error(`node ${process.versions.node}: the project needs Node 20 or newer`); process.exit(1); }'
