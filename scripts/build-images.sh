#!/usr/bin/env bash
# Builds the product's images from this checkout, tagged with package.json's version and latest:
#   vsm-hub       Dockerfile.hub        the hub (non-root, health check)
#   vsm-agent     Dockerfile.agent      the agent (mount /var/run/docker.sock)
#   vsm-registry  Dockerfile.registry   Debian's docker-registry with the hub as token service
# The base images (node:20-bookworm-slim, debian:bookworm-slim) are pulled as usual; where nothing
# can be pulled and they are missing, scripts/build-base-image.sh makes local stand-ins first.
#
#   scripts/build-images.sh [hub] [agent] [registry]      (default: all three)
#
# The classic builder (DOCKER_BUILDKIT=0) works with every Docker from 20.10 on; the hub's and the
# agent's build stages are identical, so the second build reuses the first one's layers.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(node -p 'require("./package.json").version')
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(hub agent registry)

say() { echo "build-images: $*" >&2; }

for base in node:20-bookworm-slim debian:bookworm-slim; do
  docker image inspect "$base" >/dev/null 2>&1 && continue
  if ! timeout 120 docker pull -q "$base" >/dev/null 2>&1; then
    say "$base cannot be pulled; building a local stand-in"
    bash scripts/build-base-image.sh
  fi
done

for t in "${targets[@]}"; do
  case "$t" in hub|agent|registry) ;; *) say "unknown image $t (hub, agent or registry)"; exit 2 ;; esac
  image=vsm-$t
  old=$(docker image inspect -f '{{.Id}}' "$image:$version" 2>/dev/null || true)
  start=$(date +%s)
  log=$(mktemp)
  if ! DOCKER_BUILDKIT=0 docker build -f "Dockerfile.$t" -t "$image:$version" -t "$image:latest" . >"$log" 2>&1; then
    tail -40 "$log" >&2
    rm -f "$log"
    say "building $image failed"
    exit 1
  fi
  rm -f "$log"
  new=$(docker image inspect -f '{{.Id}}' "$image:$version")
  # The image this build replaced, unless something still uses it.
  if [ -n "$old" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
  say "$image:$version $(($(docker image inspect -f '{{.Size}}' "$new") / 1000000)) MB ($(($(date +%s) - start)) s)"
done
