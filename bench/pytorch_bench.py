#!/usr/bin/env python3
"""PyTorch CPU baseline for `hessian-bench`: CIFAR ResNet-20, eval mode, cross-entropy (mean).

Prints ONE JSON object on stdout (everything else goes to stderr):

  forward_s       forward pass + loss, under torch.no_grad()
  gradient_s      forward + loss + torch.autograd.grad(loss, params)
  hvp_s           one PyHessian-style Hessian-vector product, counted in full:
                  forward + loss + torch.autograd.grad(loss, params, create_graph=True)
                  + torch.autograd.grad(grads, params, grad_outputs=v). This is what a
                  single HVP costs when nothing is cached (PyHessian pays the
                  create_graph gradient once in hessian.__init__, curvlinops and
                  hessian-eigenthings pay it on every HVP).
  hvp_block8_s    8 HVPs sharing one gradient graph: forward + loss + gradient with
                  create_graph=True once, then 8 x torch.autograd.grad(grads, params,
                  grad_outputs=v_i, retain_graph=True), as PyHessian's power iteration
                  / Hutchinson / SLQ loops do with their cached self.gradsH.
  peak_rss_bytes  resource.getrusage(RUSAGE_SELF).ru_maxrss * 1024 at exit (Linux
                  reports KiB), i.e. the peak over the whole process.

Each time is the median over --repeats repetitions after one untimed warm-up,
measured with time.perf_counter(). Directions v are random normal, drawn before
the clock starts. Default: torch.set_num_threads(2).

Data: --weights FILE.safetensors (a state dict as written by bench/make_inputs.py),
--inputs FILE.npy (float32 [N,3,32,32]), --labels FILE.npy (int64 [N]); anything
not given is random (seeded by --seed), with a batch of --batch images.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_models import MODELS, randomize_batchnorm  # noqa: E402


def load_setup(args):
    """Returns (model in eval mode, inputs, labels) from the options."""
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = MODELS[args.model](num_classes=10)
    if args.weights:
        from safetensors.torch import load_file
        model.load_state_dict(load_file(args.weights))
    else:
        randomize_batchnorm(model, generator=gen)
    model.eval()
    if args.inputs:
        inputs = torch.from_numpy(np.load(args.inputs)).float().contiguous()
    else:
        inputs = torch.randn(args.batch, 3, 32, 32, generator=gen)
    if args.labels:
        labels = torch.from_numpy(np.load(args.labels)).long()
    else:
        labels = torch.randint(0, 10, (inputs.shape[0],), generator=gen)
    assert labels.shape == (inputs.shape[0],), "labels must be [N] with N = inputs.shape[0]"
    return model, inputs, labels


def median_time(fn, repeats):
    fn()  # warm-up (allocator, oneDNN primitive caches)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", help="state dict (.safetensors)")
    ap.add_argument("--inputs", help="float32 inputs [N,3,32,32] (.npy)")
    ap.add_argument("--labels", help="int64 labels [N] (.npy)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--batch", type=int, default=200, help="batch size when --inputs is not given")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", choices=sorted(MODELS), default="resnet20")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    model, inputs, labels = load_setup(args)
    criterion = nn.CrossEntropyLoss(reduction="mean")
    params = [p for p in model.parameters() if p.requires_grad]
    gen = torch.Generator().manual_seed(args.seed + 1)
    vs = [[torch.randn(p.shape, generator=gen) for p in params] for _ in range(8)]

    def forward():
        with torch.no_grad():
            return criterion(model(inputs), labels)

    def gradient():
        loss = criterion(model(inputs), labels)
        return torch.autograd.grad(loss, params)

    def hvp():
        loss = criterion(model(inputs), labels)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        return torch.autograd.grad(grads, params, grad_outputs=vs[0])

    def hvp_block8():
        loss = criterion(model(inputs), labels)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        return [torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True) for v in vs]

    n_params = sum(p.numel() for p in params)
    print(f"pytorch_bench: torch {torch.__version__}, {torch.get_num_threads()} threads, {args.model} "
          f"({n_params} parameters), batch {inputs.shape[0]}, loss {forward().item():.8f}, "
          f"{args.repeats} repeats", file=sys.stderr)

    result = {}
    for key, fn in (("forward_s", forward), ("gradient_s", gradient), ("hvp_s", hvp), ("hvp_block8_s", hvp_block8)):
        med, times = median_time(fn, args.repeats)
        result[key] = med
        print(f"  {key}: median {med:.4f} s of " + ", ".join(f"{t:.4f}" for t in times), file=sys.stderr)
    result["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(result))


if __name__ == "__main__":
    main()
