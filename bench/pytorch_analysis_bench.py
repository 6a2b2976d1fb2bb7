#!/usr/bin/env python3
"""Times Hessian spectral analysis in the PyTorch ecosystem on the benchmark problem
(CIFAR ResNet-20, eval mode, cross-entropy mean, one batch; the same files as
bench/make_inputs.py writes for hessian-bench). Prints ONE JSON object on stdout.

Methods (--methods, comma-separated; default all):
  pyhessian_top1 / pyhessian_top5
      pyhessian.hessian(model, criterion, data=(x, y), cuda=False).eigenvalues(top_n=k,
      maxIter=--maxiter, tol=--tol): power iteration, deflation by orthogonalisation
      against the eigenvectors found so far.
  curvlinops_top1 / curvlinops_top5
      curvlinops.HessianLinearOperator(model, criterion, params, [(x, y)],
      check_deterministic=False).to_scipy(), then
      scipy.sparse.linalg.eigsh(k=k, which='LA', tol=--tol) (ARPACK, implicitly
      restarted Lanczos, float64 vectors; each matvec converts to float32 torch).
  eigenthings_lanczos_top1 / eigenthings_lanczos_top5
      hessian_eigenthings.lanczos(HessianOperator(model, [(x, y)],
      supervised_loss(criterion)), k=k, max_iter=--lanczos-steps, which='LA', tol=--tol).
      Its Lanczos runs exactly max_iter steps (no restart, no early exit; tol only sets
      the reported `converged` flags); the library default max_iter = 2k is too short,
      so --lanczos-steps (default 30) is used.
  eigenthings_power_top1 / eigenthings_power_top5
      hessian_eigenthings.deflated_power_iteration(op, k=k, max_iter=--maxiter,
      tol=--tol): stops when both the relative change of the Rayleigh quotient and the
      relative residual ||Hv - lambda v|| / |lambda| are below tol.
  pyhessian_trace
      hessian(...).trace(maxIter=--trace-maxiter, tol=--trace-tol): Hutchinson with
      Rademacher probes; value = mean of v^T H v.
  pyhessian_density
      hessian(...).density(iter=--slq-iter, n_v=--slq-nv): stochastic Lanczos quadrature.
      PyHessian 0.1 calls torch.eig, removed in torch 2.x; a shim built on
      torch.linalg.eigh (T is symmetric) is installed for it.

Per method: `seconds` (wall time of the whole call, set-up included), `setup_seconds`
(PyHessian: the hessian() constructor = forward + loss.backward(create_graph=True);
curvlinops / eigenthings: operator construction), `hvps` (counted by wrapping the
HVP function / matvec), `gradient_graphs` (how many forward + create_graph gradient
passes were made: PyHessian 1 per method, curvlinops and eigenthings one per HVP),
the values, and `peak_rss_bytes` of the process that ran it. By default each method
runs in its own child process (clean peak RSS, no state shared between libraries);
--in-process runs them all in this one.

Randomness: torch.manual_seed(--seed) before each method (PyHessian draws from the
global generator), eigenthings seed=--seed, eigsh v0 from numpy seed --seed.

Quick check: --quick uses a batch of 20 (unless --inputs is given) and short
iteration limits, to make sure everything runs; the full run is slow.
"""

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_models import MODELS  # noqa: E402

ALL_METHODS = [
    "pyhessian_top1", "pyhessian_top5",
    "curvlinops_top1", "curvlinops_top5",
    "eigenthings_lanczos_top1", "eigenthings_lanczos_top5",
    "eigenthings_power_top1", "eigenthings_power_top5",
    "pyhessian_trace", "pyhessian_density",
]


# --------------------------------------------------------------------------- set-up

def load_problem(args):
    """The model (eval mode), inputs and labels: the same set-up as pytorch_bench.py."""
    from pytorch_bench import load_setup
    return load_setup(args)


def peak_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --------------------------------------------------------------------------- PyHessian

def _install_torch_eig_shim():
    """PyHessian 0.1's density() calls torch.eig(T, eigenvectors=True), removed in
    torch 2.x (torch.eig still exists but only raises). It used the old layout:
    eigenvalues as [n, 2] (real, imaginary)."""

    def eig(T, eigenvectors=False):
        w, V = torch.linalg.eigh(T)
        return torch.stack([w, torch.zeros_like(w)], dim=1), V

    torch.eig = eig


def _pyhessian(model, x, y, args, counter):
    import pyhessian  # noqa: F401
    # pyhessian/__init__.py does `from pyhessian.hessian import hessian`, so the
    # attribute pyhessian.hessian is the class; the module is only in sys.modules.
    ph = sys.modules["pyhessian.hessian"]

    original = ph.hessian_vector_product

    def counting(gradsH, params, v):
        counter["hvps"] += 1
        return original(gradsH, params, v)

    ph.hessian_vector_product = counting
    model.zero_grad(set_to_none=True)  # hessian() accumulates into .grad
    t0 = time.perf_counter()
    h = ph.hessian(model, nn.CrossEntropyLoss(), data=(x, y), cuda=False)
    counter["setup_seconds"] = time.perf_counter() - t0
    counter["gradient_graphs"] = 1
    return h


def run_pyhessian_top(model, x, y, args, k):
    c = {"hvps": 0}
    t0 = time.perf_counter()
    h = _pyhessian(model, x, y, args, c)
    vals, _ = h.eigenvalues(maxIter=args.maxiter, tol=args.tol, top_n=k)
    c["seconds"] = time.perf_counter() - t0
    c["eigenvalues"] = [float(v) for v in vals]
    return c


def run_pyhessian_trace(model, x, y, args):
    c = {"hvps": 0}
    t0 = time.perf_counter()
    h = _pyhessian(model, x, y, args, c)
    samples = h.trace(maxIter=args.trace_maxiter, tol=args.trace_tol)
    c["seconds"] = time.perf_counter() - t0
    c["trace"] = float(np.mean(samples))
    c["samples"] = len(samples)
    return c


def run_pyhessian_density(model, x, y, args):
    _install_torch_eig_shim()
    c = {"hvps": 0}
    t0 = time.perf_counter()
    h = _pyhessian(model, x, y, args, c)
    eigs, weights = h.density(iter=args.slq_iter, n_v=args.slq_nv)
    c["seconds"] = time.perf_counter() - t0
    c["ritz_values"] = [[float(e) for e in run] for run in eigs]
    c["weights"] = [[float(w) for w in run] for run in weights]
    c["ritz_min"] = min(min(r) for r in c["ritz_values"])
    c["ritz_max"] = max(max(r) for r in c["ritz_values"])
    return c


# --------------------------------------------------------------------------- curvlinops

def run_curvlinops_top(model, x, y, args, k):
    from curvlinops import HessianLinearOperator
    from scipy.sparse.linalg import LinearOperator, eigsh

    c = {"hvps": 0}
    t0 = time.perf_counter()
    params = [p for p in model.parameters() if p.requires_grad]
    H = HessianLinearOperator(model, nn.CrossEntropyLoss(), params, [(x, y)], check_deterministic=False)
    Hs = H.to_scipy()  # float64 numpy in/out, float32 torch inside
    c["setup_seconds"] = time.perf_counter() - t0

    def matvec(v):
        c["hvps"] += 1
        return Hs.matvec(v)

    def matmat(V):
        c["hvps"] += V.shape[1]
        return Hs.matmat(V)

    A = LinearOperator(Hs.shape, matvec=matvec, matmat=matmat, dtype=np.float64)
    v0 = np.random.default_rng(args.seed).standard_normal(Hs.shape[0])
    vals = eigsh(A, k=k, which="LA", tol=args.tol, v0=v0, return_eigenvectors=False)
    c["seconds"] = time.perf_counter() - t0
    c["gradient_graphs"] = c["hvps"]
    c["eigenvalues"] = sorted((float(v) for v in vals), reverse=True)
    return c


# --------------------------------------------------------------------------- hessian-eigenthings

def _eigenthings_operator(model, x, y, c):
    from hessian_eigenthings import HessianOperator, supervised_loss

    t0 = time.perf_counter()
    op = HessianOperator(model, [(x, y)], supervised_loss(nn.CrossEntropyLoss()))
    c["setup_seconds"] = time.perf_counter() - t0
    original = op.matvec

    def counting(v):
        c["hvps"] += 1
        return original(v)

    op.matvec = counting  # the algorithms call operator.matvec(...)
    return op


def _eigen_result(c, res):
    order = torch.argsort(res.eigenvalues, descending=True)
    c["eigenvalues"] = [float(v) for v in res.eigenvalues[order]]
    c["residuals"] = [float(v) for v in res.residuals[order]]
    c["converged"] = [bool(v) for v in res.converged[order]]
    c["iterations"] = int(res.iterations)
    c["gradient_graphs"] = c["hvps"]
    return c


def run_eigenthings_lanczos(model, x, y, args, k):
    from hessian_eigenthings import lanczos

    c = {"hvps": 0}
    t0 = time.perf_counter()
    op = _eigenthings_operator(model, x, y, c)
    steps = max(args.lanczos_steps, k)
    res = lanczos(op, k=k, max_iter=steps, tol=args.tol, which="LA", seed=args.seed)
    c["seconds"] = time.perf_counter() - t0
    c["lanczos_steps"] = steps
    return _eigen_result(c, res)


def run_eigenthings_power(model, x, y, args, k):
    from hessian_eigenthings import deflated_power_iteration

    c = {"hvps": 0}
    t0 = time.perf_counter()
    op = _eigenthings_operator(model, x, y, c)
    res = deflated_power_iteration(op, k=k, max_iter=args.maxiter, tol=args.tol, seed=args.seed)
    c["seconds"] = time.perf_counter() - t0
    return _eigen_result(c, res)


# --------------------------------------------------------------------------- driver

def run_method(name, args):
    model, x, y = load_problem(args)
    torch.manual_seed(args.seed)
    if name.startswith("pyhessian_top"):
        r = run_pyhessian_top(model, x, y, args, int(name[-1]))
    elif name == "pyhessian_trace":
        r = run_pyhessian_trace(model, x, y, args)
    elif name == "pyhessian_density":
        r = run_pyhessian_density(model, x, y, args)
    elif name.startswith("curvlinops_top"):
        r = run_curvlinops_top(model, x, y, args, int(name[-1]))
    elif name.startswith("eigenthings_lanczos_top"):
        r = run_eigenthings_lanczos(model, x, y, args, int(name[-1]))
    elif name.startswith("eigenthings_power_top"):
        r = run_eigenthings_power(model, x, y, args, int(name[-1]))
    else:
        raise SystemExit(f"unknown method {name}")
    r["peak_rss_bytes"] = peak_rss()
    del model
    gc.collect()
    return r


def versions():
    from importlib.metadata import version
    out = {"python": sys.version.split()[0], "torch": torch.__version__, "numpy": np.__version__}
    for dist in ("scipy", "PyHessian", "curvlinops-for-pytorch", "hessian-eigenthings"):
        try:
            out[dist] = version(dist)
        except Exception:  # noqa: BLE001
            out[dist] = None
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights")
    ap.add_argument("--inputs")
    ap.add_argument("--labels")
    ap.add_argument("--batch", type=int, help="batch when --inputs is not given (200; --quick: 20)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", choices=sorted(MODELS), default="resnet20")
    ap.add_argument("--methods", default=",".join(ALL_METHODS))
    ap.add_argument("--tol", type=float, default=1e-3, help="eigenvalue tolerance (all libraries)")
    ap.add_argument("--maxiter", type=int, help="power-iteration limit per eigenvalue (100; --quick: 20)")
    ap.add_argument("--lanczos-steps", type=int, help="hessian-eigenthings Lanczos steps (30; --quick: 15)")
    ap.add_argument("--trace-maxiter", type=int, help="Hutchinson probe limit (100; --quick: 10)")
    ap.add_argument("--trace-tol", type=float, default=1e-3)
    ap.add_argument("--slq-iter", type=int, help="SLQ Lanczos steps (100; --quick: 10)")
    ap.add_argument("--slq-nv", type=int, default=1)
    ap.add_argument("--quick", action="store_true",
                    help="batch 20 and short iteration limits: a smoke test, not a benchmark")
    ap.add_argument("--in-process", action="store_true", help="run all methods in this process")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    # Defaults (full run / --quick); explicit options always win.
    defaults = {"batch": (200, 20), "maxiter": (100, 20), "lanczos_steps": (30, 15),
                "trace_maxiter": (100, 10), "slq_iter": (100, 10)}
    for key, (full, quick) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)

    torch.set_num_threads(args.threads)
    # PyHessian uses loss.backward(create_graph=True), which warns on every call.
    warnings.filterwarnings("ignore", message="Using backward\\(\\) with create_graph=True")
    methods = [m for m in args.methods.split(",") if m]
    for m in methods:
        if m not in ALL_METHODS:
            raise SystemExit(f"unknown method {m}; known: {', '.join(ALL_METHODS)}")

    if args.child:
        print(json.dumps(run_method(methods[0], args)))
        return

    config = {k: v for k, v in vars(args).items() if k not in ("child", "in_process", "methods")}
    model, x, _ = load_problem(args)
    config["batch"] = int(x.shape[0])
    config["parameters"] = sum(p.numel() for p in model.parameters())
    del model
    results, failed = {}, []
    for m in methods:
        print(f"pytorch_analysis_bench: {m} ...", file=sys.stderr, flush=True)
        if args.in_process:
            results[m] = run_method(m, args)
        else:
            argv = [a for a in sys.argv[1:]]
            # Replace --methods (both spellings) by the single method.
            cleaned, skip = [], False
            for a in argv:
                if skip:
                    skip = False
                    continue
                if a == "--methods":
                    skip = True
                    continue
                if a.startswith("--methods="):
                    continue
                cleaned.append(a)
            proc = subprocess.run([sys.executable, os.path.abspath(__file__), *cleaned, "--methods", m, "--child"],
                                  stdout=subprocess.PIPE, text=True)
            if proc.returncode != 0:
                results[m] = {"error": f"child exited with status {proc.returncode} (traceback on stderr)"}
                failed.append(m)
                print(f"  FAILED: {results[m]['error']}", file=sys.stderr, flush=True)
                continue
            results[m] = json.loads(proc.stdout.strip().splitlines()[-1])
        r = results[m]
        print(f"  {r['seconds']:.2f} s, {r['hvps']} HVPs, "
              + ", ".join(f"{k}={r[k]}" for k in ("eigenvalues", "trace", "ritz_max") if k in r),
              file=sys.stderr, flush=True)
    print(json.dumps({"config": config, "versions": versions(), "results": results,
                      "peak_rss_bytes": peak_rss()}))
    if failed:
        raise SystemExit(f"pytorch_analysis_bench: failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
