#!/usr/bin/env bash
# Builds local stand-ins for the official base images where no image can be pulled:
#   debian:bookworm-slim    a Debian minbase rootfs made by debootstrap from the machine's own apt
#                           mirror, slimmed like the official -slim images
#   node:20-bookworm-slim   the same plus the machine's Node binary, npm and corepack under
#                           /usr/local and the `node` user (uid 1000), as in the official image
# `docker import` gives them the official names, so the Dockerfiles say `FROM node:20-bookworm-slim`
# as they would anywhere else.
#
#   scripts/build-base-image.sh [--force]
#
# Cached: does nothing when both images exist (unless --force). Needs root and debootstrap.
# The mirror is read from /etc/apt/sources.list* at run time (DEBIAN_MIRROR overrides it). When
# the machine trusts extra CAs through NODE_EXTRA_CA_CERTS (a TLS-inspecting egress proxy), that
# bundle goes into the node image too, or npm in a build stage could not reach the registry.
set -euo pipefail

suite=bookworm
node_major=20
debian_tag=debian:$suite-slim
tag=node:$node_major-$suite-slim
force=0
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "build-base-image: unknown argument $a" >&2; exit 2 ;;
  esac
done

say() { echo "build-base-image: $*" >&2; }

have_both() { docker image inspect "$tag" >/dev/null 2>&1 && docker image inspect "$debian_tag" >/dev/null 2>&1; }
if [ $force = 0 ] && have_both; then exit 0; fi
[ "$(id -u)" = 0 ] || { say "needs root (debootstrap)"; exit 1; }
command -v debootstrap >/dev/null || { say "debootstrap is missing (apt-get install debootstrap)"; exit 1; }

# One build at a time on this machine (parallel test runs share the image).
exec 9>/tmp/vsm-base-image.lock
flock 9
if [ $force = 0 ] && have_both; then exit 0; fi

node_bin=$(readlink -f "$(command -v node)")
node_version=$("$node_bin" -p 'process.versions.node')
if [ "${node_version%%.*}" != "$node_major" ]; then
  say "this machine's node is $node_version; $tag needs Node $node_major"
  exit 1
fi

# The first archive URI that serves $suite itself (not -security/-updates), deb822 or one-line.
find_mirror() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sources)
        awk -v suite="$suite" '
          function flush() { if (deb && uri != "" && has) { print uri; exit } deb = 0; uri = ""; has = 0 }
          /^[[:space:]]*$/ { flush(); next }
          /^Types:/ { deb = ($0 ~ /[[:space:]]deb([[:space:]]|$)/) }
          /^URIs:/ { uri = $2 }
          /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) has = 1 }
          END { flush() }' "$f"
        ;;
      *)
        sed -E 's/\[[^]]*\]//' "$f" | awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2; exit }'
        ;;
    esac
  done | head -1
}
mirror=${DEBIAN_MIRROR:-$(find_mirror)}
[ -n "$mirror" ] || { say "no apt source for $suite in /etc/apt/sources.list*; set DEBIAN_MIRROR"; exit 1; }

work=$(mktemp -d /var/tmp/vsm-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
start=$(date +%s)
say "debootstrap --variant=minbase $suite from $mirror (a few minutes)"
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -30 "$work/debootstrap.log" >&2
  exit 1
}

# Slim, like the official -slim images: no docs, man pages, locales, apt lists or caches.
mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d" "$rootfs/etc/apt/apt.conf.d"
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
EOF
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log \
  "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true

import_rootfs() { # rootfs tag message [docker import -c args...]
  local dir=$1 name=$2 msg=$3
  shift 3
  tar --numeric-owner -C "$dir" --exclude='./proc/*' --exclude='./sys/*' --exclude='./dev/*' -c . |
    docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'LABEL vsm.base="local stand-in built by scripts/build-base-image.sh"' "$@" -m "$msg" - "$name" >/dev/null
}
import_rootfs "$rootfs" "$debian_tag" "debootstrap $suite minbase" -c 'CMD ["bash"]'

# Node, npm and corepack where the official image has them.
install -D -m 0755 "$node_bin" "$rootfs/usr/local/bin/node"
node_modules=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")")
for pkg in npm corepack; do
  if [ -d "$node_modules/$pkg" ]; then
    mkdir -p "$rootfs/usr/local/lib/node_modules"
    cp -a "$node_modules/$pkg" "$rootfs/usr/local/lib/node_modules/$pkg"
  fi
done
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
if [ -d "$rootfs/usr/local/lib/node_modules/corepack" ]; then
  ln -sf ../lib/node_modules/corepack/dist/corepack.js "$rootfs/usr/local/bin/corepack"
fi

# The official image's unprivileged user.
chroot "$rootfs" groupadd --gid 1000 node
chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

env_args=(-c "ENV NODE_VERSION=$node_version" -c 'CMD ["node"]')
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
  install -D -m 0644 "$NODE_EXTRA_CA_CERTS" "$rootfs/usr/local/share/vsm-base/extra-ca.crt"
  env_args+=(-c 'ENV NODE_EXTRA_CA_CERTS=/usr/local/share/vsm-base/extra-ca.crt')
fi
import_rootfs "$rootfs" "$tag" "debootstrap $suite minbase + node $node_version" "${env_args[@]}"
docker run --rm --network none "$tag" node -e 'process.exit(process.versions.node === process.argv[1] ? 0 : 1)' "$node_version"
mb() { echo $(($(docker image inspect "$1" --format '{{.Size}}') / 1000000)); }
say "built $debian_tag ($(mb "$debian_tag") MB) and $tag (node $node_version, $(mb "$tag") MB) in $(($(date +%s) - start)) s"
