#!/usr/bin/env bash
# Installs the VSM agent as a systemd service on a Debian or Ubuntu edge node:
#
#   sudo scripts/install-agent.sh --hub-url http://HUB:8080 --token <join token> [--node-name NAME]
#   sudo scripts/install-agent.sh --uninstall [--purge]
#
# It writes
#   /opt/vsm-agent/                      the agent (compiled code, its dependencies, a Node binary)
#   /etc/vsm-agent/agent.env             AGENT_* settings and the join token (mode 0600)
#   /etc/systemd/system/vsm-agent.service   the unit (Restart=always), enabled for multi-user.target
# and keeps the node's identity in /var/lib/vsm-agent (StateDirectory; --uninstall leaves it,
# --purge removes it). Idempotent: a second run with the same options changes nothing; a run
# without --token/--hub-url keeps the values already in agent.env (an upgrade).
#
# Options:
#   --hub-url URL        the hub's base URL (AGENT_HUB_URL)
#   --token TOKEN        a join token (POST /v1/cluster/token); or --token-file FILE, or AGENT_TOKEN in
#                        the environment, which keep it off the command line
#   --node-name NAME     AGENT_NODE_NAME (default: the host name)
#   --runtime R          docker (default) or none
#   --root DIR           install into DIR instead of / (packaging and tests; systemctl is not called)
#   --source DIR         a built checkout to install from (default: this script's; needs
#                        `npm ci && npx tsc -p .` done there)
#   --node PATH          the Node 20+ binary to bundle (default: `command -v node`; Debian's and
#                        Ubuntu's own nodejs packages are too old, so the agent carries its own)
#   --uninstall          stop and remove the service, its unit, settings and program
#   --purge              with --uninstall: also remove /var/lib/vsm-agent (the node must re-join)
set -euo pipefail

NAME=vsm-agent
root=/
hub_url=''
token=${AGENT_TOKEN:-}
token_file=''
node_name=''
runtime=''
source_dir=$(cd "$(dirname "$0")/.." && pwd)
node_bin=''
action=install
purge=0

die() { echo "install-agent: $*" >&2; exit 1; }
say() { echo "install-agent: $*"; }
need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --hub-url) need_arg "$@"; hub_url=$2; shift 2 ;;
    --token) need_arg "$@"; token=$2; shift 2 ;;
    --token-file) need_arg "$@"; token_file=$2; shift 2 ;;
    --node-name) need_arg "$@"; node_name=$2; shift 2 ;;
    --runtime) need_arg "$@"; runtime=$2; shift 2 ;;
    --root) need_arg "$@"; root=$2; shift 2 ;;
    --source) need_arg "$@"; source_dir=$2; shift 2 ;;
    --node) need_arg "$@"; node_bin=$2; shift 2 ;;
    --uninstall) action=uninstall; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || [ "$root" != / ] || die "run as root (sudo)"
[ -d "$root" ] || die "--root $root is not a directory"
root=$(cd "$root" && pwd)
R=${root%/}                              # prefix for every path written; empty for /
unit=/etc/systemd/system/$NAME.service
wants=/etc/systemd/system/multi-user.target.wants/$NAME.service
envfile=/etc/$NAME/agent.env
app=/opt/$NAME
state=/var/lib/$NAME

# systemctl only for the running system; --root never touches the host's services.
live_systemd() { [ -z "$R" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

if [ $action = uninstall ]; then
  if live_systemd; then systemctl disable --now "$NAME.service" 2>/dev/null || true; fi
  rm -f "$R$wants" "$R$unit"
  rm -rf "$R/etc/$NAME" "$R$app"
  if [ $purge = 1 ]; then rm -rf "$R$state"; else [ -d "$R$state" ] && say "kept $state (the node's identity; --purge removes it)"; fi
  if live_systemd; then systemctl daemon-reload; fi
  say "uninstalled"
  exit 0
fi

if [ -z "$R" ] && [ -r /etc/os-release ]; then
  # shellcheck disable=SC1091
  os=$(. /etc/os-release && echo "${ID:-} ${ID_LIKE:-}")
  case " $os " in *" debian "*|*" ubuntu "*) ;; *) say "warning: made for Debian and Ubuntu; this is ${os% }" ;; esac
fi

# Settings: the options given, else what agent.env already holds, else the defaults.
current() { [ -f "$R$envfile" ] && sed -n "s/^$1=//p" "$R$envfile" | tail -1 || true; }
[ -z "$token_file" ] || token=$(tr -d '[:space:]' <"$token_file")
hub_url=${hub_url:-$(current AGENT_HUB_URL)}
token=${token:-$(current AGENT_TOKEN)}
node_name=${node_name:-$(current AGENT_NODE_NAME)}
runtime=${runtime:-$(current AGENT_RUNTIME)}
runtime=${runtime:-docker}
[ -n "$hub_url" ] || die "--hub-url is required on the first install"
[[ "$hub_url" =~ ^https?://[^[:space:]]+$ ]] || die "--hub-url must be an http(s) URL, got $hub_url"
[ -n "$token" ] || [ -f "$R$state/identity.json" ] || die "--token is required on the first install (a join token from POST /v1/cluster/token)"
[[ "$token" =~ ^[A-Za-z0-9._-]*$ ]] || die "the token has characters a join token never has"
[ -z "$node_name" ] || [[ "$node_name" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$ ]] || die "--node-name must be 1-63 letters, digits or _.- starting with a letter or digit"
case "$runtime" in docker|none) ;; *) die "--runtime must be docker or none" ;; esac

node_bin=${node_bin:-$(command -v node || true)}
[ -n "$node_bin" ] && [ -x "$node_bin" ] || die "no node binary (install Node 20+ or pass --node PATH)"
node_bin=$(readlink -f "$node_bin")
"$node_bin" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || die "$node_bin is Node $("$node_bin" -v); the agent needs 20 or newer"
[ -f "$source_dir/dist/agent/src/main.js" ] && [ -d "$source_dir/node_modules" ] ||
  die "$source_dir has no built agent: run \`npm ci && npx tsc -p .\` there first (or pass --source)"

changed=0
# Replaces $2 by $1 only when they differ (content or mode), so a re-run leaves files untouched.
put() {
  local new=$1 dest=$2 mode=$3
  chmod "$mode" "$new"
  if [ -f "$dest" ] && cmp -s "$new" "$dest" && [ "$(stat -c %a "$dest")" = "${mode#0}" ]; then
    rm -f "$new"
  else
    mkdir -p "$(dirname "$dest")"
    mv -f "$new" "$dest"
    changed=1
  fi
}

# The program: staged beside the old one, swapped in only when something differs.
mkdir -p "$R/opt"
stage=$(mktemp -d "$R/opt/.$NAME.XXXXXX")
trap 'rm -rf "$stage" "$R/opt/.$NAME.old"' EXIT
mkdir -p "$stage/bin" "$stage/dist"
cp "$node_bin" "$stage/bin/node"
cp "$source_dir/package.json" "$stage/"
cp -r "$source_dir/dist/agent" "$source_dir/dist/shared" "$stage/dist/"
find "$stage/dist" -name '*.map' -delete
(cd "$source_dir" && "$node_bin" scripts/copy-deps.mjs "$stage" dist/agent dist/shared >/dev/null)
chmod -R u=rwX,go=rX "$stage"
if [ -d "$R$app" ] && diff -r -q --no-dereference "$stage" "$R$app" >/dev/null 2>&1; then
  rm -rf "$stage"
else
  [ -d "$R$app" ] && mv "$R$app" "$R/opt/.$NAME.old"
  mv "$stage" "$R$app"
  rm -rf "$R/opt/.$NAME.old"
  changed=1
fi

# Settings, with the token: readable by root only.
mkdir -p "$R/etc/$NAME"
chmod 0700 "$R/etc/$NAME"
tmp=$(umask 077 && mktemp "$R/etc/$NAME/.agent.env.XXXXXX")
{
  echo "# Written by install-agent.sh; read by $NAME.service. Holds the join token: keep it 0600."
  echo "AGENT_HUB_URL=$hub_url"
  echo "AGENT_TOKEN=$token"
  [ -z "$node_name" ] || echo "AGENT_NODE_NAME=$node_name"
  echo "AGENT_RUNTIME=$runtime"
  echo "AGENT_DATA_DIR=$state"
} >"$tmp"
put "$tmp" "$R$envfile" 0600

mkdir -p "$R/etc/systemd/system"
tmp=$(mktemp "$R/etc/systemd/system/.$NAME.XXXXXX")
docker_deps=''
[ "$runtime" = docker ] && docker_deps=' docker.service'
cat >"$tmp" <<EOF
[Unit]
Description=VSM edge agent: joins the hub and runs this node's workloads
After=network-online.target$docker_deps
Wants=network-online.target

[Service]
Type=simple
EnvironmentFile=$envfile
ExecStart=$app/bin/node $app/dist/agent/src/main.js
WorkingDirectory=$app
StateDirectory=$NAME
StateDirectoryMode=0700
# The agent exits 0 on SIGTERM after telling the hub it leaves; anything else is restarted.
Restart=always
RestartSec=5
TimeoutStopSec=20
NoNewPrivileges=yes
ProtectSystem=full
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
EOF
put "$tmp" "$R$unit" 0644

# Enabled the way `systemctl enable` does it, which also works inside --root.
mkdir -p "$(dirname "$R$wants")"
if [ "$(readlink "$R$wants" 2>/dev/null)" != "$unit" ]; then
  ln -sfn "$unit" "$R$wants"
  changed=1
fi

if live_systemd; then
  systemctl daemon-reload
  if [ $changed = 1 ]; then systemctl restart "$NAME.service"; else systemctl start "$NAME.service"; fi
  say "$NAME.service is $(systemctl is-active "$NAME.service" || true); logs: journalctl -u $NAME -f"
elif [ -z "$R" ]; then
  say "systemd is not running here: start the agent with \`systemctl start $NAME\` once it is"
fi
if [ $changed = 1 ]; then say "installed into ${R:-/}"; else say "already up to date in ${R:-/}"; fi
