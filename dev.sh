#!/usr/bin/env bash
# The two commands a newcomer needs. Both set up what is missing first:
#   sudo ./dev.sh app    run Palisade (today: the engine in an isolated lab, see README)
#   sudo ./dev.sh test   run every test suite
#   sudo ./dev.sh bench  run the benchmarks (also installs ufw, iptables and wrk to compare with)
# Setup = Debian packages (nftables, nmap, iproute2, …) via apt-get, then `npm ci` when
# node_modules does not match package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"

# nftables/nmap/iproute2/…: the kernel firewall and the test lab; dbus-daemon, polkitd: the
# helper's private test bus and a real polkit; ncat/socat: test listeners; libxml2-utils,
# libdbus-1-dev (the bus DTD), shellcheck, systemd (systemd-analyze): checks of build/linux;
# chromium + fonts-noto-cjk: the renderer in the lab and its tests (Japanese needs the CJK font).
APT_PACKAGES=(nftables nmap iproute2 iputils-ping conntrack procps util-linux passwd dbus-daemon polkitd ncat socat
  libxml2-utils libdbus-1-dev shellcheck systemd chromium fonts-noto-cjk)
# command (or file) → package, to find what is missing without asking dpkg about every package.
declare -A PROVIDES=([nft]=nftables [nmap]=nmap [ip]=iproute2 [ping]=iputils-ping [conntrack]=conntrack [ps]=procps
  [unshare]=util-linux [useradd]=passwd [dbus-daemon]=dbus-daemon [pkaction]=polkitd [ncat]=ncat [socat]=socat
  [xmllint]=libxml2-utils [/usr/share/xml/dbus-1/busconfig.dtd]=libdbus-1-dev [shellcheck]=shellcheck
  [systemd-analyze]=systemd [chromium]=chromium [/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc]=fonts-noto-cjk)

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

setup() {
  local missing=()
  for need in "${!PROVIDES[@]}"; do
    if [[ $need == /* ]]; then [ -e "$need" ] || missing+=("${PROVIDES[$need]}")
    else command -v "$need" >/dev/null 2>&1 || missing+=("${PROVIDES[$need]}"); fi
  done
  if [ "${#missing[@]}" -gt 0 ] || [ "${FORCE_APT:-0}" = 1 ]; then
    echo "Installing Debian packages: ${APT_PACKAGES[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}"
  fi
  # npm ci only when node_modules was not installed from this exact package-lock.json.
  local lock_hash
  lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ "$(cat node_modules/.installed-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
    npm ci --no-audit --no-fund
    echo "$lock_hash" > node_modules/.installed-lock-hash
  fi
}

# The benchmarks compare with ufw (on iptables) and drive connections with wrk. ufw is only ever
# run inside a lab namespace with a private /etc/ufw; installing it does not enable it.
BENCH_PACKAGES=(ufw iptables wrk)

bench_setup() {
  local missing=()
  for p in "${BENCH_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing Debian packages for the benchmarks: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

case "${1:-}" in
  app) setup; exec npm run --silent lab ;;
  bench) setup; bench_setup; shift; exec npm run --silent bench -- "$@" ;;
  test) setup; exec npm test ;;
  setup) setup ;;
  *) echo "usage: $0 app|test|bench [--quick]|setup" >&2; exit 2 ;;
esac
