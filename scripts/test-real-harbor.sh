#!/usr/bin/env bash
# Tests against real Harbor v2.15.2 (built from source by dev/harbor-real/build.ts): starts a private stack
# with `--harbor real` on its own ports and data directory, runs the given test files (default: every
# *.test.ts under test/real-harbor) with the stack's environment, and stops the stack afterwards.
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
[ ${#targets[@]} -eq 0 ] && targets=(test/real-harbor)
files=()
for t in "${targets[@]}"; do
  if [ -d "$t" ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find "$t" -name '*.test.ts' | sort)
  else
    files+=("$t")
  fi
done
if [ ${#files[@]} -eq 0 ]; then echo "no test files in ${targets[*]}" >&2; exit 1; fi

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
echo "real Harbor: tools and Harbor build check $((t1 - t0))s, stack up (fresh) $((t2 - t1))s"
eval "$(npx tsx dev/stack/cli.ts env)"

node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
echo "real Harbor: tests $(( $(now) - t2 ))s"
