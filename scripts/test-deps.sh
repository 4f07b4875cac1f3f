#!/usr/bin/env bash
# Installs and starts what the test suite needs when it is missing (run by `npm test`):
# Debian's docker.io (dockerd started by hand: there is no init system), busybox-static for
# test images built with `docker import`, Debian's docker-registry, chromium, and the packaging
# test's tools. Idempotent: a second run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

node -e 'const [maj] = process.versions.node.split(".").map(Number); if (maj < 20) { console.error(`node ${process.versions.node}: the project needs Node 20 or newer`); process.exit(1); }'

APT_UPDATED=0
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then echo "test-deps: need root to install ${missing[*]}" >&2; exit 1; fi
  if [ $APT_UPDATED = 0 ]; then apt-get update -qq; APT_UPDATED=1; fi
  echo "test-deps: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_docker() {
  apt_install docker.io busybox-static iptables iproute2 # iproute2: ip netns for the partition test
  if docker info >/dev/null 2>&1; then return 0; fi
  echo "test-deps: starting dockerd"
  nohup dockerd >/tmp/vsm-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "test-deps: dockerd did not start; see /tmp/vsm-dockerd.log" >&2
  tail -20 /tmp/vsm-dockerd.log >&2 || true
  exit 1
}

# A tiny image from the machine's busybox-static (nothing can be pulled here).
ensure_test_image() {
  local tag=vsm-test/busybox:1.0
  docker image inspect "$tag" >/dev/null 2>&1 && return 0
  local root
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp"
  cp "$(command -v busybox)" "$root/bin/busybox"
  for applet in sh echo cat sleep ls true false env printf wget httpd date kill ps; do ln -s busybox "$root/bin/$applet"; done
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' - "$tag" >/dev/null
  rm -rf "$root"
  echo "test-deps: built $tag"
}

# Repository Management: Debian's docker-registry (each test run starts its own through
# scripts/registry.sh, on a free loopback port) and openssl, which makes the certificate the
# registry trusts. Package scripts cannot start services here (no init system).
ensure_registry_tools() {
  apt_install docker-registry openssl
  docker-registry --version >/dev/null
}

# The dashboard's browser test: Debian's chromium, driven by playwright-core through its
# executablePath (playwright's own browser downloads cannot reach this network), and a font.
ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then apt_install chromium fonts-dejavu-core; fi
  if [ ! -x /usr/bin/chromium ]; then echo "test-deps: /usr/bin/chromium is missing after installing chromium" >&2; exit 1; fi
  /usr/bin/chromium --version >/dev/null
}

# Packaging (test/integration/packaging.test.ts): debootstrap for the local base images
# (scripts/build-base-image.sh; nothing can be pulled here), docker-compose for docker-compose.yml,
# systemd for `systemd-analyze verify` of the unit scripts/install-agent.sh writes (only the
# tool: nothing here boots systemd).
ensure_packaging_tools() {
  apt_install debootstrap debian-archive-keyring docker-compose systemd
  docker-compose version --short >/dev/null
  systemd-analyze --version >/dev/null
}

ensure_docker
ensure_test_image
ensure_registry_tools
ensure_chromium
ensure_packaging_tools
