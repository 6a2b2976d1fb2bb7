#!/usr/bin/env bash
# nanoGPT-sized transformer (6 layers, 6 heads, width 192, context 128, vocabulary 65 as
# Shakespeare-char: 2,706,624 parameters; batch 16 sequences; mean cross-entropy over all
# tokens), exported from PyTorch: HessianKit's `hessian` CLI against PyTorch double backward
# (bench/nanogpt.py time) in the same run, on the random (nanoGPT initialisation) and the
# trained model. Prints one side-by-side table per model.
#
# Usage: bench/compare-nanogpt.sh
# Environment:
#   THREADS (default 2)         torch.set_num_threads and hessian --threads
#   REPEATS (default 3)         PyTorch: median of REPEATS after a warm-up; ours: REPEATS runs
#                               of each hvp command (median seconds) after one warm-up run
#   EIGEN_REPEATS (default 1)   runs of the top-1 eigenvalue on each side (median)
#   TRAIN_STEPS (default 300)   Adam steps of the trained model (bench/nanogpt.py export)
#   WHICH (default "random trained")
#   SKIP_DETERMINISM_CHECK (default 1): pass --skip-determinism-check to hessian (its help:
#                               products then recompute their primal values, about a third
#                               slower); 0 runs hessian's determinism check instead
#   OUT (default bench/out/nanogpt)  problem files (written once) and results/
#   TINY=1                      a 2-layer, width-32, context-16, batch-2 model in OUT (default
#                               bench/out/nanogpt-tiny): a functional check only
# Creates the Python venv on first use (bench/venv.sh).
#
# What is compared (see bench/nanogpt.py for the PyTorch definitions):
#   ours "hvp k=1" / "hvp k=8": the `seconds` of `hessian hvp --vector v1.npy` ([1,n]) and
#     `--vector v8.npy` ([8,n]): the whole command (ONNX and data loading, the products, and
#     the loss and gradient it reports); against PyTorch hvp_full_s / hvp_block8_full_s
#     (forward + create_graph gradient + 1 or 8 double-backward passes; no loading).
#   "k=8 - k=1": our difference of the two commands (7 more HVPs; hessian computes all k in
#     one pass) against PyTorch hvp_block8_full_s - hvp_full_s (7 more double-backward
#     passes on the kept graph); "per HVP" divides it by 7, against PyTorch hvp_s (one
#     double-backward pass on a kept graph).
#   top-1 eigenvalue: `hessian eigen --top 1` (Lanczos, tolerance 1e-3, with its deflation
#     check) against scipy eigsh(k=1, which='LA', tol=1e-3) on kept-graph HVPs.
#   peak RSS: ours, /usr/bin/time -v "Maximum resident set size" of each command (max over
#     its runs); PyTorch, VmHWM of a fresh Python process performing that measurement once.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bench/venv.sh
source bench/venv.sh   # sets HESSIANKIT_PYTHON, creating the venv if missing
# shellcheck source=bench/openblas-core.sh
source bench/openblas-core.sh   # hessian_bench_env (OPENBLAS_CORETYPE on AVX-512 CPUs)

threads="${THREADS:-2}"
repeats="${REPEATS:-3}"
eigen_repeats="${EIGEN_REPEATS:-1}"
train_steps="${TRAIN_STEPS:-300}"
which_list="${WHICH:-random trained}"
export_args=(--train-steps "$train_steps")
if [ "${TINY:-0}" = 1 ]; then
  out="${OUT:-bench/out/nanogpt-tiny}"
  export_args+=(--tiny)
else
  out="${OUT:-bench/out/nanogpt}"
fi
results="$out/results"
mkdir -p "$results"
scratch="$(mktemp -d /tmp/nanogpt-compare.XXXXXX)"
trap 'rm -rf "$scratch"' EXIT

echo "== problem files -> $out/ (bench/nanogpt.py export; skipped when present)" >&2
"$HESSIANKIT_PYTHON" bench/nanogpt.py export "$out" "${export_args[@]}" >/dev/null
read -r n input < <("$HESSIANKIT_PYTHON" -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(m["parameter_count"], m["graph_input"])' "$out/nanogpt.json")
echo "   $n parameters (tied weight once), graph input $input" >&2

# Random directions in model.parameters() order: [1, n] and [8, n] float32.
"$HESSIANKIT_PYTHON" - "$out" "$n" <<'EOF'
import sys, numpy as np
out, n = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(4)
np.save(f"{out}/v1.npy", rng.standard_normal((1, n)).astype(np.float32))
np.save(f"{out}/v8.npy", rng.standard_normal((8, n)).astype(np.float32))
EOF

echo "== building hessian (release)" >&2
swift build -c release --product hessian >&2
bin="$(swift build -c release --show-bin-path)/hessian"

# run_ours TAG ARGS...: one hessian command under /usr/bin/time -v; JSON and time log in results/.
run_ours() {
  local tag="$1"
  shift
  if ! /usr/bin/time -v -o "$results/$tag.time" \
    ${hessian_bench_env[@]+"${hessian_bench_env[@]}"} "$bin" "$@" \
    --json "$results/$tag.json" >"$results/$tag.log" 2>&1; then
    echo "compare-nanogpt: hessian $* failed:" >&2
    cat "$results/$tag.log" "$results/$tag.time" >&2
    exit 1
  fi
}

for which in $which_list; do
  common=(--model "$out/nanogpt.$which.onnx" --input "$input=$out/idx.npy"
    --labels "$out/targets.npy" --threads "$threads" --quiet)
  if [ "${SKIP_DETERMINISM_CHECK:-1}" = 1 ]; then common+=(--skip-determinism-check); fi

  echo "== $which: PyTorch (bench/nanogpt.py time)" >&2
  "$HESSIANKIT_PYTHON" bench/nanogpt.py time "$out" --which "$which" --repeats "$repeats" \
    --eigen-repeats "$eigen_repeats" --threads "$threads" >"$results/pytorch.$which.json"

  echo "== $which: HessianKit (hessian hvp k=1 warm-up, then $repeats x k=1 and k=8; eigen x $eigen_repeats)" >&2
  run_ours "ours.$which.warmup" hvp "${common[@]}" --vector "$out/v1.npy" --out "$scratch/hv1.npy"
  for r in $(seq "$repeats"); do
    run_ours "ours.$which.hvp1.$r" hvp "${common[@]}" --vector "$out/v1.npy" --out "$scratch/hv1.npy"
    run_ours "ours.$which.hvp8.$r" hvp "${common[@]}" --vector "$out/v8.npy" --out "$scratch/hv8.npy"
  done
  for r in $(seq "$eigen_repeats"); do
    run_ours "ours.$which.eigen.$r" eigen --top 1 "${common[@]}"
  done
done

# shellcheck disable=SC2086  # which_list: one word per model
"$HESSIANKIT_PYTHON" - "$results" "$repeats" "$eigen_repeats" "$n" "$bin" $which_list <<'EOF'
import json, re, statistics, subprocess, sys

results, repeats, eigen_repeats, n, binary = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
which_list = sys.argv[6:]

def rss(tag):
    text = open(f"{results}/{tag}.time").read()
    return int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) * 1024

def ours_runs(which, kind, count):
    runs = [json.load(open(f"{results}/ours.{which}.{kind}.{r}.json")) for r in range(1, count + 1)]
    peak = max(rss(f"ours.{which}.{kind}.{r}") for r in range(1, count + 1))
    return runs, statistics.median(r["seconds"] for r in runs), peak

def s(x): return "-" if x is None else f"{x:.4f} s"
def mib(x): return "-" if x is None else f"{x / 2**20:.1f} MiB"
def num(x): return "-" if x is None else f"{x:.6g}"
def cnt(x): return "-" if x is None else f"{x}"

version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
summary = {"hessian_version": version, "parameter_count": n, "models": {}}
for which in which_list:
    pt = json.load(open(f"{results}/pytorch.{which}.json"))
    h1, h1_s, h1_rss = ours_runs(which, "hvp1", repeats)
    h8, h8_s, h8_rss = ours_runs(which, "hvp8", repeats)
    eg, eg_s, eg_rss = ours_runs(which, "eigen", eigen_repeats)
    for doc in h1 + h8:
        assert doc["parameter_count"] == n == pt["parameter_count"], \
            f"parameter counts differ: hessian {doc['parameter_count']}, export {n}, PyTorch {pt['parameter_count']}"
    peaks = pt.get("peak_rss_bytes", {})
    ours_diff = h8_s - h1_s
    pt_diff = pt["hvp_block8_full_s"] - pt["hvp_full_s"]
    rows = [
        # label, ours, pytorch, formatter, ratio?
        ("forward + loss", None, pt["forward_s"], s),
        ("gradient (forward + backward)", None, pt["gradient_s"], s),
        ("gradient, create_graph=True", None, pt["gradient_graph_s"], s),
        ("HVP k=1: command / full", h1_s, pt["hvp_full_s"], s),
        ("HVP k=8: command / full", h8_s, pt["hvp_block8_full_s"], s),
        ("k=8 minus k=1 (7 HVPs)", ours_diff, pt_diff, s),
        ("per HVP: (k8-k1)/7 / kept graph", ours_diff / 7, pt["hvp_s"], s),
        ("8 HVPs, kept graph only", None, pt["hvp_block8_s"], s),
        ("top-1 eigen: seconds", eg_s, pt["eigen_s"], s),
        ("top-1 eigen: HVPs", eg[0]["hvp_count"], pt["eigen_hvp_count"], cnt),
        ("top-1 eigenvalue", eg[0]["eigenvalues"][0], pt["eigen_value"], num),
        ("loss", h1[0]["loss"], pt["loss"], num),
        ("peak RSS: HVP k=1", h1_rss, peaks.get("hvp"), mib),
        ("peak RSS: HVP k=8", h8_rss, peaks.get("hvp_block8"), mib),
        ("peak RSS: top-1 eigen", eg_rss, peaks.get("eigen"), mib),
        ("peak RSS: loaded, nothing run", None, peaks.get("baseline"), mib),
    ]
    print(f"\n== {which} model: {n} parameters, batch {pt['batch']}, {pt['threads']} threads, "
          f"PyTorch {pt['versions']['torch']}, {version or 'hessian'}")
    print(f"{'measure':<34} {'ours':>14} {'pytorch':>14} {'ours/pytorch':>13}")
    table = []
    for label, a, b, fmt in rows:
        ratio = f"{a / b:.3f}" if a is not None and b not in (None, 0) and fmt is not num else "-"
        print(f"{label:<34} {fmt(a):>14} {fmt(b):>14} {ratio:>13}")
        table.append({"measure": label, "ours": a, "pytorch": b})
    print(f"   ours: eigen converged {eg[0].get('converged')}, verified {eg[0].get('verified')}; "
          f"hvp seconds of {repeats} runs k=1 " + ", ".join(f"{r['seconds']:.3f}" for r in h1)
          + ", k=8 " + ", ".join(f"{r['seconds']:.3f}" for r in h8))
    summary["models"][which] = {"table": table, "pytorch": pt,
                                "ours": {"hvp1": h1, "hvp8": h8, "eigen": eg,
                                         "peak_rss_bytes": {"hvp1": h1_rss, "hvp8": h8_rss, "eigen": eg_rss}}}
print("\nours: whole `hessian` commands (loading included); PyTorch: in-process, model loaded; "
      "peak RSS: ours /usr/bin/time -v, PyTorch VmHWM of a fresh process per measurement.")
with open(f"{results}/summary.json", "w") as fh:
    json.dump(summary, fh, indent=1)
EOF
