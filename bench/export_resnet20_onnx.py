#!/usr/bin/env python3
"""Exports the CIFAR ResNet-20 of bench/pytorch_models.py to ONNX for `hessian --model FILE.onnx`,
with Scripts/export_for_hessian.py (dynamo exporter, optimize=False, dynamic batch axis).

Two models, both in eval mode, both with the 200-image evaluation batch of
bench/out/trained (inputs.npy float32 [200,3,32,32], labels.npy int64 [200]):

  OUTDIR/resnet20.trained.onnx       weights: bench/out/trained/resnet20.trained.safetensors
                                     (bench/train_resnet20.py)
  OUTDIR/resnet20.random.onnx        weights: torch.manual_seed(0), then
                                     randomize_batchnorm(model, generator=torch.Generator()
                                     .manual_seed(0)), exactly as bench/make_inputs.py draws
                                     them (so they equal bench/out/resnet20.weights.safetensors
                                     when that file exists; checked)
  OUTDIR/resnet20.random.safetensors that random state dict (float32; num_batches_tracked int64)

plus, per model, NAME.inputs.npy / NAME.labels.npy (copies of the batch) next to the graph, and
the `hessian eigen` command on stdout. Each export is verified by export_for_hessian
(onnx.checker, initializer names = state-dict names, onnx.reference.ReferenceEvaluator vs
PyTorch on the batch and on a batch of 3), and the graph's parameters must be exactly
model.named_parameters() in order.

Usage (from the repository root):
    source bench/venv.sh && "$HESSIANKIT_PYTHON" bench/export_resnet20_onnx.py \
        [--outdir bench/out/onnx] [--data bench/out/trained] [--exporter dynamo|legacy]
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
sys.path.insert(0, os.path.join(ROOT, "Scripts"))
from export_for_hessian import export_for_hessian  # noqa: E402
from pytorch_models import randomize_batchnorm, resnet20  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--outdir", default=os.path.join(ROOT, "bench", "out", "onnx"))
    ap.add_argument("--data", default=os.path.join(ROOT, "bench", "out", "trained"),
                    help="directory with inputs.npy, labels.npy and resnet20.trained.safetensors")
    ap.add_argument("--exporter", choices=("dynamo", "legacy"), default="dynamo")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.outdir, exist_ok=True)

    x = np.load(os.path.join(args.data, "inputs.npy")).astype(np.float32)
    y = np.load(os.path.join(args.data, "labels.npy")).astype(np.int64)

    # Trained weights.
    trained = resnet20(num_classes=10)
    trained.load_state_dict(load_file(os.path.join(args.data, "resnet20.trained.safetensors")))

    # Random weights, drawn as bench/make_inputs.py draws them (seed 0).
    torch.manual_seed(0)
    random = resnet20(num_classes=10)
    randomize_batchnorm(random, generator=torch.Generator().manual_seed(0))
    state = {k: v.detach().clone().contiguous() for k, v in random.state_dict().items()}
    random_path = os.path.join(args.outdir, "resnet20.random.safetensors")
    save_file(state, random_path, metadata={"generator": "bench/export_resnet20_onnx.py: torch.manual_seed(0), "
                                                         "randomize_batchnorm(generator seed 0)"})
    existing = os.path.join(ROOT, "bench", "out", "resnet20.weights.safetensors")
    if os.path.exists(existing):
        other = load_file(existing)
        same = other.keys() == state.keys() and all(torch.equal(other[k], state[k]) for k in state)
        print(f"# random weights {'==' if same else '!='} {os.path.relpath(existing, ROOT)} "
              f"(bench/make_inputs.py seed 0)", file=sys.stderr)

    for name, model in (("trained", trained), ("random", random)):
        path = os.path.join(args.outdir, f"resnet20.{name}.onnx")
        t = time.perf_counter()
        r = export_for_hessian(model, x, path, labels=y, exporter=args.exporter, dynamic_batch=True)
        # The exported parameters must be every parameter of the model, in model order.
        assert r["parameter_order"] == [n for n, _ in model.named_parameters()], r["parameter_order"]
        sizes = {f: os.path.getsize(f) for f in (path, path + ".data", r["inputs"], r["labels"]) if os.path.exists(f)}
        print(f"# {name}: {time.perf_counter() - t:.1f} s; PyTorch loss {r['pytorch_loss']:.8f}; files "
              + ", ".join(f"{os.path.basename(f)} {s} B" for f, s in sizes.items()), file=sys.stderr)
    print(f"# random state dict: {random_path} ({os.path.getsize(random_path)} B)", file=sys.stderr)


if __name__ == "__main__":
    main()
