#!/usr/bin/env python3
"""Regenerates every file under Tests/Fixtures/transformer/ (ONNX exports of a tiny
nanoGPT-style language model + PyTorch reference values).

Run from the repository root:

    source bench/venv.sh && "$HESSIANKIT_PYTHON" Scripts/generate_transformer_fixtures.py

Same conventions as Scripts/generate_onnx_fixtures.py (whose graph-description helpers it
imports). For each case NAME it writes
  NAME.legacy.onnx          torch.onnx.export(model, (inputs,), path, dynamo=False,
                            do_constant_folding=False, opset_version=17), model in eval()
  NAME.dynamo.onnx          torch.onnx.export(model, (inputs,), dynamo=True, optimize=False),
                            default opset, all data embedded
  NAME.weights.safetensors  model.state_dict() (float32; the tied lm_head.weight is stored
                            under both of its state-dict names, with equal values)
  NAME.data.safetensors     idx / inputs, labels (int64), logits, loss, grad.<p>,
                            direction.<p>, hvp.<p> (float64; <p> over named_parameters())
  NAME.json                 parameter order, state-dict order, tied parameters and, per
                            exporter, the graph's initializers (file order), inputs, outputs,
                            opsets, op types, how the tied weight and the causal mask appear
and Tests/Fixtures/transformer/README.md.

Cases:
  gpt_manual  nanoGPT-style LM (vocab 32, block 8, n_embd 16, 2 heads, 2 layers), attention
              written out with a tril buffer, masked_fill(-inf) and softmax
  gpt_sdpa    the same model (same seed, so the same parameters and tokens) with
              F.scaled_dot_product_attention(q, k, v, is_causal=True)
  mask_ops    x [N,4,4] -> x @ W -> masked_fill(causal, -inf) -> softmax -> flatten -> Linear(16,3)

The package and its tests never run this script; they only read its outputs.
"""

import collections
import json
import math
import os
import re
import sys
import traceback
import warnings

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch.nn.attention import SDPBackend, sdpa_kernel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Scripts"))
import generate_onnx_fixtures as gof  # noqa: E402  (describe_onnx, versions, LEGACY_OPSET)

OUT_DIR = os.path.join(ROOT, "Tests", "Fixtures", "transformer")
SCRIPT = "Scripts/generate_transformer_fixtures.py"
LEGACY_OPSET = gof.LEGACY_OPSET

# --------------------------------------------------------------------------- configuration

VOCAB = 32
BLOCK = 8          # block size = sequence length T of the fixtures
N_EMBD = 16
N_HEAD = 2
N_LAYER = 2
BATCH = 3
N_IGNORED = 3      # label positions set to IGNORE_INDEX (of BATCH * BLOCK)
IGNORE_INDEX = -100
GPT_SEED = 3201    # shared by gpt_manual and gpt_sdpa: same parameters and tokens
MASK_SEED = 3203
MASK_BATCH = 4
# nanoGPT initialises with normal(0, 0.02); at that scale the attention is almost uniform
# and the predictions almost uniform too, so second-order terms through softmax are tiny.
# The fixtures use a larger scale so that every path contributes visibly to H v.
WEIGHT_STD = 0.3   # Linear and Embedding weights
BIAS_STD = 0.1     # Linear biases
LN_STD = 0.1       # LayerNorm: weight = 1 + LN_STD * randn, bias = LN_STD * randn


# --------------------------------------------------------------------------- models

class CausalSelfAttention(nn.Module):
    def __init__(self, sdpa):
        super().__init__()
        self.sdpa = sdpa
        self.n_head = N_HEAD
        self.n_embd = N_EMBD
        self.c_attn = nn.Linear(N_EMBD, 3 * N_EMBD)
        self.c_proj = nn.Linear(N_EMBD, N_EMBD)
        if not sdpa:
            self.register_buffer("bias", torch.tril(torch.ones(BLOCK, BLOCK)).view(1, 1, BLOCK, BLOCK))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        hd = C // self.n_head
        k = k.view(B, T, self.n_head, hd).transpose(1, 2)  # (B, nh, T, hd)
        q = q.view(B, T, self.n_head, hd).transpose(1, 2)
        v = v.view(B, T, self.n_head, hd).transpose(1, 2)
        if self.sdpa:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
            att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
            att = F.softmax(att, dim=-1)
            y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = nn.Linear(N_EMBD, 4 * N_EMBD)
        self.gelu = nn.GELU()  # exact (erf)
        self.c_proj = nn.Linear(4 * N_EMBD, N_EMBD)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, sdpa):
        super().__init__()
        self.ln_1 = nn.LayerNorm(N_EMBD, bias=True)
        self.attn = CausalSelfAttention(sdpa)
        self.ln_2 = nn.LayerNorm(N_EMBD, bias=True)
        self.mlp = MLP()

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """nanoGPT's GPT without dropout, with the `transformer` ModuleDict flattened
    (wte, wpe, h, ln_f are direct children). forward(idx) returns the logits."""

    def __init__(self, sdpa):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, N_EMBD)
        self.wpe = nn.Embedding(BLOCK, N_EMBD)
        self.h = nn.ModuleList([Block(sdpa) for _ in range(N_LAYER)])
        self.ln_f = nn.LayerNorm(N_EMBD, bias=True)
        self.lm_head = nn.Linear(N_EMBD, VOCAB, bias=False)
        self.lm_head.weight = self.wte.weight  # weight tying, as nanoGPT does

    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        x = self.ln_f(x)
        return self.lm_head(x)


class MaskOps(nn.Module):
    """x [N,4,4] -> scores = x @ W -> masked_fill(tril buffer == 0, -inf) -> softmax(-1)
    -> flatten [N,16] -> Linear(16,3)."""

    def __init__(self):
        super().__init__()
        self.W = nn.Parameter(torch.empty(4, 4))
        self.register_buffer("bias", torch.tril(torch.ones(4, 4)).view(1, 4, 4))
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        scores = x @ self.W
        scores = scores.masked_fill(self.bias == 0, float("-inf"))
        att = F.softmax(scores, dim=-1)
        return self.head(torch.flatten(att, 1))


def init_params(model, gen):
    """Deterministic non-trivial initialisation, drawn from gen in named_parameters() order."""
    with torch.no_grad():
        layer_norm = set()
        for mod in model.modules():
            if isinstance(mod, nn.LayerNorm):
                mod.weight.copy_(1 + LN_STD * torch.randn(mod.weight.shape, generator=gen))
                mod.bias.copy_(LN_STD * torch.randn(mod.bias.shape, generator=gen))
                layer_norm.update((id(mod.weight), id(mod.bias)))
        for n, p in model.named_parameters():
            if id(p) in layer_norm:
                continue
            std = BIAS_STD if n.endswith(".bias") else WEIGHT_STD
            p.copy_(std * torch.randn(p.shape, generator=gen))


Case = collections.namedtuple("Case", "name seed build kind description")

GPT_DESC = (f"nanoGPT-style LM: vocab {VOCAB}, block size {BLOCK}, n_embd {N_EMBD}, {N_HEAD} heads, "
            f"{N_LAYER} layers; wte + wpe (arange) -> [ln_1 -> attn (c_attn Linear(16,48) split "
            f"into q,k,v; {{attn}}; c_proj Linear(16,16)) residual, ln_2 -> mlp (c_fc Linear(16,64), "
            f"GELU erf, c_proj Linear(64,16)) residual] x {N_LAYER} -> ln_f -> lm_head (no bias, "
            f"weight tied to wte.weight); forward(idx [N,T] int64) -> logits [N,T,V]")

CASES = [
    Case("gpt_manual", GPT_SEED, lambda: GPT(sdpa=False), "gpt",
         GPT_DESC.format(attn="att = q @ k^T * (1/sqrt(8)), masked_fill(bias[:,:,:T,:T] == 0, "
                              "-inf) with bias = tril(ones(8,8)) buffer, softmax, att @ v")),
    Case("gpt_sdpa", GPT_SEED, lambda: GPT(sdpa=True), "gpt",
         GPT_DESC.format(attn="F.scaled_dot_product_attention(q, k, v, is_causal=True)")),
    Case("mask_ops", MASK_SEED, MaskOps, "mask",
         "x [N,4,4] -> scores = x @ W (W [4,4] parameter) -> masked_fill(bias == 0, -inf) with "
         "bias = tril(ones(4,4)).view(1,4,4) buffer -> softmax(dim=-1) -> flatten [N,16] -> "
         "head Linear(16,3)"),
]


# --------------------------------------------------------------------------- references

def objective(case, labels):
    if case.kind == "gpt":
        return lambda out: F.cross_entropy(out.reshape(-1, VOCAB), labels.reshape(-1),
                                           ignore_index=IGNORE_INDEX)
    return lambda out: F.cross_entropy(out, labels)


def fresh(case, state):
    model = case.build()
    model.load_state_dict(state)
    return model.eval()


def tied_groups(model):
    """State-dict names that share storage (tied parameters), in state-dict order."""
    groups = collections.OrderedDict()
    for k, v in model.state_dict(keep_vars=True).items():
        groups.setdefault((v.data_ptr(), v.dtype, tuple(v.shape)), []).append(k)
    return [g for g in groups.values() if len(g) > 1]


def check_hvp(case, state, x, obj, names, directions, hvps):
    """torch.func forward-over-reverse (jvp of grad) and central differences of the
    gradient (float64), as in Scripts/generate_onnx_fixtures.py. functional_call ties
    weights by default, so substituting wte.weight substitutes lm_head.weight too."""
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
    """Returns (model float32 eval, state, data, names, input tensor, checks, tied)."""
    torch.manual_seed(case.seed)
    gen = torch.Generator().manual_seed(case.seed)
    checks = collections.OrderedDict()

    model = case.build()
    init_params(model, gen)
    model.eval()
    tied = tied_groups(model)
    state = collections.OrderedDict(
        (k, v.detach().clone().contiguous()) for k, v in model.state_dict().items())

    data = collections.OrderedDict()
    if case.kind == "gpt":
        seq = torch.randint(0, VOCAB, (BATCH, BLOCK + 1), generator=gen, dtype=torch.int64)
        inputs = seq[:, :-1].clone().contiguous()
        labels = seq[:, 1:].clone().contiguous()
        ignored = torch.randperm(BATCH * BLOCK, generator=gen)[:N_IGNORED]
        labels.view(-1)[ignored] = IGNORE_INDEX
        data["idx"] = inputs
        x = inputs
    else:
        inputs = torch.randn(MASK_BATCH, 4, 4, generator=gen, dtype=torch.float32)
        labels = torch.randint(0, 3, (MASK_BATCH,), generator=gen, dtype=torch.int64)
        data["inputs"] = inputs
        x = inputs.double()
    data["labels"] = labels

    ref = fresh(case, state).double()
    assert tied_groups(ref) == tied
    names = [n for n, _ in ref.named_parameters()]
    params = [p for _, p in ref.named_parameters()]
    obj = objective(case, labels)

    out = ref(x)
    value = obj(out)
    data["logits"] = out.detach().clone().contiguous()
    data["loss"] = value.detach().clone().reshape(())
    assert torch.isfinite(out).all()

    grads = torch.autograd.grad(value, params, create_graph=True)
    for n, g in zip(names, grads):
        assert g.abs().max().item() > 0, f"{case.name}: zero gradient for {n}"
        data["grad." + n] = g.detach().clone().contiguous()
    checks["all_gradients_nonzero"] = True

    directions = [torch.randn(p.shape, generator=gen).float().double() for p in params]
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
    return model, state, data, names, inputs, checks, tied


# --------------------------------------------------------------------------- export

def export(case, model, inputs):
    """Writes NAME.legacy.onnx and NAME.dynamo.onnx; returns {exporter: (file, call, error)}."""
    legacy = os.path.join(OUT_DIR, f"{case.name}.legacy.onnx")
    dynamo = os.path.join(OUT_DIR, f"{case.name}.dynamo.onnx")
    model.eval()
    result = collections.OrderedDict()
    call = (f"torch.onnx.export(model, (inputs,), path, dynamo=False, do_constant_folding=False, "
            f"opset_version={LEGACY_OPSET})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (inputs,), legacy, dynamo=False, do_constant_folding=False,
                              opset_version=LEGACY_OPSET)
        result["legacy"] = (legacy, call, None)
    except Exception:  # noqa: BLE001 - recorded in the JSON and README
        result["legacy"] = (None, call, traceback.format_exc(limit=3))
    call = "torch.onnx.export(model, (inputs,), dynamo=True, optimize=False).save(path)"
    try:
        prog = torch.onnx.export(model, (inputs,), dynamo=True, optimize=False, verbose=False)
        prog.save(dynamo)
        result["dynamo"] = (dynamo, call, None)
    except Exception:  # noqa: BLE001
        result["dynamo"] = (None, call, traceback.format_exc(limit=3))
    return result


def attr_values(node):
    out = collections.OrderedDict()
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, onnx.TensorProto):
            arr = onnx.numpy_helper.to_array(v)
            v = {"tensor": small_array(arr)}
        elif isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, (list, tuple)):
            v = [x.decode() if isinstance(x, bytes) else x for x in v]
        out[a.name] = v
    return out


def jsonable(x):
    if isinstance(x, float) and not math.isfinite(x):
        return "-inf" if x < 0 else ("inf" if x > 0 else "nan")
    return x


def small_array(arr, limit=64):
    d = {"dtype": str(arr.dtype), "shape": list(arr.shape)}
    if arr.size <= limit:
        flat = arr.reshape(-1).tolist()
        d["values"] = [jsonable(v) for v in flat]
    return d


def constant_value(node):
    """numpy value of a Constant node, or None."""
    for a in node.attribute:
        if a.name == "value":
            return onnx.numpy_helper.to_array(a.t)
        if a.name == "value_float":
            return np.array(a.f, dtype=np.float32)
        if a.name == "value_floats":
            return np.array(list(a.floats), dtype=np.float32)
        if a.name == "value_int":
            return np.array(a.i, dtype=np.int64)
        if a.name == "value_ints":
            return np.array(list(a.ints), dtype=np.int64)
    return None


def analyse_graph(path, names, state, tied):
    """Tied weight, causal mask, -inf constants, attention decomposition."""
    m = onnx.load(path)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    graph_inputs = {v.name for v in g.input}
    producer = {}
    consumers = collections.defaultdict(list)
    for n in g.node:
        for o in n.output:
            producer[o] = n
        for k, i in enumerate(n.input):
            consumers[i].append((n, k))

    alias = {}
    for grp in tied:
        for k in grp:
            alias[k] = next(n for n in grp if n in names)

    def describe_value(name):
        if name in inits:
            kind = ("parameter" if alias.get(name, name) in names else
                    "buffer" if name in state else "initializer")
            return {"name": name, "from": f"initializer ({kind})",
                    "shape": list(inits[name].dims),
                    "dtype": gof.dtype_str(inits[name].data_type)}
        if name in graph_inputs:
            return {"name": name, "from": "graph input"}
        p = producer.get(name)
        if p is None:
            return {"name": name, "from": "?"}
        d = {"name": name, "from": f"{p.op_type} node {p.name!r}"}
        if p.op_type == "Constant":
            d["value"] = small_array(constant_value(p))
        return d

    # Ops through which mask / constant expressions are followed back to their origin.
    follow = {"Slice", "Expand", "Cast", "CastLike", "Identity", "Reshape", "Unsqueeze", "Trilu",
              "Equal", "Shape", "Gather", "Concat", "ConstantOfShape", "Range", "Sqrt", "Div",
              "Where", "Squeeze", "Not", "Neg", "Reciprocal"}

    wide = follow | {"Add", "Mul", "MatMul", "Transpose", "Softmax", "Sub"}

    def expr(name, depth=10, follow=follow):
        """The value as an expression: initializers and graph inputs by name, Constant nodes
        by value, other nodes as op(args) down to `depth`, then `<op:output>`."""
        if name == "":
            return "_"
        if name in inits:
            return name
        if name in graph_inputs:
            return f"input {name}"
        p = producer.get(name)
        if p is None:
            return f"?{name}"
        if p.op_type == "Constant":
            v = constant_value(p)
            if v is not None and v.size <= 8:
                vals = [jsonable(x) for x in v.reshape(-1).tolist()]
                return f"const({vals if v.ndim else vals[0]}:{v.dtype})"
            return f"const({v.dtype}{list(v.shape) if v is not None else ''})"
        if p.op_type not in follow or depth == 0:
            return f"<{p.op_type}:{name}>"
        attrs = attr_values(p)
        a = "".join(f", {k}={v}" for k, v in attrs.items() if not isinstance(v, dict))
        return f"{p.op_type}({', '.join(expr(i, depth - 1, follow) for i in p.input)}{a})"

    def node_info(n):
        return collections.OrderedDict([
            ("op_type", n.op_type), ("name", n.name),
            ("expression", expr(n.output[0], 12)),
            ("inputs", [describe_value(i) for i in n.input]),
            ("outputs", list(n.output)),
            ("attributes", attr_values(n)),
            ("consumers", [f"{c.op_type} {c.name!r} input {k}" for o in n.output
                           for c, k in consumers[o]])])

    info = collections.OrderedDict()
    info["initializer_to_parameter"] = collections.OrderedDict(
        (i, alias.get(i, i) if alias.get(i, i) in names else None) for i in inits)
    tw = []
    for grp in tied:
        tw.append(collections.OrderedDict([
            ("state_dict_names", grp),
            ("named_parameters_name", next(n for n in grp if n in names)),
            ("initializers", [k for k in grp if k in inits]),
            ("consumers", {k: [f"{c.op_type} {c.name!r} input {j}" for c, j in consumers[k]]
                           for k in grp if k in inits}),
        ]))
    info["tied_weights"] = tw
    info["buffer_initializers"] = [i for i in inits if i in state and alias.get(i, i) not in names]
    # State-dict names that are node outputs instead of initializers (the legacy exporter
    # deduplicates initializers with equal values and re-creates the others with Identity).
    info["state_dict_names_produced_by_nodes"] = collections.OrderedDict(
        (k, expr(k, 2)) for k in state if k in producer)
    info["state_dict_names_absent"] = [k for k in state if k not in inits and k not in producer]
    info["mask_nodes"] = [node_info(n) for n in g.node if n.op_type in ("Trilu", "Equal", "Where")]
    neg = []
    for n in g.node:
        if n.op_type == "Constant":
            v = constant_value(n)
            if v is not None and v.dtype.kind == "f" and np.isneginf(v).any():
                neg.append(collections.OrderedDict([
                    ("constant", n.output[0]), ("node", n.name), ("value", small_array(v)),
                    ("consumers", [f"{c.op_type} {c.name!r} input {k}" for c, k in consumers[n.output[0]]])]))
    for i in g.initializer:
        v = onnx.numpy_helper.to_array(i)
        if v.dtype.kind == "f" and np.isneginf(v).any():
            neg.append({"initializer": i.name, "value": small_array(v)})
    info["neg_inf_constants"] = neg
    info["has_onnx_attention_op"] = any(n.op_type == "Attention" for n in g.node)
    info["softmax_nodes"] = [node_info(n) for n in g.node if n.op_type == "Softmax"]
    # The attention core, from the Softmax's consumer (att @ v) back to the q/k/v
    # Transposes (or whatever lies 7 steps up), through scale, mask and Softmax.
    info["attention_expressions"] = [
        expr(c.output[0], 7, wide) for n in g.node if n.op_type == "Softmax"
        for c, _ in consumers[n.output[0]]]
    return info


def describe(case, path, call, names, state, out_ref, inputs, tied):
    info = gof.describe_onnx(path, call, names, state, out_ref, inputs)
    info.update(analyse_graph(path, names, state, tied))
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


def dump_json(obj, path):
    text = json.dumps(obj, indent=1)
    text = re.sub(r"\[\s*(-?\d+(?:,\s*-?\d+)*)?\s*\]",
                  lambda mt: "[" + ", ".join(v.strip() for v in (mt.group(1) or "").split(",") if v.strip()) + "]",
                  text)
    with open(path, "w") as fh:
        fh.write(text + "\n")


def run_case(case):
    # The default CPU SDPA kernel (flash attention) has no double backward: the float64
    # references use the math kernel (the ONNX exports are made outside this context).
    with sdpa_kernel([SDPBackend.MATH]):
        model, state, data, names, inputs, checks, tied = make_case(case)
    save_st(state, f"{case.name}.weights.safetensors", case)
    save_st(data, f"{case.name}.data.safetensors", case)
    exports = export(case, model, inputs)
    meta = collections.OrderedDict()
    meta["case"] = case.name
    meta["seed"] = case.seed
    meta["description"] = case.description
    if case.kind == "gpt":
        meta["loss"] = (f"F.cross_entropy(logits.view(-1, {VOCAB}), labels.view(-1), "
                        f"ignore_index={IGNORE_INDEX}) (mean over the non-ignored tokens)")
        meta["ignored_label_positions"] = [list(map(int, p)) for p in
                                           (data["labels"] == IGNORE_INDEX).nonzero().tolist()]
    else:
        meta["loss"] = "F.cross_entropy(logits, labels) (mean)"
    meta["init"] = (f"Linear/Embedding weights normal(0, {WEIGHT_STD}), Linear biases normal(0, "
                    f"{BIAS_STD}) (W of mask_ops: normal(0, {WEIGHT_STD})), LayerNorm weight 1 + "
                    f"{LN_STD} randn, bias {LN_STD} randn")
    meta["weights_file"] = f"{case.name}.weights.safetensors"
    meta["data_file"] = f"{case.name}.data.safetensors"
    meta["parameters"] = [{"name": n, "shape": list(state[n].shape)} for n in names]
    meta["parameter_count"] = int(sum(state[n].numel() for n in names))
    meta["state_dict"] = [{"name": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                          for k, v in state.items()]
    meta["tied_parameters"] = tied
    meta["data"] = [{"name": k, "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape)}
                    for k, v in data.items()]
    meta["reference_checks"] = checks
    meta["exporters"] = collections.OrderedDict()
    for k, (p, call, err) in exports.items():
        if err is not None:
            meta["exporters"][k] = {"export_call": call, "export_failed": True, "error": err}
            print(f"{case.name}: {k} export FAILED\n{err}", flush=True)
            continue
        meta["exporters"][k] = describe(case, p, call, names, state, data["logits"], inputs, tied)
    dump_json(meta, os.path.join(OUT_DIR, f"{case.name}.json"))
    files = sorted(f for f in os.listdir(OUT_DIR) if f.split(".")[0] == case.name)
    sizes = [(f, os.path.getsize(os.path.join(OUT_DIR, f))) for f in files]
    print(f"{case.name}: {len(names)} parameters; "
          + ", ".join(f"{f} {s}" for f, s in sizes), flush=True)
    return case, meta, data, sizes


def fmt_ops(ops):
    return ", ".join(f"{k} {v}" for k, v in ops.items())


def readme(results):
    v = gof.versions()
    lines = []
    w = lines.append
    w("# Transformer ONNX fixtures (tiny nanoGPT: PyTorch exports + reference values)")
    w("")
    w(f"Generated by `{SCRIPT}`; do not edit by hand. Regenerate from the repository root with")
    w("")
    w(f"    source bench/venv.sh && \"$HESSIANKIT_PYTHON\" {SCRIPT}")
    w("")
    w("which rewrites every file in this directory, this README included. The package and its")
    w("tests never need Python. Conventions as in `../onnx/README.md`.")
    w("")
    w("Library versions used for the files committed here:")
    w("")
    for k, val in v.items():
        w(f"- {k} {val}")
    w("")
    w("## Files per case `NAME`")
    w("")
    w(f"- `NAME.legacy.onnx`: TorchScript exporter, `torch.onnx.export(model, (inputs,), path,")
    w(f"  dynamo=False, do_constant_folding=False, opset_version={LEGACY_OPSET})`, model in `eval()`,")
    w("  default input/output names.")
    w("- `NAME.dynamo.onnx`: `torch.onnx.export(model, (inputs,), dynamo=True, optimize=False)`")
    w("  (default opset), saved with all data embedded. Node `metadata_props` include stack traces")
    w("  with absolute paths of the generating machine.")
    w("- `NAME.weights.safetensors`: `model.state_dict()` (float32), including the causal-mask")
    w("  buffers (`h.<i>.attn.bias`, `bias`) and, for the GPT cases, the tied weight under BOTH")
    w("  state-dict names `wte.weight` and `lm_head.weight` (equal copies).")
    w("- `NAME.data.safetensors`:")
    w(f"  - GPT cases: `idx` (int64 [{BATCH},{BLOCK}]), `labels` (int64 [{BATCH},{BLOCK}], the next")
    w(f"    tokens, {N_IGNORED} positions set to {IGNORE_INDEX}); mask_ops: `inputs` (float32")
    w(f"    [{MASK_BATCH},4,4]), `labels` (int64 [{MASK_BATCH}]);")
    w("  - `logits` (float64), `loss` (float64 `[]`): GPT: `F.cross_entropy(logits.view(-1, V),")
    w(f"    labels.view(-1), ignore_index={IGNORE_INDEX})`, i.e. the mean over the {BATCH * BLOCK - N_IGNORED}")
    w("    non-ignored tokens; mask_ops: `F.cross_entropy(logits, labels)`;")
    w("  - `grad.<p>`, `direction.<p>` (standard normal rounded to float32), `hvp.<p>` (float64):")
    w("    gradient, direction v and block `<p>` of H v for the FULL Hessian of the loss, by double")
    w("    backward; `<p>` runs over `named_parameters()`, which lists the tied weight ONCE, as")
    w("    `wte.weight` (its gradient and H v block include both uses: embedding and lm_head).")
    w("- `NAME.json`: `parameters` (order, shapes), `state_dict`, `tied_parameters`, `data` and,")
    w("  per exporter: everything `../onnx/*.json` has (inputs, outputs, opsets, initializers in")
    w("  file order, op-type counts, reference-evaluator error) plus `initializer_to_parameter`")
    w("  (initializer -> `named_parameters()` name, null for buffers), `tied_weights` (initializer")
    w("  name(s) and consuming nodes), `buffer_initializers`, `mask_nodes` (every Trilu / Equal /")
    w("  Where node with the origin of each input), `neg_inf_constants`, `softmax_nodes`,")
    w("  `has_onnx_attention_op`.")
    w("")
    w("Model: nanoGPT's `GPT` without dropout, with `transformer.*` flattened (parameter names")
    w("`wte.weight`, `wpe.weight`, `h.<i>.ln_1.*`, `h.<i>.attn.c_attn.*`, `h.<i>.attn.c_proj.*`,")
    w("`h.<i>.ln_2.*`, `h.<i>.mlp.c_fc.*`, `h.<i>.mlp.c_proj.*`, `ln_f.*`), positions")
    w("`torch.arange(0, T)`. `gpt_manual` and `gpt_sdpa` use the same seed, hence the same")
    w("parameters, tokens, labels and directions; their logits agree to float64 rounding (checked).")
    w(f"Initialisation (drawn from `torch.Generator().manual_seed(seed)`): LayerNorm weight")
    w(f"`1 + {LN_STD} randn`, bias `{LN_STD} randn`; then, in `named_parameters()` order, Linear /")
    w(f"Embedding weights `normal(0, {WEIGHT_STD})` and Linear biases `normal(0, {BIAS_STD})` (larger")
    w("than nanoGPT's 0.02 so that attention and predictions are far from uniform); then the")
    w("tokens (or inputs), labels, ignored positions and directions. Every gradient is non-zero")
    w("(asserted).")
    w("")
    w("Reference values are float64 (float32 state dict loaded into a fresh model converted with")
    w("`.double()`), computed under `torch.nn.attention.sdpa_kernel([SDPBackend.MATH])` (the default")
    w("CPU SDPA kernel has no double backward; the exports are made outside that context).")
    w("HVPs are cross-checked against torch.func forward-over-reverse (1e-10 relative) and")
    w("central differences of the gradient (step 1e-7, 1e-5 relative); every ONNX")
    w("file passes `onnx.checker.check_model(full_check=True)` and its")
    w("`onnx.reference.ReferenceEvaluator` output matches the float64 logits to 1e-4 relative.")
    w("")
    w("## Cases")
    w("")
    w("| case | seed | parameters | loss | description |")
    w("| --- | --- | --- | --- | --- |")
    for case, meta, data, sizes in results:
        w(f"| `{case.name}` | {case.seed} | {meta['parameter_count']} | {data['loss'].item():.17g} | "
          f"{case.description} |")
    w("")
    w("## Exported graphs")
    for case, meta, data, sizes in results:
        w("")
        w(f"### `{case.name}`")
        w("")
        w("`named_parameters()`: " + ", ".join(f"`{p['name']}`" for p in meta["parameters"]) + ".")
        for ex, info in meta["exporters"].items():
            w("")
            if info.get("export_failed"):
                w(f"- **{ex}: export FAILED**: `{info['error'].strip().splitlines()[-1]}`")
                continue
            ins = ", ".join(f"`{i['name']}` {i['dtype']} {i['shape']}" for i in info["inputs"])
            outs = ", ".join(f"`{o['name']}` {o['dtype']} {o['shape']}" for o in info["outputs"])
            w(f"- **{ex}** (opset {info['opset']}, {info['node_count']} nodes): inputs {ins}; outputs {outs}.")
            w(f"  - ops: {fmt_ops(info['op_types'])}.")
            w("  - initializers (file order): " + ", ".join(f"`{i['name']}`" for i in info["initializers"])
              + f" (`initializer_order` = `{info['initializer_order']}`).")
            for t in info["tied_weights"]:
                cons = "; ".join(f"`{k}` -> " + ", ".join(c) for k, c in t["consumers"].items())
                w(f"  - tied weight (state dict {', '.join('`%s`' % s for s in t['state_dict_names'])}; "
                  f"`named_parameters()`: `{t['named_parameters_name']}`): initializer(s) "
                  + ", ".join(f"`{s}`" for s in t["initializers"]) + f"; consumers: {cons}.")
            for k, e in info["state_dict_names_produced_by_nodes"].items():
                w(f"  - state-dict name `{k}` is not an initializer but a node output: `{k} = {e}`.")
            if info["state_dict_names_absent"]:
                w("  - state-dict names absent from the graph: "
                  + ", ".join(f"`{k}`" for k in info["state_dict_names_absent"]) + ".")
            if info["buffer_initializers"]:
                w("  - buffer initializers: " + ", ".join(f"`{b}`" for b in info["buffer_initializers"]) + ".")
            w(f"  - ONNX `Attention` op: {'yes' if info['has_onnx_attention_op'] else 'no'}.")
            for mn in info["mask_nodes"]:
                if mn["op_type"] == "Where":
                    w(f"  - mask: Where `{mn['name']}` = `{mn['expression']}` -> "
                      + ", ".join(mn["consumers"]) + ".")
            for e in info["attention_expressions"]:
                w(f"  - consumer of the Softmax (att @ v for the GPT cases): `{e}`.")
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
    for f in os.listdir(OUT_DIR):
        if f.endswith((".onnx", ".data", ".safetensors", ".json")) or f == "README.md":
            os.remove(os.path.join(OUT_DIR, f))
    results = [run_case(c) for c in CASES]
    # Same seed, same parameters and tokens: manual attention and SDPA must agree.
    by = {c.name: d for c, _, d, _ in results}
    diff = (by["gpt_manual"]["logits"] - by["gpt_sdpa"]["logits"]).abs().max().item()
    assert diff <= 1e-12, f"gpt_manual and gpt_sdpa logits differ by {diff}"
    for k in by["gpt_manual"]:
        if k.startswith(("grad.", "hvp.")):
            d = (by["gpt_manual"][k] - by["gpt_sdpa"][k]).abs().max().item()
            assert d <= 1e-10 * max(by["gpt_manual"][k].abs().max().item(), 1.0), f"{k} differs by {d}"
    print(f"gpt_manual vs gpt_sdpa: logits agree to {diff:.3g}")
    with open(os.path.join(OUT_DIR, "README.md"), "w") as fh:
        fh.write(readme(results))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in gof.versions().items()))


if __name__ == "__main__":
    main()
