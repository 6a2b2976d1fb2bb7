#!/usr/bin/env python3
"""Regenerates every file under Tests/Fixtures/ (PyTorch reference values).

Run from the repository root:

    source bench/venv.sh && "$HESSIANKIT_PYTHON" Scripts/generate_fixtures.py

For each case NAME it writes
  NAME.weights.safetensors  model.state_dict() as PyTorch gives it (float32
                            parameters and buffers, BatchNorm num_batches_tracked int64)
  NAME.data.safetensors     inputs (float32), labels (int64 class indices or float32
                            regression targets), logits, loss, grad.<p>, direction.<p>,
                            hvp.<p> (all float64; <p> runs over named_parameters())
and Tests/Fixtures/README.md describing all of them (library versions included).

All reference numbers are computed in float64: the saved float32 state dict is
loaded into a fresh model, the model is converted with .double() and the float32
inputs with .double() (exact conversions). hvp is the full Hessian (all
cross-parameter blocks) times direction, computed by double backward and
cross-checked against torch.func forward-over-reverse and central differences (step 1e-7).

The package and its tests never run this script; they only read its outputs.
"""

import collections
import os
import platform
import sys

import numpy as np
import safetensors
import torch
import torch.nn as nn
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from pytorch_models import randomize_batchnorm, resnet20  # noqa: E402

OUT_DIR = os.path.join(ROOT, "Tests", "Fixtures")


# --------------------------------------------------------------------------- cases

Case = collections.namedtuple(
    "Case",
    "name seed build input_shape loss num_classes target_shape train_bn description",
)


def build_mlp_tanh():
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))


def build_activations():
    return nn.Sequential(
        nn.Linear(6, 8), nn.GELU(),
        nn.Linear(8, 8), nn.Softplus(),
        nn.Linear(8, 8), nn.ELU(),
        nn.Linear(8, 8), nn.Sigmoid(),
        nn.Linear(8, 8), nn.LeakyReLU(0.1),
        nn.Linear(8, 8), nn.Tanh(),
        nn.Linear(8, 4),
    )


def build_convnet_train():
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, stride=1, padding=1, bias=True),
        nn.BatchNorm2d(4),
        nn.Tanh(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2, bias=True),
        nn.BatchNorm2d(6),
        nn.Sigmoid(),
        nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(6, 5),
    )


def build_bn1d_train():
    return nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))


def _conv_eval_pool_features():
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, stride=2, padding=1, bias=False),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.MaxPool2d(3, stride=2, padding=1),
        nn.Conv2d(3, 4, 2, stride=1, padding=0, bias=True),
        nn.AvgPool2d(2, stride=1),
        nn.Flatten(),
    )


def build_conv_eval_pool():
    features = _conv_eval_pool_features()
    with torch.no_grad():
        n_in = features.eval()(torch.zeros(1, 2, 13, 13)).shape[1]  # 13 -> 7 -> 4 -> 3 -> 2: 4*2*2 = 16
    # Re-create the layers in one Sequential so the indices run 0..7.
    return nn.Sequential(*list(features), nn.Linear(n_in, 3))


CASES = [
    Case("resnet20", 1001, resnet20, (2, 3, 32, 32), "ce_mean", 10, None, False,
         "CIFAR ResNet-20 (bench/pytorch_models.py), eval-mode BatchNorm, cross-entropy (mean)"),
    Case("mlp_tanh", 1002, build_mlp_tanh, (6, 5), "ce_mean", 3, None, False,
         "Sequential(Linear(5,7), Tanh, Linear(7,3)), cross-entropy (mean)"),
    Case("activations", 1003, build_activations, (5, 6), "mse_mean", None, (5, 4), False,
         "Sequential(Linear(6,8), GELU(erf), Linear(8,8), Softplus, Linear(8,8), ELU, Linear(8,8), "
         "Sigmoid, Linear(8,8), LeakyReLU(0.1), Linear(8,8), Tanh, Linear(8,4)), MSE (mean)"),
    Case("convnet_train", 1004, build_convnet_train, (3, 3, 12, 12), "ce_sum", 5, None, True,
         "Sequential(Conv2d(3,4,3,s1,p1), BatchNorm2d(4) TRAIN, Tanh, MaxPool2d(2), "
         "Conv2d(4,6,3,s2,p2,dilation 2), BatchNorm2d(6) TRAIN, Sigmoid, AvgPool2d(2), "
         "AdaptiveAvgPool2d(1), Flatten, Linear(6,5)), cross-entropy (SUM)"),
    Case("bn1d_train", 1005, build_bn1d_train, (8, 4), "ce_mean", 3, None, True,
         "Sequential(Linear(4,6), BatchNorm1d(6) TRAIN, ReLU, Linear(6,3)), cross-entropy (mean)"),
    Case("conv_eval_pool", 1006, build_conv_eval_pool, (2, 2, 13, 13), "ce_mean", 3, None, False,
         "Sequential(Conv2d(2,3,3,s2,p1,no bias), BatchNorm2d(3) eval, ReLU, MaxPool2d(3,s2,p1), "
         "Conv2d(3,4,2,s1,p0), AvgPool2d(2,s1), Flatten, Linear(16,3)), cross-entropy (mean)"),
]

NUM_BATCHES_TRACKED = 7


def criterion(kind):
    return {
        "ce_mean": nn.CrossEntropyLoss(reduction="mean"),
        "ce_sum": nn.CrossEntropyLoss(reduction="sum"),
        "mse_mean": nn.MSELoss(reduction="mean"),
    }[kind]


def set_mode(model, train_bn):
    """Eval mode everywhere, except BatchNorm in train mode (batch statistics) if asked."""
    model.eval()
    if train_bn:
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.train()
    return model


# --------------------------------------------------------------------------- generation

def make_case(case):
    torch.manual_seed(case.seed)
    gen = torch.Generator().manual_seed(case.seed)

    # 1. model with default PyTorch initialisation (uses the global RNG, seeded above),
    #    then non-trivial BatchNorm parameters and statistics.
    model = case.build()
    randomize_batchnorm(model, generator=gen, num_batches_tracked=NUM_BATCHES_TRACKED)
    # The state dict is taken BEFORE any forward pass (a train-mode forward would
    # update the running statistics).
    state = collections.OrderedDict(
        (k, v.detach().clone().contiguous()) for k, v in model.state_dict().items()
    )

    # 2. data (float32 inputs; int64 labels or float32 targets).
    inputs = torch.randn(case.input_shape, generator=gen, dtype=torch.float32)
    if case.num_classes is not None:
        labels = torch.randint(0, case.num_classes, (case.input_shape[0],), generator=gen, dtype=torch.int64)
    else:
        labels = torch.randn(case.target_shape, generator=gen, dtype=torch.float32)

    # 3. float64 reference model: a fresh instance loaded from the saved float32 state.
    ref = case.build()
    ref.load_state_dict(state)
    ref = set_mode(ref.double(), case.train_bn)
    names = [n for n, _ in ref.named_parameters()]
    params = [p for _, p in ref.named_parameters()]
    directions = [torch.randn(p.shape, generator=gen).float().double() for p in params]

    x = inputs.double()
    y = labels if labels.dtype == torch.int64 else labels.double()
    crit = criterion(case.loss)

    logits = ref(x)
    loss = crit(logits, y)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    hvps = torch.autograd.grad(grads, params, grad_outputs=directions)

    check_hvp(case, state, x, y, crit, names, directions, hvps)

    data = collections.OrderedDict()
    data["inputs"] = inputs
    data["labels"] = labels
    data["logits"] = logits.detach().clone().contiguous()
    data["loss"] = loss.detach().clone().reshape(())
    for n, g in zip(names, grads):
        data["grad." + n] = g.detach().clone().contiguous()
    for n, v in zip(names, directions):
        data["direction." + n] = v.clone().contiguous()
    for n, h in zip(names, hvps):
        data["hvp." + n] = h.detach().clone().contiguous()
    return state, data, names


def check_hvp(case, state, x, y, crit, names, directions, hvps):
    """Independent checks of the double-backward HVP: torch.func forward-over-reverse
    (jvp of grad) and a central difference of the gradient (float64)."""
    from torch.func import functional_call, grad, jvp

    model = case.build()
    model.load_state_dict(state)
    model = set_mode(model.double(), case.train_bn)
    pdict = {n: p.detach() for n, p in model.named_parameters()}
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}

    def loss_of(p):
        # Copies of the buffers so a train-mode forward does not leak state between calls.
        b = {k: v.clone() for k, v in buffers.items()}
        out = functional_call(model, (p, b), (x,))
        if isinstance(crit, nn.MSELoss):
            # torch 2.x: jvp(grad(F.mse_loss)) raises "ZeroTensors are immutable"
            # (forward-mode through mse_loss_backward); the explicit formula is identical.
            return ((out - y) ** 2).mean()
        return crit(out, y)

    tangent = dict(zip(names, directions))
    _, hv_fwd = jvp(grad(loss_of), (pdict,), (tangent,))
    # A small step so no ReLU / max-pool kink is crossed (a crossing makes the
    # difference quotient meaningless); float64 round-off is still far below 1e-5.
    eps = 1e-7
    plus = {n: pdict[n] + eps * tangent[n] for n in names}
    minus = {n: pdict[n] - eps * tangent[n] for n in names}
    g_plus, g_minus = grad(loss_of)(plus), grad(loss_of)(minus)
    scale = max(h.abs().max().item() for h in hvps)
    for n, h in zip(names, hvps):
        err_fwd = (hv_fwd[n] - h).abs().max().item()
        err_fd = ((g_plus[n] - g_minus[n]) / (2 * eps) - h).abs().max().item()
        assert err_fwd <= 1e-10 * max(scale, 1.0), f"{case.name} {n}: forward-over-reverse differs by {err_fwd}"
        assert err_fd <= 1e-5 * max(scale, 1.0), f"{case.name} {n}: finite differences differ by {err_fd}"


# --------------------------------------------------------------------------- README

def versions():
    return collections.OrderedDict([
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("safetensors", safetensors.__version__),
        ("numpy", np.__version__),
    ])


def fmt_shape(t):
    return "[" + ", ".join(str(d) for d in t.shape) + "]"


def dtype_name(t):
    return {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}[t.dtype]


def readme(results):
    v = versions()
    lines = []
    w = lines.append
    w("# Test fixtures (PyTorch reference values)")
    w("")
    w("Generated by `Scripts/generate_fixtures.py`; do not edit by hand. Regenerate from the")
    w("repository root with")
    w("")
    w("    source bench/venv.sh && \"$HESSIANKIT_PYTHON\" Scripts/generate_fixtures.py")
    w("")
    w("which rewrites every file in this directory, this README included. The package and")
    w("its tests never need Python: they only read these files.")
    w("")
    w("Library versions used for the files committed here (written by the script):")
    w("")
    for k, val in v.items():
        w(f"- {k} {val}")
    w("")
    w("## Conventions")
    w("")
    w("For every case `NAME` there are two safetensors files:")
    w("")
    w("- `NAME.weights.safetensors`: `model.state_dict()` exactly as PyTorch gives it,")
    w("  float32 parameters and buffers, BatchNorm `num_batches_tracked` as int64 (set to")
    w(f"  {NUM_BATCHES_TRACKED}). It is saved before any forward pass. Parameters have PyTorch's")
    w("  default initialisation; every BatchNorm is then made non-trivial: weight = 1 + 0.1 N(0,1),")
    w("  bias = 0.1 N(0,1), running_mean = 0.1 N(0,1), running_var = U(0.5, 1.5)")
    w("  (`randomize_batchnorm` in `bench/pytorch_models.py`).")
    w("- `NAME.data.safetensors`:")
    w("  - `inputs` (float32), standard normal;")
    w("  - `labels`: int64 class indices for cross-entropy cases, float32 standard-normal")
    w("    targets for the MSE case (named `labels` in both cases);")
    w("  - `logits` (float64): model output;")
    w("  - `loss` (float64, shape `[]`);")
    w("  - `grad.<p>` (float64): gradient of the loss w.r.t. parameter `<p>`;")
    w("  - `direction.<p>` (float64): a random direction v, standard normal rounded to")
    w("    float32 (`torch.randn(...).float().double()`);")
    w("  - `hvp.<p>` (float64): block `<p>` of H v, where H is the full Hessian of the loss")
    w("    w.r.t. all parameters (cross-parameter blocks included), computed by double")
    w("    backward (`torch.autograd.grad(grads, params, grad_outputs=v)`).")
    w("")
    w("  `<p>` runs over `model.named_parameters()` in that order (the order of the tables")
    w("  below). Buffers (running statistics) have no grad/direction/hvp entries.")
    w("")
    w("All reference values are computed in float64: the saved float32 state dict is loaded")
    w("into a fresh model, which is converted with `.double()`, and `inputs.double()` is fed")
    w("(both conversions are exact). The HVP of every case is cross-checked in the script")
    w("against torch.func forward-over-reverse (agreement to 1e-10 relative to max |Hv|) and")
    w("central differences of the gradient (step 1e-7, agreement to 1e-5).")
    w("")
    w("Key order: a safetensors file stores its tensors sorted by dtype and name, not in")
    w("`state_dict()` order; the tables below give the PyTorch order (`state_dict()` for the")
    w("weights, `named_parameters()` for `<p>`). Each file carries one metadata entry,")
    w("`generator`, naming the script, case and seed.")
    w("")
    w("Modes: the whole model is in eval mode, except that the BatchNorm layers of the `_train`")
    w("cases are in train mode (normalisation by batch mean and biased batch variance, eps")
    w("1e-5; the running statistics in the weights file are then not used by the forward).")
    w("")
    w("Randomness: each case calls `torch.manual_seed(seed)` before building the model")
    w("(default initialisation draws from the global generator) and then draws the BatchNorm")
    w("values, inputs, labels and directions, in that order, from")
    w("`torch.Generator().manual_seed(seed)`.")
    w("")
    w("## Cases")
    for case, (state, data, names), files in results:
        w("")
        w(f"### `{case.name}` (seed {case.seed})")
        w("")
        w(case.description + ".")
        mode = "BatchNorm in train mode (batch statistics)" if case.train_bn else "eval mode"
        loss_desc = {"ce_mean": "`nn.CrossEntropyLoss(reduction='mean')`",
                     "ce_sum": "`nn.CrossEntropyLoss(reduction='sum')`",
                     "mse_mean": "`nn.MSELoss(reduction='mean')`"}[case.loss]
        w(f"Mode: {mode}. Loss: {loss_desc}; loss = {data['loss'].item():.17g}.")
        w("")
        w("Files: " + ", ".join(f"`{f}` ({sz} bytes)" for f, sz in files) + ".")
        w("")
        w(f"`{case.name}.weights.safetensors` (state dict, {len(state)} tensors):")
        w("")
        w("| key | dtype | shape |")
        w("| --- | --- | --- |")
        for k, t in state.items():
            w(f"| `{k}` | {dtype_name(t)} | {fmt_shape(t)} |")
        w("")
        w(f"`{case.name}.data.safetensors`:")
        w("")
        w("| key | dtype | shape |")
        w("| --- | --- | --- |")
        for k in ("inputs", "labels", "logits", "loss"):
            w(f"| `{k}` | {dtype_name(data[k])} | {fmt_shape(data[k])} |")
        w(f"| `grad.<p>`, `direction.<p>`, `hvp.<p>` for each of the {len(names)} parameters below | float64 | shape of `<p>` |")
        w("")
        w("Parameters `<p>` in `named_parameters()` order: " + ", ".join(f"`{n}`" for n in names) + ".")
    w("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main

def verify(path, expected):
    loaded = load_file(path)
    assert set(loaded) == set(expected), f"{path}: keys differ"
    for k, t in expected.items():
        got = loaded[k]
        assert got.dtype == t.dtype and tuple(got.shape) == tuple(t.shape), \
            f"{path}: {k} is {got.dtype}{tuple(got.shape)}, expected {t.dtype}{tuple(t.shape)}"
        assert torch.equal(got, t), f"{path}: {k} differs after reload"


def main():
    # Single-threaded deterministic kernels: the float64 references are then
    # reproducible bit for bit on the same library versions.
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT_DIR, exist_ok=True)
    for f in os.listdir(OUT_DIR):
        if f.endswith(".safetensors"):
            os.remove(os.path.join(OUT_DIR, f))

    results = []
    for case in CASES:
        state, data, names = make_case(case)
        files = []
        for suffix, tensors in (("weights", state), ("data", data)):
            fname = f"{case.name}.{suffix}.safetensors"
            path = os.path.join(OUT_DIR, fname)
            # One metadata key only: safetensors writes the metadata map in hash order,
            # so several keys would make the bytes differ from run to run.
            save_file(dict(tensors), path, metadata={
                "generator": f"Scripts/generate_fixtures.py case {case.name} seed {case.seed}"})
            os.chmod(path, 0o644)  # safetensors creates files 0600
            verify(path, tensors)
            files.append((fname, os.path.getsize(path)))
        print(f"{case.name}: {len(state)} state tensors, {len(names)} parameters "
              f"({sum(data['grad.' + n].numel() for n in names)} values), loss {data['loss'].item():.6f}; "
              + ", ".join(f"{f} {sz} B" for f, sz in files))
        results.append((case, (state, data, names), files))

    with open(os.path.join(OUT_DIR, "README.md"), "w") as fh:
        fh.write(readme(results))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))


if __name__ == "__main__":
    main()
