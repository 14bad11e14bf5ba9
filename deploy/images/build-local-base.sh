#!/usr/bin/env bash
# Builds the container base image Salvo's images use where no registry can be reached: a minimal Debian
# root filesystem (debootstrap, minbase) with a Java 17 runtime made by jlink from the local JDK, imported
# into the Docker engine as salvo-base:local. Users with a registry need none of this: the images default
# to eclipse-temurin:17-jre. Idempotent: an existing salvo-base:local is kept unless --rebuild is given.
#
#   deploy/images/build-local-base.sh [--rebuild]
#
# Needs root (debootstrap), docker on PATH with DOCKER_HOST set or the default socket, debootstrap and a
# JDK 17 with jmods (JAVA_HOME, or the java on PATH).
set -euo pipefail
IMAGE=salvo-base:local
if [[ "${1:-}" != "--rebuild" ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE exists"
  exit 0
fi
JDK="${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}"
[[ -d "$JDK/jmods" ]] || { echo "no jmods under $JDK: install a full JDK 17 (Debian: openjdk-17-jdk)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
echo "debootstrap minbase bookworm from $MIRROR ..."
debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
# The modules Salvo's coordinator, worker and model server use (jdeps over their jars), plus the
# management and crypto providers the JVM loads by service lookup.
"$JDK/bin/jlink" --add-modules java.se,jdk.unsupported,jdk.management,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.zipfs,jdk.naming.dns,jdk.localedata \
  --strip-debug --no-header-files --no-man-pages --compress=2 --output "$WORK/rootfs/opt/java"
ln -s /opt/java/bin/java "$WORK/rootfs/usr/local/bin/java"
# Non-root by default; Jib's images set the same user.
echo 'salvo:x:65532:65532:salvo:/home/salvo:/usr/sbin/nologin' >>"$WORK/rootfs/etc/passwd"
echo 'salvo:x:65532:' >>"$WORK/rootfs/etc/group"
mkdir -p "$WORK/rootfs/home/salvo" && chown 65532:65532 "$WORK/rootfs/home/salvo"
rm -rf "$WORK/rootfs/var/cache/apt/archives"/*.deb "$WORK/rootfs/var/lib/apt/lists"/*
tar -C "$WORK/rootfs" -c . | docker import \
  -c 'ENV JAVA_HOME=/opt/java' -c 'ENV PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  - "$IMAGE" >/dev/null
echo "built $IMAGE"
