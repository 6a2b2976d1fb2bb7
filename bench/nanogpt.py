#!/usr/bin/env python3
"""nanoGPT-sized transformer benchmark: the problem files and the PyTorch side.

Model: nanoGPT's GPT (Karpathy), character-level as in Shakespeare-char: vocabulary 65,
context 128, 6 layers, 6 heads, width 192, no dropout, weight tying (lm_head.weight is
wte.weight), exact GELU, LayerNorm with bias, manual causal attention with a registered
tril buffer (so the legacy TorchScript exporter works); the `transformer` ModuleDict is
flattened as in Scripts/generate_transformer_fixtures.py (parameter names wte, wpe,
h.<i>.ln_1, h.<i>.attn.c_attn, h.<i>.attn.c_proj, h.<i>.ln_2, h.<i>.mlp.c_fc,
h.<i>.mlp.c_proj, ln_f). 2,706,624 parameters (the tied weight counted once). Loss:
mean cross-entropy over all 16 x 128 tokens (no ignored positions).

Run from the repository root:  source bench/venv.sh && "$HESSIANKIT_PYTHON" bench/nanogpt.py ...

  export OUTDIR [--train-steps N] [--force]
      Builds the model with nanoGPT's initialisation (torch.manual_seed(0); Linear and
      Embedding weights normal(0, 0.02), biases 0, every *.c_proj.weight normal(0,
      0.02/sqrt(2 n_layer)), LayerNorm 1/0) and a "text": a seeded first-order Markov
      chain over the 65 characters (each row of the transition matrix Dirichlet(0.1), so
      the next character is predictable and the loss of a trained model is far from
      ln 65). Trains a copy with Adam (lr 1e-3, batch 16 random windows, seeded,
      --train-steps, default 300, 1 thread) on the first part of the text; the benchmark
      batch is 16 consecutive windows from the held-out end of the text. Writes
        OUTDIR/nanogpt.{random,trained}.onnx         legacy exporter: torch.onnx.export(
                                                       model, (idx,), path, dynamo=False,
                                                       do_constant_folding=False, opset_version=17,
                                                       training=TrainingMode.TRAINING; see export()),
                                                       fixed batch, default names (input input.1)
        OUTDIR/nanogpt.{random,trained}.safetensors  state_dict() (tied weight under both
                                                       names, tril buffers included)
        OUTDIR/idx.npy, OUTDIR/targets.npy            int64 [16, 128]; targets = next characters
        OUTDIR/nanogpt.json                           configuration, parameter count, graph
                                                       input/output names, losses, training log,
                                                       ONNX reference check, versions
      and prints the parameter count. Does nothing when these exist for the same settings
      (--force regenerates).

  time OUTDIR --which random|trained [--repeats 3] [--threads 2]
      PyTorch float32 CPU timings on OUTDIR's state dict and batch; prints ONE JSON object on
      stdout (progress on stderr). Each *_s value is the median over --repeats after one
      untimed warm-up (time.perf_counter; the raw times are under "times"):
        forward_s               forward + loss under torch.no_grad()
        gradient_s              forward + loss + torch.autograd.grad(loss, params)
        gradient_graph_s        forward + loss + grad(loss, params, create_graph=True)
        hvp_s                   ONE double-backward pass grad(grads, params, grad_outputs=v,
                                retain_graph=True) on a kept create_graph gradient graph
                                (the graph is built once, outside the clock)
        hvp_full_s              one HVP counted in full: forward + loss + create_graph
                                gradient + the double-backward pass
        hvp_block8_s            8 sequential double-backward passes on the kept graph
        hvp_block8_full_s       forward + loss + create_graph gradient + the 8 passes
        eigen_*                 top-1 eigenvalue: scipy.sparse.linalg.eigsh(k=1, which='LA',
                                tol=1e-3, v0 = default_rng(seed).standard_normal(n)) on a
                                float64 LinearOperator whose matvec is one kept-graph HVP in
                                float32; eigen_s includes building the graph (eigen_setup_s),
                                eigen_hvp_count counts the matvecs; --eigen-repeats runs
                                (default 1, median), no warm-up of its own
        peak_rss_bytes          per measurement (forward, gradient, hvp, hvp_block8, eigen,
                                baseline = imports + model and data loaded): VmHWM (peak
                                resident set of the process's address space, from
                                /proc/self/status) of a FRESH Python subprocess that loads
                                the model and performs that measurement once (no warm-up),
                                so it includes the interpreter, torch and the model. VmHWM
                                rather than ru_maxrss: a child's ru_maxrss starts at its
                                parent's peak RSS (Linux carries the pre-exec address
                                space's high-water mark over execve).
        peak_rss_bytes_process  ru_maxrss of the timing process itself (all measurements,
                                with warm-ups and repeats; an upper bound)
      --memory none skips the subprocesses.
"""

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FULL = dict(vocab=65, block=128, n_embd=192, n_head=6, n_layer=6, batch=16)
TINY = dict(vocab=65, block=16, n_embd=32, n_head=2, n_layer=2, batch=2)
SEED = 0             # model initialisation (torch.manual_seed)
TEXT_SEED = 1        # Markov chain and its sample
TRAIN_SEED = 2       # training window offsets
VECTOR_SEED = 3      # HVP directions and the eigsh start vector
TEXT_LENGTH = 1 << 17
DIRICHLET_ALPHA = 0.1
LR = 1e-3
EIGSH_TOL = 1e-3
FILES = ("nanogpt.random.onnx", "nanogpt.trained.onnx", "nanogpt.random.safetensors",
         "nanogpt.trained.safetensors", "idx.npy", "targets.npy", "nanogpt.json")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- model
# Copied from Scripts/generate_transformer_fixtures.py (manual tril attention only), plus
# nanoGPT's initialisation.

class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block):
        super().__init__()
        self.n_head = n_head
        self.n_embd = n_embd
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.register_buffer("bias", torch.tril(torch.ones(block, block)).view(1, 1, block, block))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        hd = C // self.n_head
        k = k.view(B, T, self.n_head, hd).transpose(1, 2)  # (B, nh, T, hd)
        q = q.view(B, T, self.n_head, hd).transpose(1, 2)
        v = v.view(B, T, self.n_head, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, n_embd):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU()  # exact (erf)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, bias=True)
        self.attn = CausalSelfAttention(n_embd, n_head, block)
        self.ln_2 = nn.LayerNorm(n_embd, bias=True)
        self.mlp = MLP(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """nanoGPT's GPT without dropout, `transformer` flattened; forward(idx) -> logits [B,T,V]."""

    def __init__(self, vocab, block, n_embd, n_head, n_layer):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.h = nn.ModuleList([Block(n_embd, n_head, block) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd, bias=True)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying, as nanoGPT does
        # nanoGPT's initialisation (model.py: self.apply(self._init_weights), then c_proj).
        self.apply(self._init_weights)
        for pn, p in self.named_parameters():
            if pn.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        # nn.LayerNorm keeps its default weight 1, bias 0.

    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        x = self.ln_f(x)
        return self.lm_head(x)


def model_args(cfg):
    return {k: cfg[k] for k in ("vocab", "block", "n_embd", "n_head", "n_layer")}


def loss_of(model, idx, targets):
    logits = model(idx)
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))


def versions():
    import scipy
    out = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
           "scipy": scipy.__version__, "torch_threads": torch.get_num_threads(),
           "mkl": torch.backends.mkl.is_available(), "mkldnn": torch.backends.mkldnn.is_available()}
    try:
        with open("/proc/cpuinfo") as fh:
            out["cpu"] = next(l.split(":", 1)[1].strip() for l in fh if l.startswith("model name"))
    except (OSError, StopIteration):
        out["cpu"] = platform.processor()
    return out


# --------------------------------------------------------------------------- export

def markov_text(vocab, length, seed):
    """A sample of a first-order Markov chain with Dirichlet(alpha) rows (int64 [length])."""
    rng = np.random.default_rng(seed)
    cdf = np.cumsum(rng.dirichlet(np.full(vocab, DIRICHLET_ALPHA), size=vocab), axis=1)
    cdf[:, -1] = 1.0
    u = rng.random(length)
    text = np.empty(length, dtype=np.int64)
    s = int(rng.integers(vocab))
    for i in range(length):
        s = min(int(np.searchsorted(cdf[s], u[i], side="right")), vocab - 1)
        text[i] = s
    return text


def onnx_check(path, model, idx):
    """Graph input/output names, initializer count and the reference evaluator's error."""
    import onnx
    import onnx.numpy_helper
    from onnx.reference import ReferenceEvaluator
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    inputs = [i.name for i in m.graph.input]
    outputs = [o.name for o in m.graph.output]
    names = {i.name for i in m.graph.initializer}
    missing = [n for n, _ in model.named_parameters() if n not in names]
    assert not missing, f"{path}: parameters not among the initializers: {missing}"
    count = sum(onnx.numpy_helper.to_array(i).size for i in m.graph.initializer
                if i.name in dict(model.named_parameters()))
    assert count == sum(p.numel() for p in model.parameters()), (path, count)
    with torch.no_grad():
        want = model(idx).numpy()
    got = ReferenceEvaluator(m).run(None, {inputs[0]: idx.numpy()})[0]
    err = float(np.abs(got - want).max() / np.abs(want).max())
    assert err <= 1e-4, f"{path}: ONNX reference evaluator differs from PyTorch by {err:.3g} (relative)"
    ops = sorted({n.op_type for n in m.graph.node})
    return {"inputs": inputs, "outputs": outputs, "initializers": len(m.graph.initializer),
            "nodes": len(m.graph.node), "op_types": ops, "reference_max_rel_error": err}


def export(args):
    cfg = dict(TINY if args.tiny else FULL)
    out = args.outdir
    os.makedirs(out, exist_ok=True)
    meta_path = os.path.join(out, "nanogpt.json")
    if not args.force and all(os.path.exists(os.path.join(out, f)) for f in FILES):
        with open(meta_path) as fh:
            meta = json.load(fh)
        if meta.get("config") == cfg and meta.get("train_steps") == args.train_steps:
            log(f"nanogpt export: {out} is up to date (--force regenerates)")
            print(meta["parameter_count"])
            return
        sys.exit(f"nanogpt export: {out} holds another configuration "
                 f"({meta.get('config')}, {meta.get('train_steps')} steps); pass --force")
    torch.set_num_threads(args.threads)
    import warnings
    from safetensors.torch import save_file

    # Data: one chain sample; training windows from the front, the batch from the end.
    B, T, V = cfg["batch"], cfg["block"], cfg["vocab"]
    text = markov_text(V, TEXT_LENGTH + B * (T + 1), TEXT_SEED)
    train_text = torch.from_numpy(text[:TEXT_LENGTH])
    rows = torch.from_numpy(text[TEXT_LENGTH:].reshape(B, T + 1).copy())
    idx, targets = rows[:, :-1].contiguous(), rows[:, 1:].contiguous()

    torch.manual_seed(SEED)
    model = GPT(**model_args(cfg))
    model.eval()
    n = sum(p.numel() for p in model.parameters())
    log(f"nanogpt export: {cfg}, {n} parameters")
    with torch.no_grad():
        random_loss = loss_of(model, idx, targets).item()
    random_state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}

    # Training: Adam on random windows of the training text.
    gen = torch.Generator().manual_seed(TRAIN_SEED)
    model.train()  # no dropout: train and eval modes compute the same function
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    t0 = time.perf_counter()
    train_log = []
    for step in range(1, args.train_steps + 1):
        off = torch.randint(0, TEXT_LENGTH - T - 1, (B,), generator=gen)
        w = torch.stack([train_text[o:o + T + 1] for o in off.tolist()])
        loss = loss_of(model, w[:, :-1], w[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == args.train_steps:
            train_log.append([step, loss.item()])
            log(f"  step {step}: training loss {loss.item():.4f} ({time.perf_counter() - t0:.1f} s)")
    train_seconds = time.perf_counter() - t0
    model.eval()
    with torch.no_grad():
        trained_loss = loss_of(model, idx, targets).item()
    trained_state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}

    # Chain entropy rate (the best achievable loss) for reference.
    rng = np.random.default_rng(TEXT_SEED)
    P = rng.dirichlet(np.full(V, DIRICHLET_ALPHA), size=V)
    counts = np.bincount(text[:TEXT_LENGTH], minlength=V) / TEXT_LENGTH
    entropy = float(-(counts[:, None] * P * np.log(np.where(P > 0, P, 1))).sum())

    exports = {}
    for which, state in (("random", random_state), ("trained", trained_state)):
        m = GPT(**model_args(cfg))
        m.load_state_dict(state)
        # TrainingMode.TRAINING: in EVAL mode the legacy exporter also deduplicates
        # initializers BY VALUE (torch.onnx's deduplicate_initializers pass), and at nanoGPT's
        # initialisation every bias is zero and every LayerNorm weight one: the random model's
        # export would keep 15 of 30 initializers and feed the rest through Identity nodes,
        # i.e. tie those parameters. In TRAINING mode only shared storage is merged (the tied
        # wte/lm_head weight). The model has no dropout or batch norm, so the function and the
        # graph's ops are otherwise the same as in EVAL mode.
        m.train()
        path = os.path.join(out, f"nanogpt.{which}.onnx")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(m, (idx,), path, dynamo=False, do_constant_folding=False,
                              opset_version=17, training=torch.onnx.TrainingMode.TRAINING)
        m.eval()
        exports[which] = onnx_check(path, m, idx) if not args.no_check else {}
        save_file(state, os.path.join(out, f"nanogpt.{which}.safetensors"))
        log(f"  wrote {path} ({os.path.getsize(path)} bytes)")
    np.save(os.path.join(out, "idx.npy"), idx.numpy())
    np.save(os.path.join(out, "targets.npy"), targets.numpy())
    meta = {
        "config": cfg, "tiny": args.tiny, "parameter_count": n,
        "parameters": [[k, list(p.shape)] for k, p in model.named_parameters()],
        "loss": {"random": random_loss, "trained": trained_loss, "uniform": math.log(V),
                 "chain_entropy_rate": entropy},
        "train_steps": args.train_steps, "train_seconds": train_seconds, "train_threads": args.threads,
        "train_log": train_log, "lr": LR, "seeds": {"model": SEED, "text": TEXT_SEED, "train": TRAIN_SEED},
        "onnx": exports, "graph_input": (exports.get("random") or {}).get("inputs", ["input.1"])[0],
        "versions": versions(),
    }
    with open(meta_path, "w") as fh:
        json.dump(meta, fh, indent=1)
    log(f"  loss: random {random_loss:.4f}, trained {trained_loss:.4f} (uniform {math.log(V):.4f}, "
        f"chain entropy rate {entropy:.4f}); training {train_seconds:.1f} s")
    print(n)


# --------------------------------------------------------------------------- timing

def load(outdir, which):
    from safetensors.torch import load_file
    with open(os.path.join(outdir, "nanogpt.json")) as fh:
        meta = json.load(fh)
    model = GPT(**model_args(meta["config"]))
    model.load_state_dict(load_file(os.path.join(outdir, f"nanogpt.{which}.safetensors")))
    model.eval()
    idx = torch.from_numpy(np.load(os.path.join(outdir, "idx.npy")))
    targets = torch.from_numpy(np.load(os.path.join(outdir, "targets.npy")))
    return meta, model, idx, targets


class Problem:
    """The loss, its gradient graph and HVPs on one batch."""

    def __init__(self, model, idx, targets, seed):
        self.model, self.idx, self.targets = model, idx, targets
        self.params = list(model.parameters())  # the tied weight once
        self.n = sum(p.numel() for p in self.params)
        gen = torch.Generator().manual_seed(seed)
        self.vs = [[torch.randn(p.shape, generator=gen) for p in self.params] for _ in range(8)]
        self.grads = None

    def loss(self):
        return loss_of(self.model, self.idx, self.targets)

    def forward(self):
        with torch.no_grad():
            return self.loss()

    def gradient(self):
        return torch.autograd.grad(self.loss(), self.params)

    def gradient_graph(self):
        return torch.autograd.grad(self.loss(), self.params, create_graph=True)

    def keep_graph(self):
        self.grads = self.gradient_graph()

    def drop_graph(self):
        self.grads = None

    def hvp_kept(self, v):
        return torch.autograd.grad(self.grads, self.params, grad_outputs=v, retain_graph=True)

    def hvp(self):
        return self.hvp_kept(self.vs[0])

    def hvp_block8(self):
        return [self.hvp_kept(v) for v in self.vs]

    def hvp_full(self):
        grads = self.gradient_graph()
        return torch.autograd.grad(grads, self.params, grad_outputs=self.vs[0])

    def hvp_block8_full(self):
        grads = self.gradient_graph()
        return [torch.autograd.grad(grads, self.params, grad_outputs=v, retain_graph=True) for v in self.vs]

    def eigen(self, seed):
        """Top-1 eigenvalue by eigsh on kept-graph HVPs: (eigenvalue, HVPs, seconds, setup s)."""
        from scipy.sparse.linalg import LinearOperator, eigsh
        t0 = time.perf_counter()
        self.keep_graph()
        setup = time.perf_counter() - t0
        sizes = [p.numel() for p in self.params]
        count = [0]

        def matvec(x):
            count[0] += 1
            x = torch.from_numpy(np.ascontiguousarray(np.asarray(x).reshape(-1), dtype=np.float32))
            v = [c.view(p.shape) for c, p in zip(torch.split(x, sizes), self.params)]
            hv = self.hvp_kept(v)
            return torch.cat([h.reshape(-1) for h in hv]).double().numpy()

        op = LinearOperator((self.n, self.n), matvec=matvec, dtype=np.float64)
        v0 = np.random.default_rng(seed).standard_normal(self.n)
        vals = eigsh(op, k=1, which="LA", tol=EIGSH_TOL, v0=v0, return_eigenvectors=False)
        seconds = time.perf_counter() - t0
        self.drop_graph()
        return float(vals[-1]), count[0], seconds, setup


def median_time(fn, repeats, warmup=True):
    if warmup:
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def vm_hwm_bytes():
    """Peak resident set of this process's address space (VmHWM), else ru_maxrss."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


MEASUREMENTS = ("baseline", "forward", "gradient", "hvp", "hvp_block8", "eigen")


def peak(args):
    """Hidden subcommand: performs one measurement once and prints its VmHWM."""
    torch.set_num_threads(args.threads)
    _, model, idx, targets = load(args.outdir, args.which)
    prob = Problem(model, idx, targets, VECTOR_SEED)
    w = args.what
    if w == "forward":
        prob.forward()
    elif w == "gradient":
        prob.gradient()
    elif w == "hvp":
        prob.hvp_full()
    elif w == "hvp_block8":
        prob.hvp_block8_full()
    elif w == "eigen":
        prob.eigen(VECTOR_SEED)
    print(json.dumps({"what": w, "vm_hwm_bytes": vm_hwm_bytes(),
                      "ru_maxrss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def time_cmd(args):
    torch.set_num_threads(args.threads)
    meta, model, idx, targets = load(args.outdir, args.which)
    prob = Problem(model, idx, targets, VECTOR_SEED)
    loss = prob.forward().item()
    log(f"nanogpt time: torch {torch.__version__}, {torch.get_num_threads()} threads, {args.which} model "
        f"({prob.n} parameters), batch {list(idx.shape)}, loss {loss:.6f}, {args.repeats} repeats")
    result = {"which": args.which, "threads": torch.get_num_threads(), "repeats": args.repeats,
              "parameter_count": prob.n, "batch": list(idx.shape), "loss": loss, "precision": "float32"}
    times = {}

    def record(key, fn):
        med, ts = median_time(fn, args.repeats)
        result[key], times[key] = med, ts
        log(f"  {key}: median {med:.4f} s of " + ", ".join(f"{t:.4f}" for t in ts))

    record("forward_s", prob.forward)
    record("gradient_s", prob.gradient)
    record("gradient_graph_s", prob.gradient_graph)
    prob.keep_graph()
    record("hvp_s", prob.hvp)
    record("hvp_block8_s", prob.hvp_block8)
    prob.drop_graph()
    record("hvp_full_s", prob.hvp_full)
    record("hvp_block8_full_s", prob.hvp_block8_full)

    runs = [prob.eigen(VECTOR_SEED) for _ in range(args.eigen_repeats)]
    result["eigen_value"] = runs[0][0]
    result["eigen_hvp_count"] = runs[0][1]
    result["eigen_s"] = statistics.median(r[2] for r in runs)
    result["eigen_setup_s"] = statistics.median(r[3] for r in runs)
    result["eigen_per_hvp_s"] = (result["eigen_s"] - result["eigen_setup_s"]) / runs[0][1]
    result["eigen_settings"] = {"solver": "scipy.sparse.linalg.eigsh", "k": 1, "which": "LA",
                                "tol": EIGSH_TOL, "v0": f"default_rng({VECTOR_SEED}).standard_normal(n)",
                                "repeats": args.eigen_repeats}
    times["eigen_s"] = [r[2] for r in runs]
    log(f"  eigen: {result['eigen_value']:.6g} after {result['eigen_hvp_count']} HVPs, "
        f"{result['eigen_s']:.3f} s")
    result["times"] = times
    result["peak_rss_bytes_process"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    if args.memory == "subprocess":
        peaks = {}
        for what in MEASUREMENTS:
            cmd = [sys.executable, os.path.abspath(__file__), "_peak", args.outdir, "--which", args.which,
                   "--threads", str(args.threads), "--what", what]
            res = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
            peaks[what] = json.loads(res.stdout.strip().splitlines()[-1])["vm_hwm_bytes"]
            log(f"  peak RSS {what}: {peaks[what] / 2**20:.1f} MiB")
        result["peak_rss_bytes"] = peaks
        result["peak_rss_method"] = ("VmHWM of a fresh Python subprocess per measurement (imports, "
                                     "model and data loaded, the measurement performed once)")
    result["versions"] = versions()
    print(json.dumps(result))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    e = sub.add_parser("export", help="write the problem files")
    e.add_argument("outdir")
    e.add_argument("--train-steps", type=int, default=300)
    e.add_argument("--threads", type=int, default=1, help="torch threads for training (default 1)")
    e.add_argument("--force", action="store_true")
    e.add_argument("--no-check", action="store_true", help="skip the ONNX reference-evaluator check")
    e.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # 2 layers, width 32, T 16, B 2
    t = sub.add_parser("time", help="PyTorch timings (JSON on stdout)")
    t.add_argument("outdir")
    t.add_argument("--which", choices=("random", "trained"), required=True)
    t.add_argument("--repeats", type=int, default=3)
    t.add_argument("--eigen-repeats", type=int, default=1)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--memory", choices=("subprocess", "none"), default="subprocess")
    p = sub.add_parser("_peak")
    p.add_argument("outdir")
    p.add_argument("--which", choices=("random", "trained"), required=True)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--what", choices=MEASUREMENTS, required=True)
    args = ap.parse_args()
    {"export": export, "time": time_cmd, "_peak": peak}[args.command](args)


if __name__ == "__main__":
    main()
