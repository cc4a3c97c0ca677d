#!/bin/sh
# Git pre-commit hook: refuse a commit whose Istio YAML has errors or whose route tests fail.
# Install: cp examples/ci/pre-commit-hook.sh .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit
# (or, with the pre-commit framework, see examples/ci/pre-commit-config.yaml).
# Set CONFIG and TESTS to your layout; meshroute must be on PATH.
CONFIG=${MESHROUTE_CONFIG:-examples/ci/shop}
TESTS=${MESHROUTE_TESTS:-examples/ci/tests}

# Only when routing files are part of the commit.
git diff --cached --name-only --diff-filter=ACMR | grep -q -e "^$CONFIG" -e "^$TESTS" || exit 0

meshroute check -f "$CONFIG" || {
    echo "pre-commit: meshroute check found errors (suppress one with --suppress 'CODE=Kind name.namespace')" >&2
    exit 1
}
meshroute test -f "$CONFIG" "$TESTS" || {
    echo "pre-commit: route tests fail" >&2
    exit 1
}
# What the commit changes for traffic, for the author to read (never blocks).
meshroute diff --git HEAD "$CONFIG" || true
