#!/usr/bin/env python3
"""Writes one benchmark problem so that hessian-bench and the PyTorch scripts time the
identical model and batch:

  OUTDIR/MODEL.weights.safetensors  a random state dict (PyTorch default init, non-trivial
                                    BatchNorm, see bench/pytorch_models.py), float32, with
                                    num_batches_tracked int64 (same layout as Tests/Fixtures)
  OUTDIR/inputs.npy                 float32 [BATCH, 3, 32, 32], standard normal
  OUTDIR/labels.npy                 int64 [BATCH], uniform in 0..9

Usage: make_inputs.py OUTDIR [--seed 0] [--batch 200] [--model resnet20]
Prints the three paths (weights, inputs, labels), one per line.
"""

import argparse
import os
import sys

import numpy as np
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_models import MODELS, randomize_batchnorm  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--model", choices=sorted(MODELS), default="resnet20")
    args = ap.parse_args()

    os.makedirs(args.outdir, exist_ok=True)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = MODELS[args.model](num_classes=10)
    randomize_batchnorm(model, generator=gen)
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    inputs = torch.randn(args.batch, 3, 32, 32, generator=gen, dtype=torch.float32)
    labels = torch.randint(0, 10, (args.batch,), generator=gen, dtype=torch.int64)

    weights_path = os.path.join(args.outdir, f"{args.model}.weights.safetensors")
    inputs_path = os.path.join(args.outdir, "inputs.npy")
    labels_path = os.path.join(args.outdir, "labels.npy")
    save_file(state, weights_path, metadata={"generator": f"bench/make_inputs.py {args.model} seed {args.seed}"})
    np.save(inputs_path, inputs.numpy())
    np.save(labels_path, labels.numpy())
    for p in (weights_path, inputs_path, labels_path):
        print(p)


if __name__ == "__main__":
    main()
