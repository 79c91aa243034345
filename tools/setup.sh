#!/usr/bin/env bash
# Installs what the build and the tests need, on a fresh machine as on a used one: Debian's
# QEMU, GRUB and ISO tools when missing, and node_modules (with porffor patched) when missing or
# older than package-lock.json / patches/. Does nothing when everything is in place.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
[ -d /usr/lib/grub/i386-pc ] || missing+=(grub-pc-bin)
command -v grub-mkrescue >/dev/null || missing+=(grub-common)
command -v xorriso >/dev/null || missing+=(xorriso)
command -v mformat >/dev/null || missing+=(mtools)
command -v gcc >/dev/null || missing+=(gcc)
command -v ld >/dev/null || missing+=(binutils)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp=node_modules/.tsmm-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ -n "$(find patches -newer "$stamp" -type f)" ]; then
  # npm install from the lock file rather than npm ci: npm 11 here writes lock files without the
  # optional per-platform packages (rollup's), which npm ci then calls out of sync.
  echo "setup: npm install"
  npm install --no-save --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
# A silently unpatched porffor would compile wrong code: make sure the patch is in.
grep -q "tsmm patch" node_modules/porffor/compiler/2c.js || { echo "setup: porffor is not patched" >&2; exit 1; }
