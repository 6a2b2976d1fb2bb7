#!/usr/bin/env bash
# make fuzz: builds hessian-fuzz with libFuzzer and AddressSanitizer (its own build directory,
# .build/fuzz) and runs each loader's harness for FUZZ_SECONDS (default 60), seeded from
# Tests/Fuzz and the test fixtures of its format. Prints, per harness, the executions, the
# coverage reached and what was found; a crash, leak, timeout or out-of-memory input is saved
# under .build/fuzz/artifacts/ and fails the run (copy it to Tests/Fuzz/regressions/<harness>/
# once fixed, so that `make test` replays it).
#
#   FUZZ_SECONDS=20 Scripts/fuzz.sh            # what CI runs
#   FUZZ_HARNESSES="onnx npy" Scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
harnesses="${FUZZ_HARNESSES:-safetensors npy npz idx cifar10 onnx}"
swift build --product hessian-fuzz --scratch-path .build/fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING 2>&1 | grep -v "ld.gold: warning" | tail -3
binary=.build/fuzz/debug/hessian-fuzz
mkdir -p .build/fuzz/artifacts
status=0
for h in $harnesses; do
  corpus=$(mktemp -d)
  for d in Tests/Fuzz/seeds/$h Tests/Fuzz/regressions/$h; do
    [ -d "$d" ] && cp "$d"/* "$corpus"/ 2>/dev/null || true
  done
  case $h in
    safetensors) find Tests/Fixtures -name '*.safetensors' -size -64k -exec cp {} "$corpus"/ \; ;;
    onnx) find Tests/Fixtures -name '*.onnx' -size -64k -exec cp {} "$corpus"/ \; ;;
  esac
  log=.build/fuzz/$h.log
  if HESSIAN_FUZZ_HARNESS=$h "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix=.build/fuzz/artifacts/$h- \
      "$corpus" >"$log" 2>&1; then
    result="no crash"
  else
    result="FOUND: $(grep -m1 -E 'ERROR|deadly signal|timeout|out-of-memory|leak' "$log" || echo 'see log')"
    status=1
  fi
  runs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  coverage=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1 || true)
  echo "$h: $runs executions in ${seconds}s, ${coverage:-cov: ?}, $result (log $log)"
  rm -rf "$corpus"
done
exit $status
