#!/usr/bin/env python3
"""Float64 reference eigenvalues for seed 003's network at its notebook size, and its ONNX export.

The network (as in the seed 003 notebook; Scripts/generate_onnx_fixtures.py has a 6x6 variant):

    c1 = Conv2d(1, 32, 3, 1, 1); f2 = Linear(32*12*12, 5)
    forward(x) = f2(c1(x).view(N, -1))                  # 320 + 23,045 = 23,365 parameters

torch.manual_seed(3); model = Net(); x = torch.randn(8, 1, 12, 12); y = torch.randint(0, 5, (8,));
loss = mean cross-entropy. (All three draws from the global generator, in that order.)

Steps:
  1. Export with Scripts/export_for_hessian.py (dynamo, optimize=False, dynamic batch) to
     OUTDIR/seed003.onnx, with OUTDIR/seed003.inputs.npy and seed003.labels.npy.
  2. In float64 (the float32 weights and inputs converted with .double()): the gradient graph is
     built once, g = autograd.grad(loss, params, create_graph=True); one Hessian-vector product is
     autograd.grad(g, params, grad_outputs=v, retain_graph=True) (double backward). Vector order:
     model.parameters() = c1.weight, c1.bias, f2.weight, f2.bias (= the ONNX parameter_order).
  3. scipy.sparse.linalg.eigsh on a LinearOperator of those products: the top --k (5), which='LA',
     and the bottom, which='SA', with k = 1 and k = 32 (--sa-k), tol=--tol (1e-10), v0 = standard
     normal from numpy.random.default_rng(--seed); ncv SciPy's default (max(2k+1, 20)). Each pair is
     checked with one more product (residual ||Hv - lambda v||, v of unit norm). HVP counts and
     wall times recorded.
     SA CLUSTER: d logits / d(conv weights) depends only on the input, so the 32 conv channels give
     the coupling block B below 32 identical copies: the negative eigenvalues come in near-32-fold
     clusters (split only by the Gauss-Newton term). At the bottom ~20 eigenvalues lie within
     ~2e-5 of each other, 1e-7 apart; eigsh(k=1, 'SA', tol=1e-10) cannot resolve its Ritz vector
     inside that cluster and does not converge (in the 6x6 variant it was stopped after 608,521
     products, 578 s, with SciPy's default maxiter 10 n; here it is capped at --maxiter-sa-1 restarts
     and reported as not converged). With k = 32 the wanted set covers the whole cluster, the gap
     to the rest is large, and eigsh converges in a few hundred products: its first value is the
     bottom eigenvalue.
  4. The exact spectrum in float64 ("exact" below), without forming the 23,365^2 matrix
     (4.4 GB; numpy eigvalsh took 31 s for the 6,085-parameter 6x6 variant on this 2-core machine,
     so about 30 min, n^3, for 23,365: over the 10-minute budget): a Rayleigh-Ritz step on a subspace that
     contains range(H), which is then exact. logits = W2 A(w1, b1) + b2 with A linear in the
     conv parameters S1 = (w1, b1) (320 values), so
         H = J^T H_CE J + K,   K = sum_{n,c} dL/dlogit_{nc} d^2 logit_{nc} = [[0, B], [B^T, 0]]
     (K only couples S1 with W2), and range(H) lies in
         span(unit vectors of S1) + range(J^T) (40 columns) + range(H[:, S1]) (320 columns).
     Q = an orthonormal basis of those 680 columns (numerically rank-revealing QR/SVD), M = Q^T H Q
     from dim(Q) products, and the eigenvalues of H are eig(M) plus n - dim(Q) exact zeros. Checked
     numerically, independently of that argument: ||HQ - Q M||_F and ||H v|| for random unit v
     orthogonal to Q must vanish (relative to ||H||_2).
     --dense-full additionally forms the full matrix by n products and runs numpy eigvalsh (only
     sensible for small sizes; with --size 6, 6,085 parameters: build 6 s, eigvalsh 31 s, all
     6,085 eigenvalues equal to step 4's within 6.9e-14).

Output: OUTDIR/eigsh_reference.json (also on stdout), OUTDIR/exact_eigenvalues.npy (eig(M),
descending). Usage (from the repository root):
    source bench/venv.sh && "$HESSIANKIT_PYTHON" bench/seed003_reference.py
        [--outdir bench/out/seed003] [--size 12] [--k 5] [--tol 1e-10] [--seed 0] [--threads 1]
        [--no-exact] [--dense-full] [--no-export]
"""

import argparse
import json
import os
import platform
import shlex
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--outdir", default=os.path.join(ROOT, "bench", "out", "seed003"))
    ap.add_argument("--size", type=int, default=12, help="input height = width (notebook: 12)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--tol", type=float, default=1e-10)
    ap.add_argument("--seed", type=int, default=0, help="seed of eigsh's start vector v0")
    ap.add_argument("--which", choices=("LA", "SA", "both"), default="both")
    ap.add_argument("--ncv", type=int, default=None, help="eigsh basis size for LA (SciPy default if omitted)")
    ap.add_argument("--sa-k", default="1,32",
                    help="comma-separated k of the which='SA' runs (default 1,32; see SA CLUSTER below)")
    ap.add_argument("--maxiter", type=int, default=None, help="eigsh restarts for LA (SciPy default 10 n)")
    ap.add_argument("--maxiter-sa-1", type=int, default=2000,
                    help="eigsh restarts for SA with k=1 (default 2000; SciPy's 10 n would take hours)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-exact", action="store_true", help="skip the exact spectrum (step 4)")
    ap.add_argument("--dense-full", action="store_true", help="also form the full Hessian (n products)")
    ap.add_argument("--no-export", action="store_true", help="skip the ONNX export (step 1)")
    return ap.parse_args()


args = parse_args()
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
import scipy  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "Scripts"))
from export_for_hessian import export_for_hessian  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


class Seed003(nn.Module):
    def __init__(self, size=12):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, 1, 1)
        self.f2 = nn.Linear(32 * size * size, 5)

    def forward(self, x):
        x = self.c1(x)
        x = x.view(x.size(0), -1)
        return self.f2(x)


def main():
    torch.set_num_threads(args.threads)
    os.makedirs(args.outdir, exist_ok=True)
    torch.manual_seed(3)
    model = Seed003(args.size)
    x32 = torch.randn(args.batch, 1, args.size, args.size)
    y = torch.randint(0, 5, (args.batch,))
    model.eval()

    export = None
    if not args.no_export:
        r = export_for_hessian(model, x32, os.path.join(args.outdir, "seed003.onnx"), labels=y)
        export = {k: r[k] for k in ("path", "inputs", "labels", "export_call", "parameter_order",
                                    "command_line", "pytorch_loss", "verify")}

    ref = Seed003(args.size)
    ref.load_state_dict(model.state_dict())
    ref = ref.double().eval()
    names = [n for n, _ in ref.named_parameters()]
    params = [p for _, p in ref.named_parameters()]
    shapes = [p.shape for p in params]
    sizes = [p.numel() for p in params]
    n = sum(sizes)
    x = x32.double()

    t0 = time.perf_counter()
    logits = ref(x)
    loss = F.cross_entropy(logits, y, reduction="mean")
    grads = torch.autograd.grad(loss, params, create_graph=True)
    graph_s = time.perf_counter() - t0
    grad_norm = float(torch.sqrt(sum((g.detach() ** 2).sum() for g in grads)))
    log(f"seed003_reference: {n} parameters ({', '.join(f'{a} {tuple(s)}' for a, s in zip(names, shapes))}), "
        f"batch {args.batch}, float64 loss {loss.item():.15f}, |grad| {grad_norm:.6e}, "
        f"{torch.get_num_threads()} threads")

    count = {"hvp": 0, "seconds": 0.0}

    def hvp(v):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        t = time.perf_counter()
        vs = [c.view(s) for c, s in zip(torch.split(torch.from_numpy(v), sizes), shapes)]
        hv = torch.autograd.grad(grads, params, grad_outputs=vs, retain_graph=True)
        out = torch.cat([h.reshape(-1) for h in hv]).numpy().copy()
        count["hvp"] += 1
        count["seconds"] += time.perf_counter() - t
        return out

    hvp(np.random.default_rng(12345).standard_normal(n))  # warm-up
    t = time.perf_counter()
    for _ in range(5):
        hvp(np.random.default_rng(12345).standard_normal(n))
    hvp_s = (time.perf_counter() - t) / 5
    log(f"  one HVP: {hvp_s * 1e3:.2f} ms")

    op = LinearOperator((n, n), matvec=hvp, dtype=np.float64)
    result = {
        "model": "seed003 notebook net: c1 Conv2d(1,32,3,1,1), view(N,-1), f2 Linear(%d,5)" % (32 * args.size ** 2),
        "input_shape": list(x.shape),
        "n_params": n,
        "parameter_order": names,
        "batch": args.batch,
        "data": "torch.manual_seed(3); model = Net(); x = torch.randn(%d,1,%d,%d); y = torch.randint(0,5,(%d,))"
                % (args.batch, args.size, args.size, args.batch),
        "labels": y.tolist(),
        "loss": loss.item(),
        "grad_norm": grad_norm,
        "dtype": "float64",
        "hvp": "torch.autograd double backward, graph kept once (create_graph=True), grad_outputs=v",
        "hvp_seconds_each": hvp_s,
        "graph_seconds": graph_s,
        "tol": args.tol,
        "seed": args.seed,
        "results": {},
        "export": export,
        "torch_version": torch.__version__,
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "threads": torch.get_num_threads(),
        "command": " ".join(shlex.quote(a) for a in [sys.executable] + sys.argv),
    }

    runs = []
    if args.which in ("LA", "both"):
        runs.append(("LA", "LA", args.k, args.ncv, args.maxiter))
    if args.which in ("SA", "both"):
        for k in (int(a) for a in args.sa_k.split(",")):
            runs.append(("SA" if k == 1 else f"SA_k{k}", "SA", k, None, args.maxiter_sa_1 if k == 1 else None))
    for key, which, k, ncv, maxiter in runs:
        count["hvp"], count["seconds"] = 0, 0.0
        v0 = np.random.default_rng(args.seed).standard_normal(n)
        t = time.perf_counter()
        converged = True
        try:
            vals, vecs = eigsh(op, k=k, which=which, tol=args.tol, v0=v0, ncv=ncv, maxiter=maxiter)
        except ArpackNoConvergence as e:
            converged = False
            vals, vecs = e.eigenvalues, e.eigenvectors
        eig_s = time.perf_counter() - t
        eig_hvps, eig_hvp_s = count["hvp"], count["seconds"]
        order = np.argsort(-vals) if which == "LA" else np.argsort(vals)
        vals, vecs = vals[order], vecs[:, order]
        res = []
        for i in range(len(vals)):
            v = vecs[:, i] / np.linalg.norm(vecs[:, i])
            res.append(float(np.linalg.norm(hvp(v) - vals[i] * v)))
        result["results"][key] = {
            "which": which,
            "k": k,
            "ncv": ncv if ncv is not None else min(n, max(2 * k + 1, 20)),
            "maxiter": maxiter if maxiter is not None else 10 * n,
            "eigenvalues": [float(a) for a in vals],
            "residuals": res,
            "relative_residuals": [rr / abs(a) if a != 0 else None for rr, a in zip(res, vals)],
            "converged": converged,
            "eigsh_hvps": eig_hvps,
            "eigsh_seconds": eig_s,
            "eigsh_hvp_seconds": eig_hvp_s,
            "residual_hvps": len(vals),
        }
        log(f"eigsh {key} k={k}: {eig_hvps} HVPs, {eig_s:.2f} s (HVPs {eig_hvp_s:.2f} s), converged {converged}")
        for a, rr in zip(vals, res):
            log(f"  {a: .15e}   residual {rr:.2e}")

    if not args.no_exact:
        result["exact"] = exact_spectrum(ref, params, sizes, x, hvp, count, n, result)
    if args.dense_full:
        result["dense_full"] = dense_full(hvp, n, count, result)

    text = json.dumps(result, indent=2)
    with open(os.path.join(args.outdir, "eigsh_reference.json"), "w") as f:
        f.write(text + "\n")
    print(text)


def exact_spectrum(ref, params, sizes, x, hvp, count, n, result):
    """Rayleigh-Ritz on span(E_S1, J^T, H[:, S1]) ⊇ range(H): see the module docstring."""
    t = time.perf_counter()
    count["hvp"] = 0
    s1 = sizes[0] + sizes[1]  # c1.weight, c1.bias come first in parameters() order
    # J^T: the gradient of every logit (N x 5 of them) w.r.t. all parameters.
    logits = ref(x)
    jt = []
    for i in range(logits.shape[0]):
        for c in range(logits.shape[1]):
            gi = torch.autograd.grad(logits[i, c], params, retain_graph=True)
            jt.append(torch.cat([g.reshape(-1) for g in gi]).numpy())
    cols = [np.eye(n, s1)]  # unit vectors of S1
    cols.append(np.stack(jt, axis=1))
    hs1 = np.empty((n, s1))
    for i in range(s1):
        e = np.zeros(n)
        e[i] = 1.0
        hs1[:, i] = hvp(e)
    cols.append(hs1)
    basis = np.concatenate(cols, axis=1)
    # Orthonormal basis of the column space, rank decided by the singular values.
    u, s, _ = np.linalg.svd(basis / np.linalg.norm(basis, axis=0, keepdims=True).clip(1e-300),
                            full_matrices=False)
    rank = int(np.sum(s > s[0] * n * np.finfo(np.float64).eps))
    q = u[:, :rank]
    hq = np.stack([hvp(q[:, j]) for j in range(rank)], axis=1)
    m = q.T @ hq
    asym = float(np.linalg.norm(m - m.T) / np.linalg.norm(m))
    m = 0.5 * (m + m.T)
    ev = np.linalg.eigvalsh(m)[::-1]
    norm2 = float(np.max(np.abs(ev)))
    # Checks: H Q stays in span(Q), and H vanishes on Q's orthogonal complement.
    leak = float(np.linalg.norm(hq - q @ m) / np.linalg.norm(hq))
    rng = np.random.default_rng(7)
    perp = []
    for _ in range(5):
        v = rng.standard_normal(n)
        v -= q @ (q.T @ v)
        v -= q @ (q.T @ v)
        v /= np.linalg.norm(v)
        perp.append(float(np.linalg.norm(hvp(v))) / norm2)
    secs = time.perf_counter() - t
    np.save(os.path.join(args.outdir, "exact_eigenvalues.npy"), ev)
    tiny = 1e-12 * norm2
    out = {
        "method": ("Rayleigh-Ritz on an orthonormal basis Q of span(unit vectors of c1.weight/c1.bias, "
                   "J^T (40 logit gradients), H[:, c1] (320 products)), which contains range(H); "
                   "eigenvalues = eig(Q^T H Q) plus n - dim(Q) exact zeros; Q^T H Q from dim(Q) products"),
        "subspace_dim": rank,
        "hvps": count["hvp"],
        "seconds": secs,
        "check_relative_leak_HQ_minus_QM": leak,
        "check_asymmetry_QtHQ": asym,
        "check_norm_H_on_complement_over_norm_H": perp,
        "top": [float(a) for a in ev[: max(args.k, 10)]],
        "bottom": [float(a) for a in ev[::-1][:10]],
        "n_positive_above_1e-12_norm": int(np.sum(ev > tiny)),
        "n_negative_below_-1e-12_norm": int(np.sum(ev < -tiny)),
        "n_zero_exact_or_below_1e-12_norm": int(n - np.sum(np.abs(ev) > tiny)),
        "trace": float(np.sum(ev)),
        "frobenius_norm": float(np.sqrt(np.sum(ev ** 2))),
        "eigenvalues_file": "exact_eigenvalues.npy (eig(Q^T H Q), descending; the rest are 0)",
    }
    if not args.dense_full:
        out["full_dense_skipped"] = (f"not formed: the {n}^2 float64 matrix is {n * n * 8 / 1e9:.1f} GB; for n = 23,365 "
                                     "numpy eigvalsh took 31 s at n = 6,085 (the 6x6 variant, --dense-full, "
                                     "matching this method to 6.9e-14), so ~30 min (n^3) at n = 23,365 on this "
                                     "2-core machine: over the 10-minute budget")
    if "LA" in result["results"]:
        la = result["results"]["LA"]["eigenvalues"]
        out["eigsh_LA_minus_exact"] = [float(a - b) for a, b in zip(la, ev[: len(la)])]
    asc = np.sort(np.concatenate([ev, np.zeros(n - len(ev))]))[: 64]  # the full spectrum's bottom
    for key, r in result["results"].items():
        if r["which"] == "SA" and r["eigenvalues"]:
            out[f"eigsh_{key}_minus_exact"] = [float(a - b) for a, b in zip(r["eigenvalues"], asc)]
    log(f"exact: subspace {rank}, {count['hvp']} HVPs, {secs:.1f} s; leak {leak:.1e}, asym {asym:.1e}, "
        f"|H v_perp|/|H| max {max(perp):.1e}; {out['n_positive_above_1e-12_norm']} positive, "
        f"{out['n_negative_below_-1e-12_norm']} negative; top {ev[:5]}, bottom {ev[-1]:.15e}")
    return out


def dense_full(hvp, n, count, result):
    t = time.perf_counter()
    h = np.empty((n, n))
    for i in range(n):
        e = np.zeros(n)
        e[i] = 1.0
        h[:, i] = hvp(e)
    build_s = time.perf_counter() - t
    asym = float(np.max(np.abs(h - h.T)))
    h = 0.5 * (h + h.T)
    t2 = time.perf_counter()
    ev = np.linalg.eigvalsh(h)[::-1]
    eig_s = time.perf_counter() - t2
    out = {"build_seconds": build_s, "eigvalsh_seconds": eig_s, "max_asymmetry": asym,
           "top": [float(a) for a in ev[:10]], "bottom": [float(a) for a in ev[::-1][:10]]}
    if "exact" in result:
        ex = np.load(os.path.join(args.outdir, "exact_eigenvalues.npy"))
        full = np.concatenate([ex, np.zeros(n - len(ex))])
        full = np.sort(full)[::-1]
        out["max_abs_diff_vs_exact"] = float(np.max(np.abs(full - ev)))
    log(f"dense full: build {build_s:.1f} s, eigvalsh {eig_s:.1f} s; top {ev[:5]}, bottom {ev[-1]:.15e}; "
        f"max |dense - exact| {out.get('max_abs_diff_vs_exact')}")
    return out


if __name__ == "__main__":
    main()
