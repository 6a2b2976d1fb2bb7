#!/usr/bin/env bash
# Times the analysis tasks of issue 3 on the benchmark problem (ResNet-20, batch 200, eval
# mode, cross-entropy mean; the same files as compare-pytorch.sh): HessianKit's hessian-bench
# analysis tasks and PyHessian / curvlinops + eigsh / hessian-eigenthings
# (bench/pytorch_analysis_bench.py), in the same run, and prints seconds, HVPs and the ratios.
#
# Usage: bench/compare-analysis.sh
# Environment: WEIGHTS (default "random trained": the random benchmark weights of
#   bench/make_inputs.py, then the trained ones of bench/train_resnet20.py, trained on first use
#   and reused), SEED (default 0), BATCH (default 200),
#   TASKS (hessian-bench analysis tasks, default "top1,top5,trace-max64,trace-hpp10-max84";
#   see AnalysisTasks.swift. Plain "trace" runs to 1% standard error, which on this problem
#   takes about 7,400 HVPs (Hutch++ with a 10-vector sketch: about 5,200), hours of CPU),
#   METHODS (pytorch_analysis_bench.py methods, default PyHessian and curvlinops top-1/top-5
#   and PyHessian's trace).
# Wall-clock ratios mean something only on an otherwise idle machine: check `uptime` first.
# Outputs go to bench/out/ (random) and bench/out/trained/: ours-analysis.json,
# pytorch-analysis.json. The float64 ground truth for the errors: bench/eigsh_reference.py.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/venv.sh
source bench/venv.sh
# shellcheck source=bench/openblas-core.sh
source bench/openblas-core.sh

out=bench/out
mkdir -p "$out"
seed="${SEED:-0}"
batch="${BATCH:-200}"
tasks="${TASKS:-top1,top5,trace-max64,trace-hpp10-max84}"
methods="${METHODS:-pyhessian_top1,pyhessian_top5,curvlinops_top1,curvlinops_top5,pyhessian_trace}"

swift build -c release --product hessian-bench >&2
for weights in ${WEIGHTS:-random trained}; do
case "$weights" in
  random)
    echo "== problem: random resnet20, batch $batch, seed $seed -> $out/ (load: $(uptime))" >&2
    "$HESSIANKIT_PYTHON" bench/make_inputs.py "$out" --seed "$seed" --batch "$batch" >/dev/null
    data_args=(--weights "$out/resnet20.weights.safetensors" --inputs "$out/inputs.npy"
      --labels "$out/labels.npy")
    run="$out" ;;
  trained)
    # Trained once (about 5 minutes on 2 cores) and reused: bench/train_resnet20.py.
    "$HESSIANKIT_PYTHON" bench/train_resnet20.py "$out/trained" --batch "$batch" >/dev/null
    echo "== problem: trained resnet20, batch $batch, seed $seed -> $out/trained/ (load: $(uptime))" >&2
    data_args=(--weights "$out/trained/resnet20.trained.safetensors"
      --inputs "$out/trained/inputs.npy" --labels "$out/trained/labels.npy")
    run="$out/trained" ;;
  *) echo "compare-analysis: WEIGHTS must list random and/or trained, got '$weights'" >&2; exit 64 ;;
esac

echo "== HessianKit: $tasks" >&2
"${hessian_bench_env[@]}" swift run -c release --skip-build hessian-bench "${data_args[@]}" --seed "$seed" --tasks "$tasks" \
  > "$run/ours-analysis.raw"
echo "== PyTorch: $methods" >&2
"$HESSIANKIT_PYTHON" bench/pytorch_analysis_bench.py "${data_args[@]}" --seed "$seed" \
  --methods "$methods" > "$run/pytorch-analysis.raw"

"$HESSIANKIT_PYTHON" - "$run" "$weights" <<'PY'
import json, sys

out = sys.argv[1]
print(f"== {sys.argv[2]} weights")

def last_json(path):
    for line in reversed(open(path).read().splitlines()):
        if line.strip().startswith("{"):
            return json.loads(line)
    sys.exit(f"compare-analysis: no JSON object in {path}")

ours = last_json(f"{out}/ours-analysis.raw")
theirs = last_json(f"{out}/pytorch-analysis.raw")["results"]
json.dump(ours, open(f"{out}/ours-analysis.json", "w"), indent=1)
json.dump(theirs, open(f"{out}/pytorch-analysis.json", "w"), indent=1)

tasks = sorted(k[: -len("_hvps")] for k in ours
               if k.endswith("_hvps") and not k.endswith("_check_hvps"))
print(f"{'task':<18} {'ours s':>8} {'HVPs':>5}   {'reference':<16} {'s':>8} {'HVPs':>5} "
      f"{'ref/ours':>8}")
for task in tasks:
    kind = "trace" if task.startswith("trace") else task.split("-")[0]
    refs = [m for m in theirs if m.endswith("_" + kind) and "error" not in theirs[m]]
    s, h = ours[f"{task}_s"], ours[f"{task}_hvps"]
    if not refs:
        print(f"{task:<18} {s:8.1f} {h:5d}")
    for m in refs:
        r = theirs[m]
        print(f"{task:<18} {s:8.1f} {h:5d}   {m:<16} {r['seconds']:8.1f} {r['hvps']:5d} "
              f"{r['seconds'] / s:7.2f}x")
PY
done
