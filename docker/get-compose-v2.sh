#!/usr/bin/env bash
# Installs Compose v2 (the Go `docker compose`, Debian trixie's docker-compose package) for the
# docker-compose test, without touching the system's docker-compose: the binary goes to
# target/tools/compose-v2/docker-compose (and is a `docker compose` CLI plugin when
# DOCKER_CONFIG=target/tools/compose-v2 is set). Prints the binary's path.
#
# Only Debian's archive is used, and everything is verified the way apt does: the InRelease file
# against the Debian archive keyring, the Packages index against InRelease, the .deb against
# the index.
#
#   bash docker/get-compose-v2.sh          # prints target/tools/compose-v2/docker-compose
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest=${COMPOSE_V2_DIR:-$root/target/tools/compose-v2}
bin=$dest/docker-compose
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${COMPOSE_V2_SUITE:-trixie}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

if [ -x "$bin" ] && "$bin" version 2>/dev/null | grep -q 'version v\?2\.'; then
  echo "$bin"
  exit 0
fi
for tool in curl gpgv xz dpkg-deb sha256sum; do
  command -v "$tool" >/dev/null || { echo "get-compose-v2.sh: $tool is missing" >&2; exit 2; }
done
[ -f "$keyring" ] || { echo "get-compose-v2.sh: $keyring is missing (apt-get install debian-archive-keyring)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch() { curl -fsS --retry 3 --max-time 300 -o "$2" "$1"; }

fetch "$mirror/dists/$suite/InRelease" "$tmp/InRelease"
gpgv --keyring "$keyring" --output "$tmp/Release" "$tmp/InRelease" 2>"$tmp/gpgv.log" \
  || { cat "$tmp/gpgv.log" >&2; echo "get-compose-v2.sh: bad signature on $suite/InRelease" >&2; exit 1; }
index=main/binary-amd64/Packages.xz
want=$(awk -v f="$index" '/^SHA256:/{s=1;next} /^[A-Za-z]/{s=0} s && $3==f {print $1}' "$tmp/Release")
[ -n "$want" ] || { echo "get-compose-v2.sh: $index not listed in $suite/Release" >&2; exit 1; }
fetch "$mirror/dists/$suite/$index" "$tmp/Packages.xz"
echo "$want  $tmp/Packages.xz" | sha256sum -c --quiet -
read -r file sha version < <(xz -dc "$tmp/Packages.xz" | awk '
  /^Package: /{p=($2=="docker-compose")} p&&/^Filename: /{f=$2} p&&/^SHA256: /{s=$2} p&&/^Version: /{v=$2}
  /^$/ && p {print f, s, v; exit}')
case $version in 2.*) ;; *) echo "get-compose-v2.sh: $suite has docker-compose $version, not 2.x" >&2; exit 1 ;; esac
fetch "$mirror/$file" "$tmp/compose.deb"
echo "$sha  $tmp/compose.deb" | sha256sum -c --quiet -
dpkg-deb -x "$tmp/compose.deb" "$tmp/x"
mkdir -p "$dest/cli-plugins"
install -m 755 "$tmp/x/usr/libexec/docker/cli-plugins/docker-compose" "$bin"
ln -sf ../docker-compose "$dest/cli-plugins/docker-compose"
echo "installed Compose $version from Debian $suite" >&2
"$bin" version >&2
echo "$bin"
