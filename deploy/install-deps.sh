#!/usr/bin/env bash
# Installs every Debian 12 package cleansweep needs to build, test and run.
# Idempotent: when everything is present it prints nothing and exits 0.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  # the contract and the RPC edge
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc libabsl-dev
  # capture (agent only)
  libpcap-dev
  # storage (collector, agent spool)
  libsqlite3-dev sqlite3
  # TLS material for development certificates
  openssl libssl-dev
  # command lines
  libcli11-dev
  # the collector's status page: HTTP(S) server (cpp-httplib 0.11, built with OpenSSL)
  libcpp-httplib-dev
  # the audit: complaint mails (MIME), DMARC aggregate reports (XML, .gz, .zip)
  libgmime-3.0-dev libxml2-dev zlib1g-dev libzip-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev tcpdump time iproute2 python3 procps
  # fault tests: agents on a fake clock (tests/fault/coverage_gap_test.py)
  faketime
  # outbreak e2e test (tests/e2e/outbreak/): the router's SNAT (nft) and the
  # internet's DNS answering MX (dnsmasq; -base has no system service)
  nftables dnsmasq-base
  # its browser test (tests/browser/): Debian's Chromium, driven headless by
  # playwright-core from npm (tests/browser/install.sh), and a font for its text
  chromium fonts-liberation
)
# Node.js and npm for playwright-core. Many machines already have a Node.js
# whose package brings its own npm and conflicts with Debian's npm package:
# Debian's two only where there is no npm at all.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to install: ${missing[*]} (run with sudo)" >&2
  exit 1
fi
echo "install-deps: installing ${#missing[@]} Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
