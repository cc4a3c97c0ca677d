#!/usr/bin/env sh
# The entrypoint of the official envoyproxy/envoy image, re-written from what
# envoyproxy/envoy distribution/docker/docker-entrypoint.sh does (v1.3x):
#   - arguments that start with "-" are Envoy's options: "envoy" is put in front of them;
#   - $loglevel, when set, adds `--log-level $loglevel` to an envoy command;
#   - started as root, and unless ENVOY_UID=0, the command runs as the unprivileged `envoy` user
#     (su-exec): its uid/gid first changed to $ENVOY_UID/$ENVOY_GID when those are set, and
#     /dev/stdout and /dev/stderr handed to it so that Envoy can log to them.
# So with the official image the meshroute files mounted at /etc/meshroute are read by a
# non-root user: they must be world-readable (docker/reload.sh makes them so).
set -e

case "$1" in
  -*) set -- envoy "$@" ;;
esac

if [ "$1" = envoy ] && [ -n "${loglevel:-}" ]; then
  set -- "$@" --log-level "$loglevel"
fi

if [ "$(id -u)" = 0 ] && [ "${ENVOY_UID:-}" != 0 ]; then
  if [ -n "${ENVOY_UID:-}" ]; then usermod -u "$ENVOY_UID" envoy; fi
  if [ -n "${ENVOY_GID:-}" ]; then groupmod -g "$ENVOY_GID" envoy; fi
  chown envoy:envoy /dev/stdout /dev/stderr
  exec su-exec envoy "$@"
fi
exec "$@"
