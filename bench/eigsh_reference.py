#!/usr/bin/env python3
"""Float64 ground truth for extreme Hessian eigenvalues: SciPy eigsh (ARPACK, implicitly
restarted Lanczos) on the exact Hessian-vector product of PyTorch double backward.

  * The model (bench/pytorch_models.py, default resnet20) is loaded from --weights (a state
    dict as written by bench/make_inputs.py or bench/train_resnet20.py), put in EVAL mode
    (BatchNorm uses its running statistics) and converted, with the data, to float64.
  * Loss: mean cross-entropy over the whole batch (--inputs float32 [N,3,32,32] .npy,
    --labels int64 [N] .npy).
  * HVP: the gradient graph is built once, g = autograd.grad(loss, params,
    create_graph=True); each product is autograd.grad(g, params, grad_outputs=v,
    retain_graph=True), i.e. the gradient of g.v, exact up to float64 rounding.
  * The flat vector order is model.parameters() order (buffers excluded), the same as
    HessianKit's.
  * eigsh(k=--k, which='LA' and/or 'SA', tol=--tol, v0 = standard normal from
    numpy.random.default_rng(--seed)). Each returned pair is checked with one more HVP:
    residual ||Hv - lambda v|| (v has unit norm), also reported relative to |lambda|.

Output (--out, JSON; also printed on stdout): for each `which`, the eigenvalues sorted (LA
descending, SA ascending), their residuals, HVPs spent by eigsh and by the residual check,
seconds, whether ARPACK converged; plus loss, parameter count, torch/scipy/numpy
versions, threads and the full command. --vectors FILE.npz optionally saves the eigenvectors
(float64, one row per eigenvalue, same order).

Cost (measured 2026-12-03, one thread on a busy 2-core machine): one float64 ResNet-20 HVP at
batch 200 took 15-28 s; the top 10 at tol 1e-8 took 35 HVPs (trained weights) and 64 (random),
about 20 minutes each. The smallest end converges far more slowly (hundreds of HVPs).

Usage: eigsh_reference.py --weights W.safetensors --inputs X.npy --labels Y.npy
                          [--k 5] [--which LA|SA|both] [--tol 1e-8] [--threads 1]
                          [--seed 0] [--ncv N] [--out result.json] [--vectors V.npz]
"""

import argparse
import json
import os
import shlex
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--inputs", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--model", default="resnet20")
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--which", choices=("LA", "SA", "both"), default="both")
    ap.add_argument("--tol", type=float, default=1e-8)
    ap.add_argument("--ncv", type=int, default=None, help="Lanczos basis size (SciPy default if omitted)")
    ap.add_argument("--maxiter", type=int, default=None)
    ap.add_argument("--seed", type=int, default=0, help="seed of the start vector v0")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", help="JSON output path")
    ap.add_argument("--vectors", help="optional .npz for the eigenvectors")
    return ap.parse_args()


args = parse_args()
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_models import MODELS  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    torch.set_num_threads(args.threads)
    from safetensors.torch import load_file

    model = MODELS[args.model](num_classes=10)
    model.load_state_dict(load_file(args.weights))
    model.eval()
    model.double()
    x = torch.from_numpy(np.load(args.inputs)).to(torch.float64).contiguous()
    y = torch.from_numpy(np.load(args.labels)).long()
    assert y.shape == (x.shape[0],), "labels must be [N] with N = inputs.shape[0]"

    params = list(model.parameters())
    shapes = [p.shape for p in params]
    sizes = [p.numel() for p in params]
    n = sum(sizes)

    t0 = time.perf_counter()
    loss = F.cross_entropy(model(x), y, reduction="mean")
    grads = torch.autograd.grad(loss, params, create_graph=True)
    graph_s = time.perf_counter() - t0
    grad_norm = float(torch.sqrt(sum((g.detach() ** 2).sum() for g in grads)))
    log(f"eigsh_reference: {args.model}, {n} parameters, batch {x.shape[0]}, float64, "
        f"loss {loss.item():.12f}, |grad| {grad_norm:.6e}, {torch.get_num_threads()} threads")

    count = {"hvp": 0, "seconds": 0.0}

    def hvp(v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        t = time.perf_counter()
        vt = torch.from_numpy(v)
        vs = [c.view(s) for c, s in zip(torch.split(vt, sizes), shapes)]
        hv = torch.autograd.grad(grads, params, grad_outputs=vs, retain_graph=True)
        out = torch.cat([h.reshape(-1) for h in hv]).numpy().copy()
        count["hvp"] += 1
        count["seconds"] += time.perf_counter() - t
        if count["hvp"] % 20 == 0:
            log(f"  {count['hvp']} HVPs, {count['seconds'] / count['hvp']:.2f} s each")
        return out

    # One timed HVP before eigsh (not counted) so the log shows the cost per product.
    t = time.perf_counter()
    hvp(np.random.default_rng(12345).standard_normal(n))
    log(f"  one HVP: {time.perf_counter() - t:.2f} s")
    count["hvp"], count["seconds"] = 0, 0.0

    op = LinearOperator((n, n), matvec=hvp, dtype=np.float64)
    whiches = ["LA", "SA"] if args.which == "both" else [args.which]
    result = {
        "model": args.model,
        "n_params": n,
        "batch": int(x.shape[0]),
        "loss": loss.item(),
        "grad_norm": grad_norm,
        "dtype": "float64",
        "mode": "eval",
        "hvp": "torch.autograd double backward, graph kept once (create_graph=True), grad_outputs=v",
        "k": args.k,
        "tol": args.tol,
        "ncv": args.ncv,
        "seed": args.seed,
        "graph_seconds": graph_s,
        "results": {},
        "weights": os.path.abspath(args.weights),
        "inputs": os.path.abspath(args.inputs),
        "labels": os.path.abspath(args.labels),
        "torch_version": torch.__version__,
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "threads": torch.get_num_threads(),
        "command": " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv),
    }
    vectors = {}
    for which in whiches:
        count["hvp"], count["seconds"] = 0, 0.0
        v0 = np.random.default_rng(args.seed).standard_normal(n)
        t = time.perf_counter()
        converged = True
        try:
            vals, vecs = eigsh(op, k=args.k, which=which, tol=args.tol, v0=v0, ncv=args.ncv,
                               maxiter=args.maxiter)
        except ArpackNoConvergence as e:
            converged = False
            vals, vecs = e.eigenvalues, e.eigenvectors
        eig_s = time.perf_counter() - t
        eig_hvps = count["hvp"]
        order = np.argsort(-vals) if which == "LA" else np.argsort(vals)
        vals, vecs = vals[order], vecs[:, order]
        res = []
        for i in range(len(vals)):
            v = vecs[:, i] / np.linalg.norm(vecs[:, i])
            res.append(float(np.linalg.norm(hvp(v) - vals[i] * v)))
        total_s = time.perf_counter() - t
        r = {
            "eigenvalues": [float(a) for a in vals],
            "residuals": res,
            "relative_residuals": [rr / abs(a) if a != 0 else None for rr, a in zip(res, vals)],
            "converged": converged,
            "eigsh_hvps": eig_hvps,
            "residual_hvps": len(vals),
            "eigsh_seconds": eig_s,
            "seconds": total_s,
        }
        result["results"][which] = r
        vectors[which] = vecs.T.copy()
        log(f"eigsh_reference {which}: {eig_hvps} HVPs + {len(vals)} checks, {total_s:.1f} s, converged {converged}")
        for a, rr in zip(vals, res):
            log(f"  {a: .10e}   residual {rr:.2e}")

    text = json.dumps(result, indent=2)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text + "\n")
    if args.vectors:
        np.savez(args.vectors, **{f"{w}_vectors": v for w, v in vectors.items()},
                 **{f"{w}_eigenvalues": np.array(result["results"][w]["eigenvalues"]) for w in vectors})
    print(text)


if __name__ == "__main__":
    main()
