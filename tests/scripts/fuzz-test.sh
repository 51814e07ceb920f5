#!/usr/bin/env bash
# Bounded fuzzing for `make check`: builds tests/fuzz and runs every
# target over its committed corpus (tests/fuzz/corpus/TARGET, so an input
# that once crashed fails here again), then for a fixed number of new
# executions.  About 1.5 minutes on 2 cores including the build
# (docs/fuzzing.md); `make fuzz` is the long run.  Run by scripts/check;
# exits non-zero if any target crashes.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# New inputs and crashes go to the temporary directory: the committed
# corpus is only read.
FUZZ_WORK=$work "$top/scripts/fuzz" --runs "${FUZZ_RUNS:-300000}"
