#!/usr/bin/env bash
# Runs Debian's docker-registry (Distribution 2.x) in the foreground with token authentication,
# the hub as its token service:
#   scripts/registry.sh --hub-data DIR --realm URL [--addr 127.0.0.1:5000] [--root DIR]
# --hub-data  the hub's HUB_DATA_DIR: registry-token.key (the hub signs tokens with it; created
#             here if the hub has not yet) and registry-token.crt (self-signed, generated here,
#             the registry's rootcertbundle).
# --realm     the hub's token endpoint as Docker clients reach it: http://HUB:PORT/v1/registry/token
# --addr      listen address (default 127.0.0.1:5000; loopback, so Docker allows plain http)
# --root      storage and config directory (default HUB_DATA_DIR/registry)
# Exits 127 when docker-registry or openssl is not installed.
set -euo pipefail

# Must match hub/src/registry/token-signer.ts.
SERVICE=vsm-registry
ISSUER=vsm-hub-registry-token

hub_data='' realm='' addr='127.0.0.1:5000' root=''
while [ $# -gt 0 ]; do
  case "$1" in
    --hub-data) hub_data=$2; shift 2 ;;
    --realm) realm=$2; shift 2 ;;
    --addr) addr=$2; shift 2 ;;
    --root) root=$2; shift 2 ;;
    *) echo "registry.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$hub_data" ] && [ -n "$realm" ] || { echo "usage: registry.sh --hub-data DIR --realm URL [--addr HOST:PORT] [--root DIR]" >&2; exit 2; }
root=${root:-$hub_data/registry}

for tool in docker-registry openssl; do
  command -v "$tool" >/dev/null || { echo "registry.sh: $tool is not installed (apt-get install docker-registry openssl)" >&2; exit 127; }
done

mkdir -p "$hub_data" "$root"
key=$hub_data/registry-token.key
cert=$hub_data/registry-token.crt

ensure_key() {
  [ -s "$key" ] && return 0
  local tmp
  tmp=$(mktemp "$hub_data/.registry-token.key.XXXXXX")
  (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp" 2>/dev/null)
  # ln refuses to replace a key the hub wrote meanwhile; then that one is used.
  ln "$tmp" "$key" 2>/dev/null || true
  rm -f "$tmp"
}

# The certificate of the hub's key: made when missing or when it certifies another key.
ensure_cert() {
  local want have=''
  want=$(openssl pkey -in "$key" -pubout)
  [ -s "$cert" ] && have=$(openssl x509 -in "$cert" -pubkey -noout 2>/dev/null || true)
  [ "$want" = "$have" ] && return 0
  openssl req -new -x509 -key "$key" -out "$cert.tmp" -days 3650 -sha256 -subj "/CN=vsm-hub registry token signer" 2>/dev/null
  chmod 644 "$cert.tmp"
  mv "$cert.tmp" "$cert"
  echo "registry.sh: wrote $cert"
}

# YAML single-quoted scalar.
q() { printf "'%s'" "${1//\'/\'\'}"; }

ensure_key
ensure_cert
[ -s "$root/http-secret" ] || (umask 077 && openssl rand -hex 32 >"$root/http-secret")

config=$root/config.yml
cat >"$config" <<EOF
version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $(q "$root")
  delete:
    enabled: true
http:
  addr: $(q "$addr")
  secret: $(q "$(cat "$root/http-secret")")
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  token:
    realm: $(q "$realm")
    service: $SERVICE
    issuer: $ISSUER
    rootcertbundle: $(q "$cert")
EOF
chmod 600 "$config"

echo "registry.sh: docker-registry on $addr, token service $realm, storage $root"
exec docker-registry serve "$config"
