#!/usr/bin/env bash
# Development PKI for cleansweep: a CA, a collector server certificate and an
# enrollment secret.
#
#   deploy/pki.sh DIR [HOSTNAME...]
#
# Creates in DIR (kept if they already exist, so re-running is safe):
#   ca.pem, ca.key          development CA (agents pin ca.pem with --ca)
#   server.pem, server.key  collector certificate signed by the CA; SANs:
#                           localhost, 127.0.0.1, ::1 and every HOSTNAME given
#                           (names or IP addresses)
#   enroll-secret           random enrollment secret, mode 0600 (collector
#                           --enroll-secret-file, and agent --enroll-secret-file
#                           for its first start; agents then keep their own
#                           node key)
# Private keys are mode 0600. For production use your own CA and keep ca.key
# off the collector host.
set -euo pipefail

usage() {
  echo "usage: $0 DIR [HOSTNAME...]" >&2
  exit 2
}
[[ $# -ge 1 ]] || usage
case "$1" in -h|--help) usage ;; esac
dir=$1
shift
command -v openssl >/dev/null || { echo "$0: openssl not found (apt-get install openssl)" >&2; exit 1; }

mkdir -p "$dir"
umask 077
made=()

if [[ ! -s "$dir/ca.key" || ! -s "$dir/ca.pem" ]]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 3650 \
    -subj "/O=cleansweep development/CN=cleansweep development CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  chmod 0644 "$dir/ca.pem"
  made+=("ca.pem, ca.key")
  new_ca=1
fi

# A new CA invalidates any older server certificate.
if [[ -n ${new_ca:-} || ! -s "$dir/server.key" || ! -s "$dir/server.pem" ]]; then
  sans="DNS:localhost,IP:127.0.0.1,IP:::1"
  for h in "$@"; do
    if [[ $h =~ ^[0-9.]+$ || $h == *:* ]]; then sans+=",IP:$h"; else sans+=",DNS:$h"; fi
  done
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/server.key" -out "$tmp/server.csr" \
    -subj "/O=cleansweep development/CN=${1:-localhost}" 2>/dev/null
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" "subjectAltName=$sans" > "$tmp/ext.cnf"
  openssl x509 -req -in "$tmp/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -CAserial "$tmp/ca.srl" -days 825 -sha256 \
    -extfile "$tmp/ext.cnf" -out "$dir/server.pem" 2>/dev/null
  chmod 0644 "$dir/server.pem"
  made+=("server.pem, server.key (SANs $sans)")
fi

if [[ ! -s "$dir/enroll-secret" ]]; then
  (umask 077 && openssl rand -hex 32 > "$dir/enroll-secret")
  made+=("enroll-secret")
fi

if [[ ${#made[@]} -eq 0 ]]; then
  echo "pki.sh: $dir already complete; nothing made"
else
  for m in "${made[@]}"; do echo "pki.sh: made $m in $dir"; done
fi
