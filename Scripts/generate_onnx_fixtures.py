#!/usr/bin/env python3
"""Regenerates every file under Tests/Fixtures/onnx/ (ONNX exports + PyTorch reference values).

Run from the repository root:

    source bench/venv.sh && "$HESSIANKIT_PYTHON" Scripts/generate_onnx_fixtures.py

For each case NAME it writes
  NAME.legacy.onnx          torch.onnx.export(model, args, path, dynamo=False,
                            do_constant_folding=False, opset_version=17), model in eval()
  NAME.dynamo.onnx          torch.onnx.export(model, args, dynamo=True, optimize=False),
                            default opset, saved with all data embedded, except resnet20
                            whose weights go to NAME.dynamo.onnx.data (external data)
  NAME.weights.safetensors  model.state_dict() (float32; not written for resnet20, whose
                            state dict is ../resnet20.weights.safetensors)
  NAME.data.safetensors     inputs (float32), labels (int64), logits, loss, grad.<p>,
                            direction.<p>, hvp.<p> (float64; <p> over named_parameters());
                            resnet20: inputs, labels, logits, loss only (its grad is the one
                            of ../resnet20.data.safetensors, see RESNET20_STORE_GRAD)
  NAME.json                 parameter order, state-dict order and, per exporter, the graph's
                            initializers (file order), inputs, outputs, opsets, op types
and Tests/Fixtures/onnx/README.md. The `folded` case is exported with constant folding /
the onnxscript optimizer instead (see export()); `gan` has its own data layout
(see make_case()).

Reference numbers follow Scripts/generate_fixtures.py: the saved float32 state dict is
loaded into a fresh model which is converted with .double(); the HVP is the full Hessian
times a direction by double backward, cross-checked against torch.func forward-over-reverse
and central differences. Every exported graph is also checked with onnx.checker (full
check) and run with onnx.reference.ReferenceEvaluator on the float32 inputs, whose output
must match the float64 reference.

The package and its tests never run this script; they only read its outputs.
"""

import collections
import json
import os
import platform
import re
import sys
import warnings

import numpy as np
import onnx
import onnx.numpy_helper
import onnx.reference
import safetensors
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
from pytorch_models import randomize_batchnorm, resnet20  # noqa: E402

OUT_DIR = os.path.join(ROOT, "Tests", "Fixtures", "onnx")
FIXTURES = os.path.join(ROOT, "Tests", "Fixtures")
SCRIPT = "Scripts/generate_onnx_fixtures.py"
NUM_BATCHES_TRACKED = 7
LEGACY_OPSET = 17


# --------------------------------------------------------------------------- models

class Seed003(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 32, 3, 1, 1)
        self.f2 = nn.Linear(32 * 6 * 6, 5)

    def forward(self, x):
        x = self.c1(x)
        x = x.view(x.size(0), -1)
        return self.f2(x)


class LeNet(nn.Module):
    """LeNet-5 style on 16x16 inputs: 16 -conv5-> 12 -pool-> 6 -conv5-> 2 -pool-> 1,
    so the flattened feature has 16 * 1 * 1 = 16 entries."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 1 * 1, 32)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.flatten(x)
        x = self.relu3(self.fc1(x))
        return self.fc2(x)


class Folded(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(self.flatten(self.relu(self.bn(self.conv(x)))))


class GanObjective(nn.Module):
    """DCGAN-style generator followed by a small classifier; forward(z) returns the
    scalar objective -logits[0, 2]."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 16 * 2 * 2)
        self.deconv1 = nn.ConvTranspose2d(16, 8, 4, 2, 1)
        self.bn1 = nn.BatchNorm2d(8)
        self.deconv2 = nn.ConvTranspose2d(8, 3, 4, 2, 1)
        self.conv = nn.Conv2d(3, 4, 3)
        self.head = nn.Linear(4 * 10 * 10, 5)

    def forward(self, z):
        x = self.fc(z).view(1, 16, 2, 2)                       # [1, 16, 2, 2]
        x = F.leaky_relu(self.bn1(self.deconv1(x)), 0.2)       # [1, 8, 4, 4]
        x = torch.tanh(self.deconv2(x))                        # [1, 3, 8, 8]
        x = F.interpolate(x, size=(12, 12), mode="bilinear", align_corners=True)
        x = F.relu(self.conv(x))                               # [1, 4, 10, 10]
        logits = self.head(torch.flatten(x, 1))                # [1, 5]
        return -logits[0, 2]


class OpNet(nn.Module):
    """Tiny network for one op: the layers are registered as named children in the
    given order, forward is `fn(self, x)`."""

    def __init__(self, layers, fn):
        super().__init__()
        for k, v in layers:
            setattr(self, k, v)
        self._fn = fn

    def forward(self, x):
        return self._fn(self, x)


def op_net(layers, fn):
    return lambda: OpNet(layers(), fn)


def L(*a, **k):
    return nn.Linear(*a, **k)


def C(*a, **k):
    return nn.Conv2d(*a, **k)


flat = lambda t: torch.flatten(t, 1)  # noqa: E731


def act_case(name, act, desc):
    return (name, op_net(lambda: [("pre", L(6, 8)), ("act", act()), ("head", L(8, 3))],
                         lambda m, x: m.head(m.act(m.pre(x)))),
            (4, 6), f"Linear(6,8) -> {desc} -> Linear(8,3)")


def fn_case(name, f, desc):
    return (name, op_net(lambda: [("pre", L(6, 8)), ("head", L(8, 3))],
                         lambda m, x: m.head(f(m.pre(x)))),
            (4, 6), f"Linear(6,8) -> {desc} -> Linear(8,3)")


# (name, builder, input shape, description); every op case has 3 classes.
OP_CASES = [
    ("op_gemm", op_net(lambda: [("pre", L(6, 5)), ("head", L(5, 3))],
                       lambda m, x: m.head(m.pre(x))),
     (4, 6), "Linear(6,5) -> Linear(5,3) (two Gemm)"),
    ("op_conv_groups_dilation",
     op_net(lambda: [("conv", C(4, 6, 3, padding=1, dilation=2, groups=2)), ("head", L(96, 3))],
            lambda m, x: m.head(flat(m.conv(x)))),
     (4, 4, 6, 6), "Conv2d(4,6,3,padding=1,dilation=2,groups=2) [4,6,4,4] -> flatten -> Linear(96,3)"),
    ("op_pad_conv",
     op_net(lambda: [("pre", C(2, 2, 1)), ("conv", C(2, 3, 3)), ("head", L(72, 3))],
            lambda m, x: m.head(flat(m.conv(F.pad(m.pre(x), (1, 0, 2, 1)))))),
     (4, 2, 5, 5), "Conv2d(2,2,1) -> F.pad(.,(1,0,2,1)) [4,2,8,6] -> Conv2d(2,3,3) [4,3,6,4] "
                   "-> flatten -> Linear(72,3)"),
    ("op_conv_transpose",
     op_net(lambda: [("deconv", nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1)),
                     ("head", L(72, 3))],
            lambda m, x: m.head(flat(m.deconv(x)))),
     (4, 3, 3, 3), "ConvTranspose2d(3,2,3,stride=2,padding=1,output_padding=1) [4,2,6,6] "
                   "-> flatten -> Linear(72,3)"),
    ("op_batchnorm",
     op_net(lambda: [("conv", C(2, 3, 3)), ("bn", nn.BatchNorm2d(3)), ("head", L(27, 3))],
            lambda m, x: m.head(flat(m.bn(m.conv(x))))),
     (4, 2, 5, 5), "Conv2d(2,3,3) -> BatchNorm2d(3) eval -> flatten -> Linear(27,3)"),
    ("op_maxpool",
     op_net(lambda: [("conv", C(2, 3, 3, padding=1)), ("pool", nn.MaxPool2d(2)), ("head", L(27, 3))],
            lambda m, x: m.head(flat(m.pool(m.conv(x))))),
     (4, 2, 6, 6), "Conv2d(2,3,3,padding=1) -> MaxPool2d(2) [4,3,3,3] -> flatten -> Linear(27,3)"),
    ("op_avgpool",
     op_net(lambda: [("conv", C(2, 3, 3, padding=1)), ("pool", nn.AvgPool2d(2)), ("head", L(27, 3))],
            lambda m, x: m.head(flat(m.pool(m.conv(x))))),
     (4, 2, 6, 6), "Conv2d(2,3,3,padding=1) -> AvgPool2d(2) [4,3,3,3] -> flatten -> Linear(27,3)"),
    ("op_adaptive_avgpool",
     op_net(lambda: [("conv", C(2, 4, 3)), ("pool", nn.AdaptiveAvgPool2d(1)), ("head", L(4, 3))],
            lambda m, x: m.head(flat(m.pool(m.conv(x))))),
     (4, 2, 5, 5), "Conv2d(2,4,3) -> AdaptiveAvgPool2d(1) -> flatten -> Linear(4,3)"),
    act_case("op_sigmoid", nn.Sigmoid, "Sigmoid"),
    act_case("op_tanh", nn.Tanh, "Tanh"),
    act_case("op_softplus", nn.Softplus, "Softplus"),
    act_case("op_elu", nn.ELU, "ELU"),
    act_case("op_leaky_relu", lambda: nn.LeakyReLU(0.2), "LeakyReLU(0.2)"),
    act_case("op_gelu", nn.GELU, "GELU (erf)"),
    act_case("op_gelu_tanh", lambda: nn.GELU(approximate="tanh"), "GELU(approximate='tanh')"),
    act_case("op_softmax", lambda: nn.Softmax(dim=1), "Softmax(dim=1)"),
    act_case("op_log_softmax", lambda: nn.LogSoftmax(dim=-1), "LogSoftmax(dim=-1)"),
    ("op_cat",
     op_net(lambda: [("a", L(6, 4)), ("b", L(6, 5)), ("head", L(9, 3))],
            lambda m, x: m.head(torch.cat([m.a(x), torch.tanh(m.b(x))], dim=1))),
     (4, 6), "cat([Linear(6,4)(x), tanh(Linear(6,5)(x))], dim=1) -> Linear(9,3)"),
    ("op_split",
     op_net(lambda: [("pre", L(6, 8)), ("head", L(8, 3))],
            lambda m, x: (lambda p: m.head(torch.cat([torch.tanh(p[1]), p[0]], dim=1)))(
                torch.split(m.pre(x), [3, 5], dim=1))),
     (4, 6), "Linear(6,8) -> a, b = torch.split(., [3,5], dim=1) -> cat([tanh(b), a], 1) -> Linear(8,3)"),
    ("op_chunk",
     op_net(lambda: [("pre", L(6, 8)), ("head", L(4, 3))],
            lambda m, x: (lambda p: m.head(p[0] * torch.sigmoid(p[1])))(torch.chunk(m.pre(x), 2, dim=1))),
     (4, 6), "Linear(6,8) -> a, b = torch.chunk(., 2, dim=1) -> a * sigmoid(b) -> Linear(4,3)"),
    ("op_slice",
     op_net(lambda: [("pre", L(6, 8)), ("head", L(2, 3))],
            lambda m, x: m.head(torch.tanh(m.pre(x)[:, 1:3]))),
     (4, 6), "Linear(6,8) -> h[:, 1:3] -> tanh -> Linear(2,3)"),
    ("op_permute",
     op_net(lambda: [("conv", C(2, 3, 3)), ("mid", L(3, 4)), ("head", L(16, 3))],
            lambda m, x: m.head(flat(torch.tanh(m.mid(m.conv(x).permute(0, 2, 3, 1))).transpose(1, 3)))),
     (4, 2, 4, 4), "Conv2d(2,3,3) [4,3,2,2] -> permute(0,2,3,1) -> Linear(3,4) on the last dim "
                   "(MatMul+Add) -> tanh -> transpose(1,3) [4,4,2,2] -> flatten -> Linear(16,3)"),
    ("op_squeeze",
     op_net(lambda: [("pre", L(6, 8)), ("conv", C(1, 2, (3, 1))), ("head", L(12, 3))],
            lambda m, x: m.head(flat(m.conv(m.pre(x).unsqueeze(1).unsqueeze(-1)).squeeze(-1)))),
     (4, 6), "Linear(6,8) -> unsqueeze(1).unsqueeze(-1) [4,1,8,1] -> Conv2d(1,2,(3,1)) [4,2,6,1] "
             "-> squeeze(-1) -> flatten -> Linear(12,3)"),
    ("op_mean",
     op_net(lambda: [("conv", C(2, 4, 3)), ("head", L(4, 3))],
            lambda m, x: m.head(m.conv(x).mean(dim=(2, 3)))),
     (4, 2, 5, 5), "Conv2d(2,4,3) -> mean(dim=(2,3)) -> Linear(4,3)"),
    ("op_sum",
     op_net(lambda: [("conv", C(2, 3, 3)), ("head", L(9, 3))],
            lambda m, x: m.head(flat(m.conv(x).sum(dim=-1)))),
     (4, 2, 5, 5), "Conv2d(2,3,3) [4,3,3,3] -> sum(dim=-1) -> flatten -> Linear(9,3)"),
    fn_case("op_clamp", lambda h: torch.clamp(h, -1.0, 1.0), "clamp(-1,1)"),
    fn_case("op_pow", lambda h: torch.pow(h, 2), "pow(h,2)"),
    fn_case("op_sqrt", lambda h: torch.sqrt(torch.abs(h) + 1), "sqrt(abs(h)+1)"),
    fn_case("op_exp", torch.exp, "exp"),
    fn_case("op_log", lambda h: torch.log(torch.abs(h) + 1), "log(abs(h)+1)"),
    ("op_div",
     op_net(lambda: [("a", L(6, 5)), ("b", L(6, 5)), ("head", L(5, 3))],
            lambda m, x: (lambda b: m.head(m.a(x) / (b * b + 1)))(m.b(x))),
     (4, 6), "Linear(6,5)(x) / (Linear(6,5)(x)^2 + 1) -> Linear(5,3)"),
    ("op_interp_bilinear_ac",
     op_net(lambda: [("conv", C(2, 2, 3, padding=1)), ("head", L(50, 3))],
            lambda m, x: m.head(flat(F.interpolate(m.conv(x), size=(5, 5), mode="bilinear",
                                                   align_corners=True)))),
     (4, 2, 3, 3), "Conv2d(2,2,3,padding=1) [4,2,3,3] -> F.interpolate(size=(5,5), bilinear, "
                   "align_corners=True) -> flatten -> Linear(50,3)"),
    ("op_interp_bilinear",
     op_net(lambda: [("conv", C(2, 2, 3, padding=1)), ("head", L(70, 3))],
            lambda m, x: m.head(flat(F.interpolate(m.conv(x), size=(5, 7), mode="bilinear",
                                                   align_corners=False)))),
     (4, 2, 3, 3), "Conv2d(2,2,3,padding=1) [4,2,3,3] -> F.interpolate(size=(5,7), bilinear, "
                   "align_corners=False) -> flatten -> Linear(70,3)"),
    ("op_interp_nearest",
     op_net(lambda: [("conv", C(2, 2, 3, padding=1)), ("head", L(72, 3))],
            lambda m, x: m.head(flat(F.interpolate(m.conv(x), scale_factor=2, mode="nearest")))),
     (4, 2, 3, 3), "Conv2d(2,2,3,padding=1) [4,2,3,3] -> F.interpolate(scale_factor=2, nearest) "
                   "[4,2,6,6] -> flatten -> Linear(72,3)"),
]


# kind: "ce" (cross-entropy mean, full reference), "resnet20" (no hvp, weights from
# ../resnet20.weights.safetensors, inputs from ../resnet20.data.safetensors),
# "folded" (folding exporters, forward reference only), "gan" (scalar objective of z).
Case = collections.namedtuple("Case", "name seed build input_shape num_classes kind description")

CASES = [
    Case("seed003", 3003, Seed003, (8, 1, 6, 6), 5, "ce",
         "Conv2d(1,32,3,1,1) as `c1`, x.view(x.size(0), -1), Linear(1152,5) as `f2`; 6,085 parameters"),
    Case("lenet", 3004, LeNet, (8, 1, 16, 16), 10, "ce",
         "LeNet on 16x16 inputs: conv1 Conv2d(1,6,5), ReLU, MaxPool2d(2), conv2 Conv2d(6,16,5), ReLU, "
         "MaxPool2d(2), Flatten (16*1*1 = 16 features), fc1 Linear(16,32), ReLU, fc2 Linear(32,10)"),
    Case("resnet20", 1001, resnet20, (2, 3, 32, 32), 10, "resnet20",
         "CIFAR ResNet-20 of bench/pytorch_models.py with the state dict of "
         "../resnet20.weights.safetensors and the inputs/labels of ../resnet20.data.safetensors"),
    Case("folded", 3006, Folded, (4, 3, 6, 6), 3, "folded",
         "conv Conv2d(3,4,3), bn BatchNorm2d(4) eval, ReLU, Flatten, fc Linear(64,3); exported WITH "
         "folding (legacy do_constant_folding=True, dynamo optimize=True)"),
    Case("gan", 3007, GanObjective, (1, 8), None, "gan",
         "z [1,8] -> fc Linear(8,64) -> view [1,16,2,2] -> deconv1 ConvTranspose2d(16,8,4,2,1) -> bn1 "
         "BatchNorm2d(8) eval -> LeakyReLU(0.2) -> deconv2 ConvTranspose2d(8,3,4,2,1) -> Tanh -> "
         "F.interpolate((12,12), bilinear, align_corners=True) -> conv Conv2d(3,4,3) -> ReLU -> Flatten -> "
         "head Linear(400,5); objective = -logits[0, 2]"),
]
for i, (name, build, shape, desc) in enumerate(OP_CASES):
    CASES.append(Case(name, 3100 + i, build, shape, 3, "ce", desc))

EXTERNAL_DATA_CASE = "resnet20"
# resnet20 uses the inputs of ../resnet20.data.safetensors, which holds 2 samples, so
# its gradient is the one already stored there (asserted below to agree to 1e-12).
# Storing it again would add 2.2 MB; set True to write grad.<p> into resnet20.data too.
RESNET20_STORE_GRAD = False


# --------------------------------------------------------------------------- references

def fresh(case, state):
    model = case.build()
    model.load_state_dict(state)
    return model.eval()


def objective_fn(case, crit, y):
    if case.kind == "gan":
        return lambda out: out
    return lambda out: crit(out, y)


def check_hvp(case, state, x, obj, names, directions, hvps):
    """torch.func forward-over-reverse (jvp of grad) and central differences of the
    gradient (float64), as in Scripts/generate_fixtures.py."""
    from torch.func import functional_call, grad, jvp

    model = fresh(case, state).double()
    pdict = {n: p.detach() for n, p in model.named_parameters()}
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}

    def loss_of(p):
        return obj(functional_call(model, (p, buffers), (x,)))

    tangent = dict(zip(names, directions))
    scale = max(max(h.abs().max().item() for h in hvps), 1.0)
    _, hv_fwd = jvp(grad(loss_of), (pdict,), (tangent,))
    eps = 1e-7
    plus = {n: pdict[n] + eps * tangent[n] for n in names}
    minus = {n: pdict[n] - eps * tangent[n] for n in names}
    g_plus, g_minus = grad(loss_of)(plus), grad(loss_of)(minus)
    worst_fwd = worst_fd = 0.0
    for n, h in zip(names, hvps):
        err_fwd = (hv_fwd[n] - h).abs().max().item()
        err_fd = ((g_plus[n] - g_minus[n]) / (2 * eps) - h).abs().max().item()
        assert err_fwd <= 1e-10 * scale, f"{case.name} {n}: forward-over-reverse differs by {err_fwd}"
        assert err_fd <= 1e-5 * scale, f"{case.name} {n}: finite differences differ by {err_fd}"
        worst_fwd, worst_fd = max(worst_fwd, err_fwd), max(worst_fd, err_fd)
    return worst_fwd / scale, worst_fd / scale


def make_case(case):
    """Returns (model float32 eval, state, data, names, input_tensor, checks)."""
    torch.manual_seed(case.seed)
    gen = torch.Generator().manual_seed(case.seed)
    checks = collections.OrderedDict()

    if case.kind == "resnet20":
        state = load_file(os.path.join(FIXTURES, "resnet20.weights.safetensors"))
        model = case.build()
        model.load_state_dict(state)
        state = collections.OrderedDict((k, state[k]) for k in model.state_dict())
        old = load_file(os.path.join(FIXTURES, "resnet20.data.safetensors"))
        inputs = old["inputs"][:4].clone().contiguous()   # the file holds 2 samples
        labels = old["labels"][:4].clone().contiguous()
    else:
        model = case.build()
        randomize_batchnorm(model, generator=gen, num_batches_tracked=NUM_BATCHES_TRACKED)
        state = collections.OrderedDict(
            (k, v.detach().clone().contiguous()) for k, v in model.state_dict().items())
        inputs = torch.randn(case.input_shape, generator=gen, dtype=torch.float32)
        labels = None
        if case.num_classes is not None:
            labels = torch.randint(0, case.num_classes, (case.input_shape[0],), generator=gen,
                                   dtype=torch.int64)
    model.eval()

    ref = fresh(case, state).double()
    names = [n for n, _ in ref.named_parameters()]
    params = [p for _, p in ref.named_parameters()]
    x = inputs.double()
    crit = nn.CrossEntropyLoss(reduction="mean")
    obj = objective_fn(case, crit, labels)

    data = collections.OrderedDict()
    in_key = "z" if case.kind == "gan" else "inputs"
    data[in_key] = inputs
    if labels is not None:
        data["labels"] = labels

    out = ref(x)
    value = obj(out)
    if case.kind == "gan":
        data["objective"] = value.detach().clone().reshape(())
    else:
        data["logits"] = out.detach().clone().contiguous()
        data["loss"] = value.detach().clone().reshape(())
    if case.kind == "folded":
        return model, state, data, names, inputs, checks

    want_hvp = case.kind != "resnet20"
    grads = torch.autograd.grad(value, params, create_graph=want_hvp)
    grad_dict = {"grad." + n: g.detach().clone().contiguous() for n, g in zip(names, grads)}

    if case.kind == "resnet20":
        for k, t in list(data.items())[2:] + list(grad_dict.items()):
            d = (t - old[k]).abs().max().item()
            assert d <= 1e-12 * max(old[k].abs().max().item(), 1.0), f"resnet20 {k} differs from ../ by {d}"
        checks["equals_parent_fixture"] = ("logits, loss and grad.<p> agree with "
                                           "../resnet20.data.safetensors to 1e-12 (relative to max)")
        if RESNET20_STORE_GRAD:
            data.update(grad_dict)
        return model, state, data, names, inputs, checks
    data.update(grad_dict)

    directions = [torch.randn(p.shape, generator=gen).float().double() for p in params]
    # A gradient that does not depend on the parameters (e.g. of a bias feeding the
    # objective linearly) has no grad_fn: it contributes nothing to H v.
    live = [i for i, g in enumerate(grads) if g.requires_grad]
    hvps = torch.autograd.grad([grads[i] for i in live], params,
                               grad_outputs=[directions[i] for i in live],
                               allow_unused=True, materialize_grads=True)
    for n, v in zip(names, directions):
        data["direction." + n] = v.clone().contiguous()
    for n, h in zip(names, hvps):
        data["hvp." + n] = h.detach().clone().contiguous()
    fwd, fd = check_hvp(case, state, x, obj, names, directions, hvps)
    checks["hvp_vs_forward_over_reverse_rel"] = fwd
    checks["hvp_vs_central_differences_rel"] = fd

    if case.kind == "gan":
        zz = x.clone().requires_grad_(True)
        (gz,) = torch.autograd.grad(ref(zz), zz)
        hz = torch.autograd.functional.hessian(lambda t: ref(t), x).reshape(8, 8)
        # central differences of grad_z, column by column
        eps = 1e-6
        cols = []
        for j in range(8):
            e = torch.zeros_like(x)
            e.view(-1)[j] = eps
            zp = (x + e).requires_grad_(True)
            zm = (x - e).requires_grad_(True)
            gp = torch.autograd.grad(ref(zp), zp)[0]
            gm = torch.autograd.grad(ref(zm), zm)[0]
            cols.append(((gp - gm) / (2 * eps)).reshape(8))
        fdh = torch.stack(cols, dim=1)
        err = (fdh - hz).abs().max().item() / max(hz.abs().max().item(), 1.0)
        assert err <= 1e-6, f"gan: hessian_z differs from finite differences by {err}"
        assert (hz - hz.T).abs().max().item() <= 1e-12
        checks["hessian_z_vs_central_differences_rel"] = err
        data["grad_z"] = gz.detach().clone().contiguous()
        data["hessian_z"] = hz.detach().clone().contiguous()
    return model, state, data, names, inputs, checks


# --------------------------------------------------------------------------- export

def export(case, model, inputs):
    """Writes NAME.legacy.onnx and NAME.dynamo.onnx; returns {exporter: (file, call)}."""
    legacy = os.path.join(OUT_DIR, f"{case.name}.legacy.onnx")
    dynamo = os.path.join(OUT_DIR, f"{case.name}.dynamo.onnx")
    folded = case.kind == "folded"
    extra = {"input_names": ["z"]} if case.kind == "gan" else {}
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (inputs,), legacy, dynamo=False, do_constant_folding=folded,
                          opset_version=LEGACY_OPSET, **extra)
    legacy_call = (f"torch.onnx.export(model, (inputs,), path, dynamo=False, "
                   f"do_constant_folding={folded}, opset_version={LEGACY_OPSET}"
                   + (", input_names=['z']" if extra else "") + ")")
    prog = torch.onnx.export(model, (inputs,), dynamo=True, optimize=folded, verbose=False)
    external = case.name == EXTERNAL_DATA_CASE
    prog.save(dynamo, external_data=external)
    dynamo_call = (f"torch.onnx.export(model, (inputs,), dynamo=True, optimize={folded})"
                   f".save(path, external_data={external})")
    return {"legacy": (legacy, legacy_call), "dynamo": (dynamo, dynamo_call)}


def dtype_str(elem_type):
    return onnx.TensorProto.DataType.Name(elem_type).lower()


def value_info(v):
    t = v.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in t.shape.dim]
    return {"name": v.name, "dtype": dtype_str(t.elem_type), "shape": dims}


def initializer_order(inits, names, state):
    """How the initializers are ordered in the file, relative to PyTorch."""
    buffers = [k for k in state if k not in names]
    if inits == names:
        return "parameters"
    if inits == [k for k in state if k in inits]:
        return "state_dict"
    if inits == names + [k for k in buffers if k in inits]:
        return "parameters_then_buffers"
    return "other"


def describe_onnx(path, call, names, state, out_ref, inputs):
    m = onnx.load(path)  # loads external data from the same directory
    onnx.checker.check_model(m, full_check=True)
    g = m.graph
    inits = [i.name for i in g.initializer]
    ext = sorted({e.value for i in g.initializer for e in i.external_data if e.key == "location"})
    ops = collections.OrderedDict()
    for n in g.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    param_inits = [n for n in inits if n in names]
    info = collections.OrderedDict()
    info["file"] = os.path.basename(path)
    info["export_call"] = call
    info["external_data_files"] = ext
    info["ir_version"] = m.ir_version
    info["producer"] = f"{m.producer_name} {m.producer_version}"
    info["opset_imports"] = {(o.domain or "ai.onnx"): o.version for o in m.opset_import}
    info["opset"] = next(o.version for o in m.opset_import if o.domain in ("", "ai.onnx"))
    info["inputs"] = [value_info(v) for v in g.input]
    info["outputs"] = [value_info(v) for v in g.output]
    info["initializers"] = [{"name": i.name, "dtype": dtype_str(i.data_type), "shape": list(i.dims)}
                            for i in g.initializer]
    info["initializer_names_are_state_dict_keys"] = all(n in state for n in inits)
    info["initializers_not_in_state_dict"] = [n for n in inits if n not in state]
    info["state_dict_keys_not_initializers"] = [k for k in state if k not in inits]
    # Same name as a state-dict entry but other values (e.g. BatchNorm fused into a conv).
    info["initializers_differing_from_state_dict"] = [
        i.name for i in g.initializer if i.name in state and not np.array_equal(
            onnx.numpy_helper.to_array(i), state[i.name].numpy())]
    info["parameter_initializers_in_parameters_order"] = param_inits == [n for n in names if n in inits]
    info["initializer_order_equals_parameters_order"] = inits == names
    info["initializer_order"] = initializer_order(inits, names, state)
    info["model_metadata_props"] = {p.key: p.value for p in m.metadata_props}
    info["graph_metadata_props"] = {p.key: p.value for p in g.metadata_props}
    info["initializer_metadata_props"] = {i.name: {p.key: p.value for p in i.metadata_props}
                                          for i in g.initializer if len(i.metadata_props)}
    # value_info/input/output metadata (dynamo: InputSpec.kind PARAMETER / BUFFER /
    # USER_INPUT per value; optimizer: pkg.onnxscript.optimizer.folded_from).
    info["value_metadata_props"] = {v.name: {p.key: p.value for p in v.metadata_props}
                                    for v in list(g.input) + list(g.value_info) + list(g.output)
                                    if len(v.metadata_props)}
    info["node_metadata_keys"] = sorted({p.key for n in g.node for p in n.metadata_props})
    info["local_functions"] = [f"{f.domain}::{f.name}" for f in m.functions]
    info["node_count"] = len(g.node)
    info["op_types"] = ops
    # Run the graph with the ONNX reference evaluator on the float32 inputs.
    sess = onnx.reference.ReferenceEvaluator(m)
    (got,) = sess.run(None, {g.input[0].name: inputs.numpy()})
    err = float(np.abs(got.astype(np.float64) - out_ref.numpy()).max())
    scale = max(float(np.abs(out_ref.numpy()).max()), 1.0)
    assert got.shape == tuple(out_ref.shape), f"{path}: output shape {got.shape}"
    assert err <= 1e-4 * scale, f"{path}: reference evaluator differs from float64 PyTorch by {err}"
    info["reference_evaluator_max_abs_error_vs_float64"] = err
    return info


# --------------------------------------------------------------------------- writing

def save_st(tensors, fname, case):
    path = os.path.join(OUT_DIR, fname)
    save_file(dict(tensors), path, metadata={"generator": f"{SCRIPT} case {case.name} seed {case.seed}"})
    os.chmod(path, 0o644)
    loaded = load_file(path)
    assert set(loaded) == set(tensors)
    for k, t in tensors.items():
        assert loaded[k].dtype == t.dtype and torch.equal(loaded[k], t), f"{path}: {k}"


def versions():
    import onnxscript
    return collections.OrderedDict([
        ("python", platform.python_version()),
        ("torch", torch.__version__),
        ("onnx", onnx.__version__),
        ("onnxscript", onnxscript.__version__),
        ("onnx_ir", __import__("onnx_ir").__version__),
        ("safetensors", safetensors.__version__),
        ("numpy", np.__version__),
    ])


def run_case(case):
    model, state, data, names, inputs, checks = make_case(case)
    if case.name != "resnet20":
        save_st(state, f"{case.name}.weights.safetensors", case)
    save_st(data, f"{case.name}.data.safetensors", case)
    exports = export(case, model, inputs)
    out_ref = data["objective"] if case.kind == "gan" else data["logits"]
    meta = collections.OrderedDict()
    meta["case"] = case.name
    meta["seed"] = case.seed
    meta["description"] = case.description
    meta["kind"] = case.kind
    meta["loss"] = {"ce": "nn.CrossEntropyLoss(reduction='mean')", "resnet20": "nn.CrossEntropyLoss(reduction='mean')",
                    "folded": "nn.CrossEntropyLoss(reduction='mean')", "gan": "objective = -logits[0, 2]"}[case.kind]
    meta["weights_file"] = ("../resnet20.weights.safetensors" if case.name == "resnet20"
                            else f"{case.name}.weights.safetensors")
    meta["data_file"] = f"{case.name}.data.safetensors"
    meta["parameters"] = [{"name": n, "shape": list(state[n].shape)} for n in names]
    meta["state_dict"] = [{"name": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                          for k, v in state.items()]
    meta["data"] = [{"name": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                    for k, v in data.items()]
    meta["reference_checks"] = checks
    meta["exporters"] = collections.OrderedDict(
        (k, describe_onnx(p, call, names, state, out_ref, inputs)) for k, (p, call) in exports.items())
    text = json.dumps(meta, indent=1)
    # Lists of integers (shapes) on one line.
    text = re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)?\s*\]",
                  lambda mt: "[" + ", ".join(v.strip() for v in (mt.group(1) or "").split(",") if v.strip()) + "]",
                  text)
    with open(os.path.join(OUT_DIR, f"{case.name}.json"), "w") as fh:
        fh.write(text + "\n")
    files = sorted(f for f in os.listdir(OUT_DIR) if f.startswith(case.name + ".") and
                   (f.split(".")[0] == case.name))
    sizes = [(f, os.path.getsize(os.path.join(OUT_DIR, f))) for f in files]
    print(f"{case.name}: {len(names)} parameters; "
          + ", ".join(f"{f} {s}" for f, s in sizes), flush=True)
    return case, meta, data, sizes


def readme(results):
    v = versions()
    lines = []
    w = lines.append
    w("# ONNX import fixtures (PyTorch exports + reference values)")
    w("")
    w(f"Generated by `{SCRIPT}`; do not edit by hand. Regenerate from the repository root with")
    w("")
    w(f"    source bench/venv.sh && \"$HESSIANKIT_PYTHON\" {SCRIPT}")
    w("")
    w("which rewrites every file in this directory, this README included (the venv needs")
    w("`onnx` and `onnxscript`, which `bench/venv.sh` installs). The package and its tests never")
    w("need Python.")
    w("")
    w("Library versions used for the files committed here:")
    w("")
    for k, val in v.items():
        w(f"- {k} {val}")
    w("")
    w("## Files per case `NAME`")
    w("")
    w(f"- `NAME.legacy.onnx`: TorchScript exporter, `torch.onnx.export(model, (inputs,), path,")
    w(f"  dynamo=False, do_constant_folding=False, opset_version={LEGACY_OPSET})` with the model in")
    w("  `eval()` mode (default input/output names, except `input_names=['z']` for `gan`).")
    w("- `NAME.dynamo.onnx`: torch.export-based exporter, `torch.onnx.export(model, (inputs,),")
    w("  dynamo=True, optimize=False)` (default opset), saved with `ONNXProgram.save(path,")
    w(f"  external_data=False)`: all data embedded, except **`{EXTERNAL_DATA_CASE}`**, saved with")
    w(f"  `external_data=True`: its weights are in `{EXTERNAL_DATA_CASE}.dynamo.onnx.data` (the only")
    w("  fixture with external data). The dynamo graphs carry node `metadata_props`")
    w("  (`namespace`, `pkg.torch.onnx.*`, including stack traces with absolute paths and line")
    w("  numbers of the generating machine and script, so their bytes change when it is edited;")
    w("  the graphs are deterministic otherwise), graph `metadata_props` (`pkg.torch.export.ExportedProgram.*`) and")
    w("  value_info `metadata_props` (`pkg.torch.export.graph_signature.InputSpec.kind` = `PARAMETER`,")
    w("  `BUFFER` or `USER_INPUT` per initializer / input).")
    w("- `NAME.weights.safetensors`: `model.state_dict()` (float32, BatchNorm")
    w(f"  `num_batches_tracked` int64 = {NUM_BATCHES_TRACKED}), taken before any forward pass. Default")
    w("  PyTorch initialisation, BatchNorm randomized by `randomize_batchnorm`")
    w("  (`bench/pytorch_models.py`). Not written for `resnet20`: its state dict is")
    w("  `../resnet20.weights.safetensors` (the built-in ResNet-20 fixture), unchanged.")
    w("- `NAME.data.safetensors`:")
    w("  - `inputs` (float32, standard normal), `labels` (int64);")
    w("  - `logits` (float64), `loss` (float64, `[]`, `nn.CrossEntropyLoss(reduction='mean')`);")
    w("  - `grad.<p>`, `direction.<p>` (standard normal rounded to float32), `hvp.<p>` (float64):")
    w("    gradient, direction v and block `<p>` of H v for the FULL Hessian of the loss w.r.t.")
    w("    all parameters, by double backward; `<p>` runs over `named_parameters()`.")
    w("- `NAME.json`: `parameters` (the `model.parameters()` order, with shapes), `state_dict`")
    w("  (order and dtypes), `data` (keys of the data file) and, per exporter (`legacy`,")
    w("  `dynamo`): file, export call, external data files, IR version, opset imports, graph")
    w("  `inputs`/`outputs` (name, dtype, shape), `initializers` in file order (name, dtype, shape),")
    w("  whether initializer names are state-dict keys, `initializer_order` (`parameters`: exactly")
    w("  `model.parameters()`; `state_dict`: state-dict order restricted to the initializers, i.e.")
    w("  with BatchNorm running statistics interleaved; `parameters_then_buffers`: all parameters")
    w("  first, then the buffers; `other`), model/graph/initializer metadata_props, op-type counts, and the")
    w("  error of `onnx.reference.ReferenceEvaluator` (float32) against the float64 reference.")
    w("")
    w("Reference values are float64: the float32 state dict is loaded into a fresh model that is")
    w("converted with `.double()`, fed `inputs.double()`. The HVPs are cross-checked against")
    w("torch.func forward-over-reverse (1e-10 relative to max |Hv|) and central differences of the")
    w("gradient (step 1e-7, 1e-5 relative). Every ONNX file passes `onnx.checker.check_model(...,")
    w("full_check=True)` and its output from `onnx.reference.ReferenceEvaluator` on the float32")
    w("inputs matches the float64 reference to 1e-4 relative (the JSON gives the error).")
    w("")
    w("Randomness: each case calls `torch.manual_seed(seed)` before building the model, then draws")
    w("the BatchNorm values, inputs, labels and directions, in that order, from")
    w("`torch.Generator().manual_seed(seed)`. The whole model is in eval mode in all cases.")
    w("")
    w("Special cases:")
    w("")
    w("- `resnet20`: the inputs and labels are those of `../resnet20.data.safetensors`; that file")
    w("  holds only 2 samples, so the batch is 2. Same state dict and same inputs as the built-in")
    w("  fixture, hence the same reference values: the script recomputes logits, loss and")
    w("  `grad.<p>` and asserts they agree with `../resnet20.data.safetensors` to 1e-12. To stay")
    w("  small, the data file here holds only `inputs`, `labels`, `logits`, `loss`" +
      (" and `grad.<p>`" if RESNET20_STORE_GRAD else "; take `grad.<p>` (and")
      + ("" if RESNET20_STORE_GRAD else " `direction.<p>`/`hvp.<p>`) from `../resnet20.data.safetensors`") + ".")
    w("- `folded`: exported WITH folding: legacy `do_constant_folding=True` (eval), dynamo")
    w("  `optimize=True`. Data file: `inputs`, `labels`, `logits`, `loss` only (no derivatives).")
    w("  Both graphs have BatchNorm fused into the Conv. Legacy: initializers `fc.weight`, `fc.bias`,")
    w("  `onnx::Conv_*` (fused weight, bias); dynamo: the fused values keep the names `conv.weight`,")
    w("  `conv.bias` (they differ from the state dict, see `initializers_differing_from_state_dict`),")
    w("  the Conv node carries `metadata_props` `pkg.onnxscript.rewriter.rule_name` =")
    w("  `FuseBatchNormIntoConv`, the flatten shape is a folded initializer `val_*` whose value_info")
    w("  has `metadata_props` `pkg.onnxscript.optimizer.folded_from`, `conv.weight`/`conv.bias` lost")
    w("  their `pkg.torch.export.graph_signature.InputSpec.kind` value_info metadata, and the graph")
    w("  signature in the graph `metadata_props` still lists the `bn.*` parameters and buffers.")
    w("- `gan`: forward(z) returns the scalar objective `-logits[0, 2]`; the graph input is `z`.")
    w("  Data file: `z` (float32 [1,8]), `objective` (float64 []), `grad_z` (float64 [1,8]),")
    w("  `hessian_z` (float64 [8,8], `torch.autograd.functional.hessian`, checked against central")
    w("  differences and symmetry), and `grad.<p>`/`direction.<p>`/`hvp.<p>` of the objective.")
    w("")
    w("## Cases")
    w("")
    w("| case | seed | description | loss / objective | legacy ops | dynamo ops (opset) |")
    w("| --- | --- | --- | --- | --- | --- |")
    for case, meta, data, sizes in results:
        lo = ", ".join(meta["exporters"]["legacy"]["op_types"])
        do = ", ".join(meta["exporters"]["dynamo"]["op_types"])
        val = data["objective"] if case.kind == "gan" else data["loss"]
        w(f"| `{case.name}` | {case.seed} | {case.description} | {val.item():.17g} | {lo} | "
          f"{do} ({meta['exporters']['dynamo']['opset']}) |")
    w("")
    w("## Files")
    w("")
    total = 0
    w("| file | bytes |")
    w("| --- | --- |")
    for case, meta, data, sizes in results:
        for f, s in sizes:
            w(f"| `{f}` | {s} |")
            total += s
    w("")
    w(f"Total: {total} bytes (plus this README).")
    w("")
    return "\n".join(lines)


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT_DIR, exist_ok=True)
    only = set(sys.argv[1:])  # case names: regenerate only those (README untouched)
    for f in os.listdir(OUT_DIR):
        if only and f.split(".")[0] not in only:
            continue
        if f.endswith((".onnx", ".data", ".safetensors", ".json")) or (f == "README.md" and not only):
            os.remove(os.path.join(OUT_DIR, f))
    results = [run_case(c) for c in CASES if not only or c.name in only]
    if not only:
        with open(os.path.join(OUT_DIR, "README.md"), "w") as fh:
            fh.write(readme(results))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))


if __name__ == "__main__":
    main()
