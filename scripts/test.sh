#!/usr/bin/env bash
# `npm test`: every suite in one run of Node's test runner, so the closing lines count them all.
# Unit and workflow tests need no services (workflow tests start their own Temporal dev server);
# integration and chaos tests need the local stack, so this starts a private one on its own ports and
# data directory (it never touches a developer's `npm run stack` on the default ports) and stops it after.
# The conformance suite (test/conformance) runs against the test stack's harbor-sim here; against any other
# Harbor use `npm run test:conformance` with HARBOR_URL and admin credentials.
#   scripts/test.sh [all|unit|integration|chaos|conformance] [extra node --test args]
#   scripts/test.sh files FILE.test.ts...   (only those files; the stack only if one of them needs it)
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${1:-all}
shift || true

export STACK_DIR=${TEST_STACK_DIR:-.data/test-stack}
# npm test runs on harbor-sim; real Harbor has its own script (scripts/test-real-harbor.sh).
export STACK_HARBOR=sim
# TEST_PORT_OFFSET moves the whole test stack, so two checkouts can test side by side.
o=${TEST_PORT_OFFSET:-0}
export STACK_TEMPORAL_PORT=$((17233 + o)) STACK_TEMPORAL_UI_PORT=$((18233 + o)) STACK_REGISTRY_PORT=$((15001 + o))
export STACK_HARBOR_PORT=$((18080 + o)) STACK_METRICS_PORT=$((19464 + o))
# Real Harbor's extra services (scripts/test-real-harbor.sh); unused by a harbor-sim stack.
export STACK_HARBOR_REGISTRY_PORT=$((15101 + o)) STACK_JOBSERVICE_PORT=$((18181 + o))
export STACK_POSTGRES_PORT=$((15433 + o)) STACK_REDIS_PORT=$((16380 + o)) STACK_SCANNER_PORT=$((18282 + o))

case "$suite" in
  unit) dirs=(test/unit test/workflows) ;;
  integration) dirs=(test/integration test/contract test/conformance) ;;
  chaos) dirs=(test/chaos) ;;
  conformance) dirs=(test/conformance) ;;
  all) dirs=(test/unit test/workflows test/integration test/contract test/conformance test/chaos) ;;
  files) dirs=() ;;
  *) echo "usage: scripts/test.sh [all|unit|integration|chaos|conformance|files FILE...]" >&2; exit 2 ;;
esac

files=()
if [ "$suite" = files ]; then files=("$@"); set --; fi
for d in ${dirs[@]+"${dirs[@]}"}; do
  [ -d "$d" ] && while IFS= read -r f; do files+=("$f"); done < <(find "$d" -name '*.test.ts' | sort)
done
if [ ${#files[@]} -eq 0 ]; then echo "no test files given or found" >&2; exit 1; fi

npx tsx scripts/tools.ts build
needs_stack=0
for f in "${files[@]}"; do case "$f" in test/integration/*|test/contract/*|test/conformance/*|test/chaos/*) needs_stack=1 ;; esac; done
if [ $needs_stack = 1 ]; then
  npx tsx dev/stack/cli.ts down >/dev/null 2>&1 || true
  rm -rf "$STACK_DIR"
  trap 'npx tsx dev/stack/cli.ts down >/dev/null 2>&1 || true' EXIT
  npx tsx dev/stack/cli.ts up
fi
eval "$(npx tsx dev/stack/cli.ts env)"

# One file at a time: integration files share the stack, and the machine has two cores.
node --import tsx --test --test-concurrency=1 --test-reporter=spec ${@+"$@"} "${files[@]}"
