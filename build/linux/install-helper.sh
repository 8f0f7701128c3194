#!/bin/bash
# Installs (or removes) palisaded, the Palisade firewall helper, with its D-Bus policy, polkit
# actions, systemd unit and D-Bus activation file. Run as root: by the desktop app (through
# pkexec, when the helper is missing) or by hand. Safe to run again: it replaces what it
# installed and restarts the helper so the new code runs.
#
#   install-helper.sh [--prefix DIR] [--node PATH] BUNDLE_DIR [ELECTRON_BINARY]
#   install-helper.sh [--prefix DIR] --uninstall
#
# BUNDLE_DIR holds the prebuilt helper (palisaded.cjs and anything next to it). The helper
# runs on PATH (default /usr/bin/node) when that is Node.js 20 or newer, else on
# ELECTRON_BINARY with ELECTRON_RUN_AS_NODE=1. --prefix installs under DIR instead of / and
# leaves D-Bus, systemd and nftables alone (for tests and staging).
set -euo pipefail
umask 022

SOURCE_DIR="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
readonly SOURCE_DIR
readonly MIN_NODE_MAJOR=20

prefix=""
node="/usr/bin/node"
uninstall=false
bundle=""
electron=""

die() { echo "install-helper: $*" >&2; exit 1; }
say() { echo "install-helper: $*"; }
usage() {
  echo "usage: install-helper.sh [--prefix DIR] [--node PATH] BUNDLE_DIR [ELECTRON_BINARY]" >&2
  echo "       install-helper.sh [--prefix DIR] --uninstall" >&2
  exit 2
}
# Quotes a value for a POSIX shell script: 'it'\''s'.
sh_quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || usage; prefix="${2%/}"; shift 2 ;;
    --node) [ $# -ge 2 ] || usage; node="$2"; shift 2 ;;
    --uninstall) uninstall=true; shift ;;
    -h|--help) usage ;;
    -*) die "unknown option $1" ;;
    *)
      if [ -z "$bundle" ]; then bundle="$1"
      elif [ -z "$electron" ]; then electron="$1"
      else usage
      fi
      shift ;;
  esac
done

# Where everything goes (under the prefix), and the paths as the running system sees them.
readonly LIB_DIR="/usr/lib/palisade"
readonly LAUNCHER="$LIB_DIR/palisaded"
readonly BUS_POLICY="/usr/share/dbus-1/system.d/org.palisade.Firewall1.conf"
readonly POLKIT_ACTIONS="/usr/share/polkit-1/actions/org.palisade.firewall.policy"
readonly UNIT="/usr/lib/systemd/system/palisaded.service"
readonly BUS_ACTIVATION="/usr/share/dbus-1/system-services/org.palisade.Firewall1.service"

on_real_system() { [ -z "$prefix" ]; }
systemd_running() { [ -d /run/systemd/system ]; }

if on_real_system && [ "$(id -u)" -ne 0 ]; then
  die "must run as root (or with --prefix DIR)"
fi

reload_dbus() {
  # dbus-daemon also notices new policy files by itself; this makes it immediate.
  if command -v busctl >/dev/null 2>&1; then
    busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig >/dev/null 2>&1 || true
  elif command -v dbus-send >/dev/null 2>&1; then
    dbus-send --system --type=method_call --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.ReloadConfig >/dev/null 2>&1 || true
  fi
}

# The launcher picks the runtime each time it starts, so installing or removing Node.js later
# just works. It finds palisaded.cjs next to itself.
write_launcher() {
  local target="$1"
  cat >"$target" <<LAUNCHER
#!/bin/sh
# Starts palisaded. Written by install-helper.sh; runs again after each install.
set -eu
here=\$(dirname "\$(readlink -f "\$0")")
node=$(sh_quote "$node")
electron=$(sh_quote "$electron")
if [ -x "\$node" ] && "\$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= $MIN_NODE_MAJOR ? 0 : 1)' 2>/dev/null; then
  exec "\$node" "\$here/palisaded.cjs" "\$@"
fi
if [ -n "\$electron" ] && [ -x "\$electron" ]; then
  ELECTRON_RUN_AS_NODE=1 exec "\$electron" "\$here/palisaded.cjs" "\$@"
fi
echo "palisaded: no runtime: install Node.js $MIN_NODE_MAJOR or newer, or reinstall Palisade" >&2
exit 1
LAUNCHER
  chmod 0755 "$target"
}

install_helper() {
  [ -n "$bundle" ] || usage
  [ -f "$bundle/palisaded.cjs" ] || die "$bundle does not contain palisaded.cjs"
  if [ -n "$electron" ]; then
    [ -x "$electron" ] || die "$electron is not an executable"
    electron="$(readlink -f "$electron")"
    case "$electron" in
      /tmp/*|/run/*) say "warning: $electron goes away when the app exits (an AppImage?); the helper will need Node.js $MIN_NODE_MAJOR+ to start later" ;;
    esac
  fi

  # Stage the new bundle next to the old one, then swap, so a failed copy leaves the old one.
  local lib="$prefix$LIB_DIR" staged="$prefix$LIB_DIR.new"
  rm -rf "$staged"
  mkdir -p "$staged"
  cp -R "$bundle/." "$staged/"
  find "$staged" -type d -exec chmod 0755 {} +
  find "$staged" -type f -exec chmod 0644 {} +
  write_launcher "$staged/palisaded"
  rm -rf "$lib"
  mv "$staged" "$lib"

  install -D -m 0644 "$SOURCE_DIR/org.palisade.Firewall1.conf" "$prefix$BUS_POLICY"
  install -D -m 0644 "$SOURCE_DIR/org.palisade.firewall.policy" "$prefix$POLKIT_ACTIONS"
  install -D -m 0644 "$SOURCE_DIR/palisaded.service" "$prefix$UNIT"
  install -D -m 0644 "$SOURCE_DIR/org.palisade.Firewall1.service" "$prefix$BUS_ACTIVATION"
  say "installed the helper in $prefix$LIB_DIR"

  if ! on_real_system; then
    say "--prefix given: D-Bus and systemd left alone"
    return
  fi
  reload_dbus
  if systemd_running; then
    local was_active=false
    systemctl is-active --quiet palisaded.service && was_active=true
    systemctl daemon-reload
    systemctl enable --now palisaded.service
    # enable --now leaves a running helper alone; restart it so the new code runs.
    if [ "$was_active" = true ]; then systemctl restart palisaded.service; fi
    say "palisaded.service enabled and running"
  else
    say "systemd is not running: the helper is installed but not started; run $LAUNCHER as root from your init system"
  fi
}

uninstall_helper() {
  if on_real_system && systemd_running; then
    systemctl disable --now palisaded.service >/dev/null 2>&1 || true
  fi
  rm -f "$prefix$BUS_POLICY" "$prefix$POLKIT_ACTIONS" "$prefix$UNIT" "$prefix$BUS_ACTIVATION"
  rm -rf "$prefix$LIB_DIR" "$prefix$LIB_DIR.new"
  if on_real_system; then
    if systemd_running; then systemctl daemon-reload; fi
    reload_dbus
    # Without its helper the table would keep filtering with nobody to change it.
    if command -v nft >/dev/null 2>&1 && nft list table inet palisade >/dev/null 2>&1; then
      nft delete table inet palisade
      say "removed the nftables table inet palisade"
    fi
  fi
  say "uninstalled; the policy in /etc/palisade is kept"
}

if [ "$uninstall" = true ]; then uninstall_helper; else install_helper; fi
