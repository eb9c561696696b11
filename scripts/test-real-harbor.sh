#!/usr/bin/env bash
# Tests against real Harbor v2.15.2 (built from source by dev/harbor-real/build.ts): starts a private stack
# with `--harbor real` on its own ports and data directory, runs the given test files or directories with the
# stack's environment, and stops the stack afterwards. Default: test/conformance (the Harbor conformance
# suite, as the stack's admin: `stack env` exports HARBOR_ADMIN_*) and test/real-harbor (the stack itself,
# the scanner adapter, doctor, and the CLI end to end). Each argument is one part, timed on its own; every
# part runs even when an earlier one fails, and the exit code is non-zero if any failed.
#   scripts/test-real-harbor.sh [file-or-dir ...]
# TEST_PORT_OFFSET (default 50) moves every port; TEST_STACK_DIR (default .data/real-harbor-test) the data.
# TEST_REAL_HARBOR_KEEP=1 leaves the stack running for a look afterwards (`npx tsx dev/stack/cli.ts down`
# with the same STACK_DIR stops it).
set -euo pipefail
cd "$(dirname "$0")/.."

export STACK_DIR=${TEST_STACK_DIR:-.data/real-harbor-test}
export STACK_HARBOR=real
o=${TEST_PORT_OFFSET:-50}
export STACK_TEMPORAL_PORT=$((17233 + o)) STACK_TEMPORAL_UI_PORT=$((18233 + o)) STACK_REGISTRY_PORT=$((15001 + o))
export STACK_HARBOR_PORT=$((18080 + o)) STACK_METRICS_PORT=$((19464 + o))
export STACK_HARBOR_REGISTRY_PORT=$((15101 + o)) STACK_JOBSERVICE_PORT=$((18181 + o))
export STACK_POSTGRES_PORT=$((15433 + o)) STACK_REDIS_PORT=$((16380 + o)) STACK_SCANNER_PORT=$((18282 + o))

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(test/conformance test/real-harbor)
# One part per argument: its test files, sorted (test/real-harbor/stack.test.ts restarts the stack last).
parts=()
for t in "${targets[@]}"; do
  if [ -d "$t" ]; then
    n=$(find "$t" -name '*.test.ts' | wc -l)
    [ "$n" -gt 0 ] || { echo "no test files in $t" >&2; exit 1; }
  elif [ ! -f "$t" ]; then
    echo "no such test file or directory: $t" >&2; exit 1
  fi
  parts+=("$t")
done

now() { date +%s; }
t0=$(now)
npx tsx scripts/tools.ts build
npx tsx dev/harbor-real/build.ts
t1=$(now)
npx tsx dev/stack/cli.ts down >/dev/null 2>&1 || true
rm -rf "$STACK_DIR"
[ "${TEST_REAL_HARBOR_KEEP:-0}" = 1 ] || trap 'npx tsx dev/stack/cli.ts down >/dev/null 2>&1 || true' EXIT
npx tsx dev/stack/cli.ts up
t2=$(now)
eval "$(npx tsx dev/stack/cli.ts env)"
# The workflow bundle once for every worker the tests start (webpack takes ~20 s per worker otherwise).
export WORKER_WORKFLOW_BUNDLE="$STACK_DIR/workflow-bundle.js"
npx tsx src/worker/bundle.ts "$WORKER_WORKFLOW_BUNDLE"
t3=$(now)

times=("tools and Harbor build check $((t1 - t0))s" "stack up (fresh) $((t2 - t1))s" "workflow bundle $((t3 - t2))s")
failed=()
for part in "${parts[@]}"; do
  files=()
  if [ -d "$part" ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find "$part" -name '*.test.ts' | sort)
  else
    files=("$part")
  fi
  echo; echo "=== real Harbor: $part (${#files[@]} files)"
  p0=$(now)
  # One file at a time: they share the stack, and the machine may have two cores.
  node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}" || failed+=("$part")
  times+=("$part $(( $(now) - p0 ))s")
done

echo; echo "real Harbor: total $(( $(now) - t0 ))s"
for t in "${times[@]}"; do echo "  $t"; done
if [ ${#failed[@]} -gt 0 ]; then echo "real Harbor: FAILED: ${failed[*]}" >&2; exit 1; fi
