#!/usr/bin/env python3
"""Regenerates every file under Tests/Fixtures/transformer/ (ONNX exports of tiny transformers
and PyTorch reference values). Run from the repository root:

    source bench/venv.sh && "$HESSIANKIT_PYTHON" Scripts/generate_transformer_fixtures.py

Same conventions as Scripts/generate_onnx_fixtures.py (whose graph-description helpers it
imports). For each case NAME it writes
  NAME.legacy.onnx          torch.onnx.export(model, args, path, dynamo=False,
                            do_constant_folding=False, opset_version=17), model in eval()
  NAME.dynamo.onnx          torch.onnx.export(model, args, dynamo=True, optimize=False),
                            default opset, all data embedded
  NAME.weights.safetensors  model.state_dict() (float32; a tied weight is stored under both names)
  NAME.data.safetensors     idx / inputs, labels (int64), logits (not for chargpt_loss), loss,
                            grad.<p>, direction.<p>, hvp.<p> (float64; <p> over named_parameters());
                            chargpt, chargpt_loss, vit also top_eigenvalues, bottom_eigenvalue
  NAME.json                 parameter order, state-dict order, tied parameters and, per
                            exporter, the graph's initializers (file order), inputs, outputs,
                            opsets, op types, how the tied weight and the causal mask appear;
                            new cases: hessian_spectrum; chargpt: blocks (Hessian block oracle)
and Tests/Fixtures/transformer/README.md.

Cases (keep the first three cases' model classes at their lines: see the note after MaskOps):
  gpt_manual    nanoGPT-style LM (vocab 32, block 8, n_embd 16, 2 heads, 2 layers), tril attention
  gpt_sdpa      the same model and seed with F.scaled_dot_product_attention(is_causal=True)
  mask_ops      x [N,4,4] -> x @ W -> masked_fill(causal, -inf) -> softmax -> flatten -> Linear(16,3)
  chargpt       the GPT with vocab 30, block 16, n_embd 32, 2 heads, 2 layers, tril attention
  chargpt_loss  chargpt (same seed) whose forward(idx, targets) returns the cross-entropy loss
  vit           tiny ViT: [N,3,16,16] -> 4x4 patches, class token, 2 pre-LN blocks -> 10 classes

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
    def __init__(self, sdpa, n_embd=N_EMBD, n_head=N_HEAD, block=BLOCK):
        super().__init__()
        self.sdpa = sdpa
        self.n_head = n_head
        self.n_embd = n_embd
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        if not sdpa:
            self.register_buffer("bias", torch.tril(torch.ones(block, block)).view(1, 1, block, block))

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
    def __init__(self, n_embd=N_EMBD):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.gelu = nn.GELU()  # exact (erf)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, sdpa, n_embd=N_EMBD, n_head=N_HEAD, block=BLOCK):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd, bias=True)
        self.attn = CausalSelfAttention(sdpa, n_embd, n_head, block)
        self.ln_2 = nn.LayerNorm(n_embd, bias=True)
        self.mlp = MLP(n_embd)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """nanoGPT's GPT without dropout, with the `transformer` ModuleDict flattened
    (wte, wpe, h, ln_f are direct children). forward(idx) returns the logits."""

    def __init__(self, sdpa, vocab=VOCAB, block=BLOCK, n_embd=N_EMBD, n_head=N_HEAD, n_layer=N_LAYER):
        super().__init__()
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.h = nn.ModuleList([Block(sdpa, n_embd, n_head, block) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd, bias=True)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
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


# --------------------------------------------------------------------------- later cases
# Everything from here on may move freely. The classes above may not: the dynamo exports record
# file and line of every forward() they run through in their nodes' stack traces, so shifting
# those lines changes the committed gpt_*.dynamo.onnx and mask_ops.dynamo.onnx files.

CHAR = dict(vocab=30, block=16, n_embd=32, n_head=2, n_layer=2)  # chargpt, chargpt_loss
CHAR_BATCH = 4
CHAR_IGNORED = 5   # label positions set to IGNORE_INDEX (of CHAR_BATCH * block)
CHAR_SEED = 3211   # shared by chargpt and chargpt_loss: same parameters, tokens, directions
VIT_SEED = 3213
VIT_BATCH = 4
VIT_IMAGE = 16     # input [N, 3, 16, 16]
VIT_PATCH = 4      # Conv2d(3, VIT_EMBD, 4, stride 4): 16 patch tokens (+ 1 class token)
VIT_EMBD = 32
VIT_HEADS = 2
VIT_MLP = 64
VIT_CLASSES = 10
VIT_GELU = ("tanh", "none")  # GELU approximate= of blocks 0 and 1
EIGSH_TOL = 1e-10
EIGSH_MAXITER = 2000  # ARPACK restarts; the bottom eigenvalue is omitted if not converged
TRACE_CHUNK = 64      # Hessian columns per batched HVP (is_grads_batched) in the block oracle


class GPTWithLoss(GPT):
    """chargpt_loss: the GPT (same parameters and state dict) whose forward returns the mean
    cross-entropy over the non-ignored tokens, a scalar."""

    def forward(self, idx, targets):
        logits = super().forward(idx)
        v = self.lm_head.out_features
        return F.cross_entropy(logits.view(-1, v), targets.view(-1), ignore_index=IGNORE_INDEX)


class ViTAttention(nn.Module):
    """Multi-head self-attention without mask, fused qkv as in timm's ViT."""

    def __init__(self, dim, n_head):
        super().__init__()
        self.n_head = n_head
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, T, C = x.shape
        hd = C // self.n_head
        qkv = self.qkv(x).reshape(B, T, 3, self.n_head, hd).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)  # (B, nh, T, hd) each
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hd))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        return self.proj(y)


class ViTMLP(nn.Module):
    def __init__(self, dim, hidden, approximate):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU(approximate=approximate)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class ViTBlock(nn.Module):
    def __init__(self, dim, n_head, hidden, approximate):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = ViTAttention(dim, n_head)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = ViTMLP(dim, hidden, approximate)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """x [N,3,16,16] -> patch_embed Conv2d(3,32,4,stride 4) -> flatten(2).transpose(1,2) [N,16,32]
    -> cat(cls_token.expand(N,-1,-1), .) + pos_embed -> 2 pre-LN blocks -> norm(x[:, 0]) -> head."""

    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, VIT_EMBD, VIT_PATCH, stride=VIT_PATCH)
        n_tokens = (VIT_IMAGE // VIT_PATCH) ** 2 + 1
        self.cls_token = nn.Parameter(torch.zeros(1, 1, VIT_EMBD))
        self.pos_embed = nn.Parameter(torch.zeros(1, n_tokens, VIT_EMBD))
        self.blocks = nn.ModuleList([ViTBlock(VIT_EMBD, VIT_HEADS, VIT_MLP, a) for a in VIT_GELU])
        self.norm = nn.LayerNorm(VIT_EMBD)
        self.head = nn.Linear(VIT_EMBD, VIT_CLASSES)

    def forward(self, x):
        x = self.patch_embed(x).flatten(2).transpose(1, 2)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embed
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x[:, 0]))


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
    Case("chargpt", CHAR_SEED, lambda: GPT(sdpa=False, **CHAR), "chargpt",
         "nanoGPT-style character LM (module structure and parameter names of gpt_manual): vocab "
         f"{CHAR['vocab']}, block size {CHAR['block']}, n_embd {CHAR['n_embd']}, {CHAR['n_head']} heads, "
         f"{CHAR['n_layer']} layers; wte + wpe (arange) -> [ln_1 -> attn (c_attn Linear(32,96) split "
         "into q,k,v; att = q @ k^T * (1/sqrt(16)), masked_fill(bias[:,:,:T,:T] == 0, -inf) with "
         "bias = tril(ones(16,16)) buffer, softmax, att @ v; c_proj Linear(32,32)) residual, ln_2 -> "
         "mlp (c_fc Linear(32,128), GELU erf, c_proj Linear(128,32)) residual] x 2 -> ln_f -> "
         "lm_head (no bias, weight tied to wte.weight); forward(idx [N,T] int64) -> logits [N,T,V]"),
    Case("chargpt_loss", CHAR_SEED, lambda: GPTWithLoss(sdpa=False, **CHAR), "chargpt_loss",
         "chargpt (same seed: same parameters, state dict, tokens, labels and directions) as a "
         "GPT subclass whose forward(idx [N,T] int64, targets [N,T] int64) returns the scalar "
         "F.cross_entropy(logits.view(-1, 30), targets.view(-1), ignore_index=-100)"),
    Case("vit", VIT_SEED, ViT, "vit",
         f"tiny ViT classifier: x [N,3,{VIT_IMAGE},{VIT_IMAGE}] float32 -> patch_embed Conv2d(3,{VIT_EMBD}, "
         f"kernel {VIT_PATCH}, stride {VIT_PATCH}) -> flatten(2).transpose(1,2) [N,16,{VIT_EMBD}] -> "
         f"cat(cls_token [1,1,{VIT_EMBD}].expand(N,-1,-1), .) [N,17,{VIT_EMBD}] + pos_embed [1,17,{VIT_EMBD}] "
         f"-> [norm1 -> attn (qkv Linear({VIT_EMBD},{3 * VIT_EMBD}) reshape(N,17,3,{VIT_HEADS},16).permute(2,0,3,1,4)"
         f".unbind(0); softmax(q @ k^T * (1/sqrt(16))) @ v, no mask; proj Linear({VIT_EMBD},{VIT_EMBD})) "
         f"residual, norm2 -> mlp (fc1 Linear({VIT_EMBD},{VIT_MLP}), GELU, fc2 Linear({VIT_MLP},{VIT_EMBD})) "
         f"residual] x 2 (GELU tanh approximation in blocks.0, exact erf in blocks.1) -> norm "
         f"LayerNorm on x[:, 0] (class token) -> head Linear({VIT_EMBD},{VIT_CLASSES}); logits [N,{VIT_CLASSES}]"),
]
TOKEN_CASES = ("gpt", "chargpt", "chargpt_loss")
NEW_KINDS = ("chargpt", "chargpt_loss", "vit")  # with hessian_spectrum
# Op types of the legacy and dynamo exports of gpt_manual, gpt_sdpa and mask_ops (torch 2.15):
# the new cases' JSON lists the op types they add (op_types_not_in_first_cases).
FIRST_CASE_OPS = (
    "Add Cast CastLike Concat Constant Div Equal Erf Expand Flatten Gather Gelu Gemm Identity "
    "LayerNormalization MatMul Mul Range Reshape SequenceAt Shape Slice Softmax Split "
    "SplitToSequence Sqrt Transpose Trilu Unsqueeze Where").split()


def token_shape(case):
    """(vocab, T, batch, ignored label positions) of a token case."""
    if case.kind == "gpt":
        return VOCAB, BLOCK, BATCH, N_IGNORED
    return CHAR["vocab"], CHAR["block"], CHAR_BATCH, CHAR_IGNORED


# --------------------------------------------------------------------------- references

def objective(case, labels):
    if case.kind == "chargpt_loss":
        return lambda out: out  # the model returns the loss
    if case.kind in TOKEN_CASES:
        V = token_shape(case)[0]
        return lambda out: F.cross_entropy(out.reshape(-1, V), labels.reshape(-1),
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


def check_hvp(case, state, args, obj, names, directions, hvps):
    """torch.func forward-over-reverse (jvp of grad) and central differences of the
    gradient (float64), as in Scripts/generate_onnx_fixtures.py. functional_call ties
    weights by default, so substituting wte.weight substitutes lm_head.weight too."""
    from torch.func import functional_call, grad, jvp

    model = fresh(case, state).double()
    pdict = {n: p.detach() for n, p in model.named_parameters()}
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}

    def loss_of(p):
        return obj(functional_call(model, (p, buffers), args))

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
    """Returns (model float32 eval, state, data, names, export inputs (a tensor, or a tuple for
    chargpt_loss), checks, tied, float64 model arguments, objective)."""
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
    if case.kind in TOKEN_CASES:
        V, T, N, n_ignored = token_shape(case)
        seq = torch.randint(0, V, (N, T + 1), generator=gen, dtype=torch.int64)
        inputs = seq[:, :-1].clone().contiguous()
        labels = seq[:, 1:].clone().contiguous()
        ignored = torch.randperm(N * T, generator=gen)[:n_ignored]
        labels.view(-1)[ignored] = IGNORE_INDEX
        data["idx"] = inputs
        x = inputs
    elif case.kind == "vit":
        inputs = torch.randn(VIT_BATCH, 3, VIT_IMAGE, VIT_IMAGE, generator=gen, dtype=torch.float32)
        labels = torch.randint(0, VIT_CLASSES, (VIT_BATCH,), generator=gen, dtype=torch.int64)
        data["inputs"] = inputs
        x = inputs.double()
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

    args = (x, labels) if case.kind == "chargpt_loss" else (x,)
    out = ref(*args)
    value = obj(out)
    if case.kind != "chargpt_loss":
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
    fwd, fd = check_hvp(case, state, args, obj, names, directions, hvps)
    checks["hvp_vs_forward_over_reverse_rel"] = fwd
    checks["hvp_vs_central_differences_rel"] = fd
    export_inputs = (inputs, labels) if case.kind == "chargpt_loss" else inputs
    return model, state, data, names, export_inputs, checks, tied, args, obj


# --------------------------------------------------------------------------- export

def export(case, model, inputs):
    """Writes NAME.legacy.onnx and NAME.dynamo.onnx; returns {exporter: (file, call, error)}."""
    legacy = os.path.join(OUT_DIR, f"{case.name}.legacy.onnx")
    dynamo = os.path.join(OUT_DIR, f"{case.name}.dynamo.onnx")
    model.eval()
    result = collections.OrderedDict()
    # chargpt_loss has two graph inputs (idx, targets); every other case one.
    args, args_text = (inputs, "(idx, targets)") if isinstance(inputs, tuple) else ((inputs,), "(inputs,)")
    call = (f"torch.onnx.export(model, {args_text}, path, dynamo=False, do_constant_folding=False, "
            f"opset_version={LEGACY_OPSET})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, legacy, dynamo=False, do_constant_folding=False,
                              opset_version=LEGACY_OPSET)
        result["legacy"] = (legacy, call, None)
    except Exception:  # noqa: BLE001 - recorded in the JSON and README
        result["legacy"] = (None, call, traceback.format_exc(limit=3))
    call = f"torch.onnx.export(model, {args_text}, dynamo=True, optimize=False).save(path)"
    try:
        prog = torch.onnx.export(model, args, dynamo=True, optimize=False, verbose=False)
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


def describe_onnx_feeds(path, call, names, state, out_ref, inputs):
    """gof.describe_onnx for a graph with several inputs (gof's feeds only the first one): the
    same keys, the reference evaluator fed with inputs[i] as graph input i."""
    m = onnx.load(path)
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
    info["inputs"] = [gof.value_info(v) for v in g.input]
    info["outputs"] = [gof.value_info(v) for v in g.output]
    info["initializers"] = [{"name": i.name, "dtype": gof.dtype_str(i.data_type), "shape": list(i.dims)}
                            for i in g.initializer]
    info["initializer_names_are_state_dict_keys"] = all(n in state for n in inits)
    info["initializers_not_in_state_dict"] = [n for n in inits if n not in state]
    info["state_dict_keys_not_initializers"] = [k for k in state if k not in inits]
    info["initializers_differing_from_state_dict"] = [
        i.name for i in g.initializer if i.name in state and not np.array_equal(
            onnx.numpy_helper.to_array(i), state[i.name].numpy())]
    info["parameter_initializers_in_parameters_order"] = param_inits == [n for n in names if n in inits]
    info["initializer_order_equals_parameters_order"] = inits == names
    info["initializer_order"] = gof.initializer_order(inits, names, state)
    info["model_metadata_props"] = {p.key: p.value for p in m.metadata_props}
    info["graph_metadata_props"] = {p.key: p.value for p in g.metadata_props}
    info["initializer_metadata_props"] = {i.name: {p.key: p.value for p in i.metadata_props}
                                          for i in g.initializer if len(i.metadata_props)}
    info["value_metadata_props"] = {v.name: {p.key: p.value for p in v.metadata_props}
                                    for v in list(g.input) + list(g.value_info) + list(g.output)
                                    if len(v.metadata_props)}
    info["node_metadata_keys"] = sorted({p.key for n in g.node for p in n.metadata_props})
    info["local_functions"] = [f"{f.domain}::{f.name}" for f in m.functions]
    info["node_count"] = len(g.node)
    info["op_types"] = ops
    assert len(g.input) == len(inputs), f"{path}: {len(g.input)} graph inputs"
    sess = onnx.reference.ReferenceEvaluator(m)
    (got,) = sess.run(None, {v.name: t.numpy() for v, t in zip(g.input, inputs)})
    err = float(np.abs(got.astype(np.float64) - out_ref.numpy()).max())
    scale = max(float(np.abs(out_ref.numpy()).max()), 1.0)
    assert got.shape == tuple(out_ref.shape), f"{path}: output shape {got.shape}"
    assert err <= 1e-4 * scale, f"{path}: reference evaluator differs from float64 PyTorch by {err}"
    info["reference_evaluator_max_abs_error_vs_float64"] = err
    return info


def describe(case, path, call, names, state, out_ref, inputs, tied):
    if isinstance(inputs, tuple):
        info = describe_onnx_feeds(path, call, names, state, out_ref, inputs)
    else:
        info = gof.describe_onnx(path, call, names, state, out_ref, inputs)
    info.update(analyse_graph(path, names, state, tied))
    return info


# --------------------------------------------------------------------------- Hessian spectra

class HessianOperator:
    """Float64 H v of the loss, H the FULL Hessian over the flat parameter vector (the
    named_parameters() tensors concatenated, each row-major), by double backward through one
    retained gradient graph. v: [n], or [c, n] for c products at once (is_grads_batched)."""

    def __init__(self, case, state, args, obj):
        self.model = fresh(case, state).double()
        self.names = [n for n, _ in self.model.named_parameters()]
        self.params = [p for _, p in self.model.named_parameters()]
        grads = torch.autograd.grad(obj(self.model(*args)), self.params, create_graph=True)
        self.flat_grad = torch.cat([g.reshape(-1) for g in grads])
        self.n = self.flat_grad.numel()
        self.products = 0

    def __call__(self, v):
        batched = v.dim() == 2
        h = torch.autograd.grad(self.flat_grad, self.params, grad_outputs=v, retain_graph=True,
                                is_grads_batched=batched)
        self.products += v.shape[0] if batched else 1
        if batched:
            return torch.cat([x.reshape(v.shape[0], -1) for x in h], dim=1)
        return torch.cat([x.reshape(-1) for x in h])


def eigsh_extreme(matvec, n, k, which, seed):
    """k eigenvalues of the symmetric operator (n x n, numpy float64 matvec) by
    scipy.sparse.linalg.eigsh(which=which, tol=EIGSH_TOL), sorted descending, with the
    relative residuals |H x - lambda x| / |lambda| of the returned Ritz pairs. Returns
    (values or None if ARPACK did not converge within EIGSH_MAXITER restarts, info)."""
    from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

    count = [0]

    def mv(x):
        count[0] += 1
        return matvec(np.ascontiguousarray(x, dtype=np.float64).reshape(-1))

    v0 = np.random.default_rng(seed).standard_normal(n)
    info = collections.OrderedDict([("which", which), ("k", k), ("tol", EIGSH_TOL),
                                    ("maxiter", EIGSH_MAXITER), ("v0_seed", seed)])
    try:
        w, X = eigsh(LinearOperator((n, n), matvec=mv, dtype=np.float64), k=k, which=which,
                     tol=EIGSH_TOL, v0=v0, maxiter=EIGSH_MAXITER)
    except ArpackNoConvergence:
        info["converged"] = False
        info["operator_applications"] = count[0]
        return None, info
    info["converged"] = True
    info["operator_applications"] = count[0]
    order = np.argsort(-w)
    w, X = w[order], X[:, order]
    res = [matvec(np.ascontiguousarray(X[:, i])) - w[i] * X[:, i] for i in range(k)]
    info["relative_residuals"] = [math.sqrt(math.fsum((r * r).tolist())) / max(abs(w[i]), 1e-300)
                                  for i, r in enumerate(res)]
    return [float(x) for x in w], info


def hessian_spectrum(case, op):
    """Top-3 and bottom eigenvalue of the full Hessian (eigsh, v0 seeded with case.seed)."""
    mv = lambda x: op(torch.from_numpy(x)).numpy()  # noqa: E731
    spec = collections.OrderedDict()
    spec["dimension"] = op.n
    spec["method"] = ("scipy.sparse.linalg.eigsh(LinearOperator((n, n), matvec = float64 H v by "
                      "double backward), k, which, tol, maxiter, v0 = numpy.random.default_rng("
                      "v0_seed).standard_normal(n)); eigenvalues sorted descending")
    top, spec["top"] = eigsh_extreme(mv, op.n, 3, "LA", case.seed)
    assert top is not None, f"{case.name}: eigsh(which='LA') did not converge"
    spec["top_eigenvalues"] = top
    bottom, spec["bottom"] = eigsh_extreme(mv, op.n, 1, "SA", case.seed)
    spec["bottom_eigenvalue"] = bottom
    if bottom is None:
        spec["bottom_eigenvalue_omitted"] = (f"eigsh(which='SA', tol={EIGSH_TOL}) did not converge "
                                             f"within maxiter={EIGSH_MAXITER}")
    return spec


def gpt_block_partition(names, shapes, n_layer, d):
    """Blocks of the block-heterogeneity grouping (Zhang et al. 2024, 'Why Transformers Need
    Adam: A Hessian Perspective'): [(name, [(parameter, row slice or None)])] in flat order."""
    qkv = [("query", 0), ("key", 1), ("value", 2)]
    blocks = [("wte", [("wte.weight", None)]), ("wpe", [("wpe.weight", None)])]
    for i in range(n_layer):
        h = f"h.{i}"
        blocks.append((f"{h}.ln_1", [(f"{h}.ln_1.weight", None), (f"{h}.ln_1.bias", None)]))
        for part, j in qkv:
            blocks.append((f"{h}.attn.{part}", [(f"{h}.attn.c_attn.weight", (j * d, (j + 1) * d)),
                                                (f"{h}.attn.c_attn.bias", (j * d, (j + 1) * d))]))
        for blk, mod in (("attn.proj", "attn.c_proj"), ("ln_2", "ln_2"), ("mlp.fc", "mlp.c_fc"),
                         ("mlp.proj", "mlp.c_proj")):
            blocks.append((f"{h}.{blk}", [(f"{h}.{mod}.weight", None), (f"{h}.{mod}.bias", None)]))
    blocks.append(("ln_f", [("ln_f.weight", None), ("ln_f.bias", None)]))
    offsets, o = {}, 0
    for n, shp in zip(names, shapes):
        offsets[n] = o
        o += int(np.prod(shp))
    shape_of = dict(zip(names, shapes))
    out = []
    for name, parts in blocks:
        ranges, labels = [], []
        for pname, rows in parts:
            shp, start = shape_of[pname], offsets[pname]
            width = int(np.prod(shp[1:]))
            if rows is None:
                ranges.append([start, start + int(np.prod(shp))])
                labels.append(pname)
            else:
                ranges.append([start + rows[0] * width, start + rows[1] * width])
                labels.append(f"{pname}[{rows[0]}:{rows[1]}" + (", :]" if len(shp) > 1 else "]"))
        out.append((name, labels, ranges))
    # The blocks partition [0, n): every coordinate exactly once.
    flat = sorted(r for _, _, rs in out for r in rs)
    assert flat[0][0] == 0 and flat[-1][1] == o, flat
    assert all(a[1] == b[0] for a, b in zip(flat, flat[1:])), "blocks overlap or leave gaps"
    return out


def full_hessian_diagonal_forward_over_reverse(case, state, args, obj):
    """diag(H) by torch.func vmap(jvp(grad(loss))) over unit vectors: a second AD path,
    independent of HessianOperator, for the full-trace check."""
    from torch.func import functional_call, grad, jvp, vmap

    model = fresh(case, state).double()
    names = [n for n, _ in model.named_parameters()]
    pdict = {n: p.detach() for n, p in model.named_parameters()}
    buffers = {n: b.detach().clone() for n, b in model.named_buffers()}
    shapes = [pdict[n].shape for n in names]
    sizes = [pdict[n].numel() for n in names]
    n_total = sum(sizes)

    def loss_of(p):
        return obj(functional_call(model, (p, buffers), args))

    def column(v):
        tangent = {k: t.reshape(s) for k, t, s in zip(names, torch.split(v, sizes), shapes)}
        _, hv = jvp(grad(loss_of), (pdict,), (tangent,))
        return torch.cat([hv[k].reshape(-1) for k in names])

    diag = np.empty(n_total)
    for c0 in range(0, n_total, TRACE_CHUNK):
        idx = torch.arange(c0, min(c0 + TRACE_CHUNK, n_total))
        E = torch.zeros(len(idx), n_total, dtype=torch.float64)
        E[torch.arange(len(idx)), idx] = 1.0
        diag[idx.numpy()] = vmap(column)(E)[torch.arange(len(idx)), idx].numpy()
    return diag


def block_oracle(case, op, state, args, obj, spec):
    """Per block: exact trace of the diagonal block of H (sum of e_j^T H e_j over its
    coordinates, from HVP columns), its top eigenvalue by eigsh on the block-restricted
    operator P H P, and, as a cross-check, scipy.linalg.eigvalsh of the dense block
    assembled from the same columns. Also checks that the block traces add up to the full
    trace computed by forward-over-reverse."""
    import time

    import scipy.linalg

    shapes = [p.shape for p in op.params]
    cfg = CHAR
    parts = gpt_block_partition(op.names, shapes, cfg["n_layer"], cfg["n_embd"])
    grad_flat = op.flat_grad.detach()
    diag_rev = np.full(op.n, np.nan)
    blocks = []
    t0 = time.time()
    for bi, (name, labels, ranges) in enumerate(parts):
        J = np.concatenate([np.arange(a, b) for a, b in ranges])
        m = len(J)
        assert grad_flat[torch.from_numpy(J)].abs().max().item() > 0, f"zero gradient in block {name}"
        Hbb = np.empty((m, m))
        for c0 in range(0, m, TRACE_CHUNK):
            Jc = J[c0:c0 + TRACE_CHUNK]
            E = torch.zeros(len(Jc), op.n, dtype=torch.float64)
            E[torch.arange(len(Jc)), torch.from_numpy(Jc)] = 1.0
            HE = op(E).numpy()              # row i = H e_{Jc[i]}, a column of H
            Hbb[c0:c0 + len(Jc)] = HE[:, J]  # = rows Jc of H_bb, up to rounding (H symmetric)
        d = np.diag(Hbb).copy()
        diag_rev[J] = d
        trace = math.fsum(d.tolist())
        asym = float(np.abs(Hbb - Hbb.T).max())
        dense = scipy.linalg.eigvalsh((Hbb + Hbb.T) / 2)

        def mv(y, J=J):
            full = torch.zeros(op.n, dtype=torch.float64)
            full[torch.from_numpy(J)] = torch.from_numpy(y)
            return op(full)[torch.from_numpy(J)].numpy()

        top, info = eigsh_extreme(mv, m, 1, "LA", case.seed * 100 + bi)
        assert top is not None, f"{name}: eigsh did not converge"
        scale = max(abs(dense[-1]), abs(dense[0]), 1e-300)
        assert abs(top[0] - dense[-1]) <= 1e-8 * scale, f"{name}: eigsh {top[0]} vs dense {dense[-1]}"
        blocks.append(collections.OrderedDict([
            ("name", name), ("parameters", labels), ("ranges", ranges), ("size", m),
            ("trace", trace), ("top_eigenvalue", top[0]),
            ("top_eigenvalue_dense", float(dense[-1])), ("bottom_eigenvalue_dense", float(dense[0])),
            ("eigsh_operator_applications", info["operator_applications"]),
            ("eigsh_relative_residual", info["relative_residuals"][0]),
            ("max_abs_asymmetry", asym)]))
        print(f"  block {name:16s} size {m:5d} trace {trace:+.6e} top {top[0]:+.6e} "
              f"(dense {dense[-1]:+.6e}, min {dense[0]:+.6e})", flush=True)
    t_blocks = time.time() - t0
    t0 = time.time()
    diag_fwd = full_hessian_diagonal_forward_over_reverse(case, state, args, obj)
    t_full = time.time() - t0
    assert not np.isnan(diag_rev).any()
    full_trace = math.fsum(diag_fwd.tolist())
    block_sum = math.fsum(b["trace"] for b in blocks)
    abs_scale = math.fsum(np.abs(diag_fwd).tolist())
    assert abs(block_sum - full_trace) <= 1e-10 * abs_scale, (block_sum, full_trace)
    diag_err = float(np.abs(diag_fwd - diag_rev).max())
    assert diag_err <= 1e-10 * max(float(np.abs(diag_fwd).max()), 1.0), diag_err
    # Cauchy interlacing: a principal submatrix's eigenvalues lie within the full spectrum.
    top_full, bottom_full = spec["top_eigenvalues"][0], spec["bottom_eigenvalue"]
    tol = 1e-8 * max(abs(top_full), 1.0)
    assert all(b["top_eigenvalue_dense"] <= top_full + tol for b in blocks)
    if bottom_full is not None:
        tol = 1e-8 * max(abs(bottom_full[0]), 1.0)
        assert all(b["bottom_eigenvalue_dense"] >= bottom_full[0] - tol for b in blocks)
    print(f"  blocks: {t_blocks:.1f} s ({op.n} HVP columns + eigsh); full diagonal by "
          f"forward-over-reverse: {t_full:.1f} s; sum of block traces {block_sum!r}, full trace "
          f"{full_trace!r}", flush=True)
    trace_check = collections.OrderedDict([
        ("full_trace_forward_over_reverse", full_trace),
        ("sum_of_block_traces", block_sum),
        ("sum_of_abs_diagonal", abs_scale),
        ("max_abs_diagonal_difference_reverse_vs_forward", diag_err)])
    return blocks, trace_check


BLOCKS_NOTE = (
    "Block-heterogeneity grouping of Zhang et al. 2024, 'Why Transformers Need Adam: A Hessian "
    "Perspective'. Coordinates index the flat parameter vector: the named_parameters() tensors "
    "concatenated in order, each row-major. ranges are half-open [start, end). wte is "
    "wte.weight, tied to lm_head.weight: its block includes both uses (embedding and output "
    "head) and their cross terms. query / key / value are rows 0:d, d:2d, 2d:3d of "
    "attn.c_attn.weight ([3d, d]) together with the same entries of attn.c_attn.bias. trace: "
    "sum of e_j^T H e_j over the block's coordinates (math.fsum), H e_j by float64 double "
    "backward; top_eigenvalue: eigsh(P H P restricted to the block, k=1, which='LA', tol=1e-10, "
    "v0 = numpy.random.default_rng(seed * 100 + block index).standard_normal(size)); "
    "top_eigenvalue_dense / bottom_eigenvalue_dense: scipy.linalg.eigvalsh of the symmetrised "
    "dense block assembled from the same columns (checked against eigsh to 1e-8 relative, and "
    "against the full spectrum by Cauchy interlacing). The block traces sum to the full trace "
    "(hessian_trace_check; full diagonal recomputed by torch.func forward-over-reverse).")


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
    import time

    t0 = time.time()
    with sdpa_kernel([SDPBackend.MATH]):
        model, state, data, names, inputs, checks, tied, args, obj = make_case(case)
    spectrum = blocks = trace_check = None
    if case.kind in NEW_KINDS:
        op = HessianOperator(case, state, args, obj)
        t1 = time.time()
        spectrum = hessian_spectrum(case, op)
        print(f"{case.name}: eigsh {time.time() - t1:.1f} s (LA {spectrum['top']['operator_applications']}, "
              f"SA {spectrum['bottom']['operator_applications']} products): top "
              f"{spectrum['top_eigenvalues']}, bottom {spectrum['bottom_eigenvalue']}", flush=True)
        data["top_eigenvalues"] = torch.tensor(spectrum["top_eigenvalues"], dtype=torch.float64)
        if spectrum["bottom_eigenvalue"] is not None:
            data["bottom_eigenvalue"] = torch.tensor(spectrum["bottom_eigenvalue"], dtype=torch.float64)
        if case.kind == "chargpt":
            blocks, trace_check = block_oracle(case, op, state, args, obj, spectrum)
        del op
    save_st(state, f"{case.name}.weights.safetensors", case)
    save_st(data, f"{case.name}.data.safetensors", case)
    exports = export(case, model, inputs)
    meta = collections.OrderedDict()
    meta["case"] = case.name
    meta["seed"] = case.seed
    meta["description"] = case.description
    if case.kind in TOKEN_CASES:
        V = token_shape(case)[0]
        if case.kind == "chargpt_loss":
            meta["loss"] = (f"the graph output: F.cross_entropy(logits.view(-1, {V}), targets.view(-1), "
                            f"ignore_index={IGNORE_INDEX}) (mean over the non-ignored tokens); feed "
                            f"`idx` and `labels` (as targets)")
        else:
            meta["loss"] = (f"F.cross_entropy(logits.view(-1, {V}), labels.view(-1), "
                            f"ignore_index={IGNORE_INDEX}) (mean over the non-ignored tokens)")
        meta["ignored_label_positions"] = [list(map(int, p)) for p in
                                           (data["labels"] == IGNORE_INDEX).nonzero().tolist()]
    else:
        meta["loss"] = "F.cross_entropy(logits, labels) (mean)"
    if case.kind == "vit":
        meta["init"] = (f"Linear / Conv2d weights, cls_token and pos_embed normal(0, {WEIGHT_STD}), "
                        f"Linear / Conv2d biases normal(0, {BIAS_STD}), LayerNorm weight 1 + "
                        f"{LN_STD} randn, bias {LN_STD} randn")
    else:
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
    if spectrum is not None:
        meta["hessian_spectrum"] = spectrum
    if blocks is not None:
        meta["blocks_note"] = BLOCKS_NOTE
        meta["blocks"] = blocks
        meta["hessian_trace_check"] = trace_check
    out_key = "loss" if case.kind == "chargpt_loss" else "logits"
    meta["exporters"] = collections.OrderedDict()
    for k, (p, call, err) in exports.items():
        if err is not None:
            meta["exporters"][k] = {"export_call": call, "export_failed": True, "error": err}
            print(f"{case.name}: {k} export FAILED\n{err}", flush=True)
            continue
        info = describe(case, p, call, names, state, data[out_key], inputs, tied)
        if case.kind in NEW_KINDS:
            # Which data-file tensor feeds each graph input / matches each graph output.
            keys = ["idx", "labels"] if case.kind == "chargpt_loss" else list(data)[:1]
            info["feeds"] = collections.OrderedDict(
                (i["name"], kk) for i, kk in zip(info["inputs"], keys))
            info["output_data_keys"] = {info["outputs"][0]["name"]: out_key}
            info["op_types_not_in_first_cases"] = [o for o in info["op_types"] if o not in FIRST_CASE_OPS]
            if case.kind == "chargpt_loss":
                g = onnx.load(p).graph
                info["loss_nodes"] = [collections.OrderedDict([
                    ("op_type", n.op_type), ("name", n.name), ("inputs", list(n.input)),
                    ("outputs", list(n.output)), ("attributes", attr_values(n))])
                    for n in g.node if "Loss" in n.op_type or n.op_type in ("LogSoftmax", "ReduceMean")]
            assert len(info["inputs"]) == len(keys) and len(info["outputs"]) == 1
        meta["exporters"][k] = info
    dump_json(meta, os.path.join(OUT_DIR, f"{case.name}.json"))
    files = sorted(f for f in os.listdir(OUT_DIR) if f.split(".")[0] == case.name)
    sizes = [(f, os.path.getsize(os.path.join(OUT_DIR, f))) for f in files]
    print(f"{case.name}: {len(names)} parameters; "
          + ", ".join(f"{f} {s}" for f, s in sizes) + f" ({time.time() - t0:.1f} s)", flush=True)
    return case, meta, data, sizes


def fmt_ops(ops):
    return ", ".join(f"{k} {v}" for k, v in ops.items())


def versions():
    import scipy
    v = gof.versions()
    v["scipy"] = scipy.__version__
    return v


def readme(results):
    v = versions()
    lines = []
    w = lines.append
    w("# Transformer ONNX fixtures (tiny nanoGPT and ViT: PyTorch exports + reference values)")
    w("")
    w(f"Generated by `{SCRIPT}`; do not edit by hand. Regenerate from the repository root with")
    w("")
    w(f"    source bench/venv.sh && \"$HESSIANKIT_PYTHON\" {SCRIPT}")
    w("")
    w("which rewrites every file in this directory, this README included (about 4 minutes on one")
    w("core, nearly all of it the chargpt block oracle). The package and its tests never need")
    w("Python. Conventions as in `../onnx/README.md`. The dynamo exports record the script's")
    w("file and line numbers in their stack traces: editing the script above the model classes")
    w("of the first three cases changes their `.dynamo.onnx` files.")
    w("")
    w("Library versions used for the files committed here:")
    w("")
    for k, val in v.items():
        w(f"- {k} {val}")
    w("")
    w("## Files per case `NAME`")
    w("")
    w(f"- `NAME.legacy.onnx`: TorchScript exporter, `torch.onnx.export(model, args, path,")
    w(f"  dynamo=False, do_constant_folding=False, opset_version={LEGACY_OPSET})` with `args` =")
    w("  `(inputs,)`, for chargpt_loss `(idx, targets)`; model in `eval()`, default input/output names.")
    w("- `NAME.dynamo.onnx`: `torch.onnx.export(model, args, dynamo=True, optimize=False)`")
    w("  (default opset), saved with all data embedded. Node `metadata_props` include stack traces")
    w("  with absolute paths of the generating machine.")
    w("- `NAME.weights.safetensors`: `model.state_dict()` (float32), including the causal-mask")
    w("  buffers (`h.<i>.attn.bias`, `bias`) and, for the GPT cases, the tied weight under BOTH")
    w("  state-dict names `wte.weight` and `lm_head.weight` (equal copies).")
    w("- `NAME.data.safetensors`:")
    w(f"  - gpt_manual, gpt_sdpa: `idx` (int64 [{BATCH},{BLOCK}]), `labels` (int64 [{BATCH},{BLOCK}], the next")
    w(f"    tokens, {N_IGNORED} positions set to {IGNORE_INDEX}); chargpt, chargpt_loss: `idx` (int64")
    w(f"    [{CHAR_BATCH},{CHAR['block']}]), `labels` (int64 [{CHAR_BATCH},{CHAR['block']}], {CHAR_IGNORED} positions "
      f"set to {IGNORE_INDEX}; chargpt_loss's second graph")
    w(f"    input `targets`); mask_ops: `inputs` (float32 [{MASK_BATCH},4,4]), `labels` (int64 [{MASK_BATCH}]);")
    w(f"    vit: `inputs` (float32 [{VIT_BATCH},3,{VIT_IMAGE},{VIT_IMAGE}]), `labels` (int64 [{VIT_BATCH}]);")
    w("  - `logits` (float64; not for chargpt_loss, whose graph output is the loss), `loss` (float64")
    w("    `[]`): token cases: `F.cross_entropy(logits.view(-1, V), labels.view(-1),")
    w(f"    ignore_index={IGNORE_INDEX})`, i.e. the mean over the non-ignored tokens ({BATCH * BLOCK - N_IGNORED} for gpt_*,")
    w(f"    {CHAR_BATCH * CHAR['block'] - CHAR_IGNORED} for chargpt*); mask_ops, vit: `F.cross_entropy(logits, labels)`;")
    w("  - `grad.<p>`, `direction.<p>` (standard normal rounded to float32), `hvp.<p>` (float64):")
    w("    gradient, direction v and block `<p>` of H v for the FULL Hessian of the loss, by double")
    w("    backward; `<p>` runs over `named_parameters()`, which lists the tied weight ONCE, as")
    w("    `wte.weight` (its gradient and H v block include both uses: embedding and lm_head);")
    w("  - chargpt, chargpt_loss, vit only: `top_eigenvalues` (float64 [3], descending) and")
    w("    `bottom_eigenvalue` (float64 [1]; omitted if ARPACK did not converge, see the JSON): the 3")
    w("    largest and the smallest algebraic eigenvalue of the FULL parameter Hessian of the loss,")
    w("    from `scipy.sparse.linalg.eigsh(LinearOperator(float64 double-backward H v), k=3,")
    w(f"    which='LA')` and `(k=1, which='SA')`, `tol={EIGSH_TOL}`, `maxiter={EIGSH_MAXITER}`,")
    w("    `v0 = numpy.random.default_rng(seed).standard_normal(n)`.")
    w("- `NAME.json`: `parameters` (order, shapes), `state_dict`, `tied_parameters`, `data` and,")
    w("  per exporter: everything `../onnx/*.json` has (inputs, outputs, opsets, initializers in")
    w("  file order, op-type counts, reference-evaluator error) plus `initializer_to_parameter`")
    w("  (initializer -> `named_parameters()` name, null for buffers), `tied_weights` (initializer")
    w("  name(s) and consuming nodes), `buffer_initializers`, `mask_nodes` (every Trilu / Equal /")
    w("  Where node with the origin of each input), `neg_inf_constants`, `softmax_nodes`,")
    w("  `has_onnx_attention_op`. The new cases (chargpt, chargpt_loss, vit) add:")
    w("  - `hessian_spectrum`: `dimension`, `top_eigenvalues`, `bottom_eigenvalue` (null if not")
    w("    converged, with `bottom_eigenvalue_omitted` saying why), and per run (`top`, `bottom`):")
    w("    eigsh settings, `converged`, `operator_applications` (H v products), `relative_residuals`")
    w("    `|H x - lambda x| / |lambda|` of the Ritz pairs;")
    w("  - per exporter: `feeds` (graph input name -> data-file key), `output_data_keys` (graph")
    w("    output name -> data-file key), `op_types_not_in_first_cases` (op types absent from the")
    w("    exports of gpt_manual, gpt_sdpa and mask_ops) and, for chargpt_loss, `loss_nodes` (the")
    w("    loss node(s) with their attributes);")
    w("  - chargpt only: `blocks` (list of `{name, parameters, ranges, size, trace, top_eigenvalue,")
    w("    top_eigenvalue_dense, bottom_eigenvalue_dense, ...}`), `blocks_note` (definitions) and")
    w("    `hessian_trace_check` (full trace, recomputed independently, = sum of block traces).")
    w("")
    w("Models: nanoGPT's `GPT` without dropout, with `transformer.*` flattened (parameter names")
    w("`wte.weight`, `wpe.weight`, `h.<i>.ln_1.*`, `h.<i>.attn.c_attn.*`, `h.<i>.attn.c_proj.*`,")
    w("`h.<i>.ln_2.*`, `h.<i>.mlp.c_fc.*`, `h.<i>.mlp.c_proj.*`, `ln_f.*`), positions")
    w("`torch.arange(0, T)`. `gpt_manual` and `gpt_sdpa` use the same seed, hence the same")
    w("parameters, tokens, labels and directions; their logits agree to float64 rounding (checked).")
    w("`chargpt` is the same class (manual tril attention) with other sizes; `chargpt_loss` is a")
    w("subclass whose `forward(idx, targets)` returns the loss, with chargpt's seed: the same state")
    w("dict, parameter names, tokens, labels and directions, hence (checked) the same loss, gradient,")
    w("H v and eigenvalues. `vit` is a timm-style ViT (parameter names `patch_embed.*`, `cls_token`,")
    w("`pos_embed`, `blocks.<i>.norm1.*`, `blocks.<i>.attn.qkv.*`, `blocks.<i>.attn.proj.*`,")
    w("`blocks.<i>.norm2.*`, `blocks.<i>.mlp.fc1.*`, `blocks.<i>.mlp.fc2.*`, `norm.*`, `head.*`).")
    w(f"Initialisation (drawn from `torch.Generator().manual_seed(seed)`): LayerNorm weight")
    w(f"`1 + {LN_STD} randn`, bias `{LN_STD} randn`; then, in `named_parameters()` order, Linear /")
    w(f"Embedding / Conv2d weights, `cls_token`, `pos_embed` `normal(0, {WEIGHT_STD})` and Linear / Conv2d")
    w(f"biases `normal(0, {BIAS_STD})` (larger than nanoGPT's 0.02 so that attention and predictions")
    w("are far from uniform); then the tokens (or inputs), labels, ignored positions and")
    w("directions. Every gradient is non-zero (asserted; for chargpt also within every block).")
    w("")
    w("Reference values are float64 (float32 state dict loaded into a fresh model converted with")
    w("`.double()`), computed under `torch.nn.attention.sdpa_kernel([SDPBackend.MATH])` (the default")
    w("CPU SDPA kernel has no double backward; the exports are made outside that context).")
    w("HVPs are cross-checked against torch.func forward-over-reverse (1e-10 relative) and")
    w("central differences of the gradient (step 1e-7, 1e-5 relative); every ONNX")
    w("file passes `onnx.checker.check_model(full_check=True)` and its")
    w("`onnx.reference.ReferenceEvaluator` output (fed the float32 inputs; chargpt_loss: `idx` and")
    w("`labels`) matches the float64 logits (chargpt_loss: loss) to 1e-4 relative.")
    w("")
    w("## Cases")
    w("")
    w("| case | seed | parameters | loss | description |")
    w("| --- | --- | --- | --- | --- |")
    for case, meta, data, sizes in results:
        w(f"| `{case.name}` | {case.seed} | {meta['parameter_count']} | {data['loss'].item():.17g} | "
          f"{case.description} |")
    w("")
    w("## Hessian spectra (chargpt, chargpt_loss, vit)")
    w("")
    w("Full parameter Hessian of the loss; eigsh settings above (`hessian_spectrum` in the JSON).")
    w("")
    w("| case | n | top_eigenvalues | H v products | bottom_eigenvalue | H v products |")
    w("| --- | --- | --- | --- | --- | --- |")
    for case, meta, data, sizes in results:
        sp = meta.get("hessian_spectrum")
        if sp is None:
            continue
        bottom = ("not converged" if sp["bottom_eigenvalue"] is None
                  else f"{sp['bottom_eigenvalue'][0]:.17g}")
        w(f"| `{case.name}` | {sp['dimension']} | " + ", ".join(f"{x:.17g}" for x in sp["top_eigenvalues"])
          + f" | {sp['top']['operator_applications']} | {bottom} | {sp['bottom']['operator_applications']} |")
    for case, meta, data, sizes in results:
        if "blocks" not in meta:
            continue
        tc = meta["hessian_trace_check"]
        w("")
        w(f"### Hessian blocks of `{case.name}`")
        w("")
        w(meta["blocks_note"])
        w("")
        w(f"Full trace (forward-over-reverse diagonal): {tc['full_trace_forward_over_reverse']:.17g}; sum of "
          f"the block traces: {tc['sum_of_block_traces']:.17g}.")
        w("")
        w("| block | parameters | ranges | size | trace | top eigenvalue | bottom eigenvalue (dense) |")
        w("| --- | --- | --- | --- | --- | --- | --- |")
        for b in meta["blocks"]:
            w(f"| `{b['name']}` | " + ", ".join(f"`{x}`" for x in b["parameters"]) + " | "
              + ", ".join(f"[{r[0]}, {r[1]})" for r in b["ranges"])
              + f" | {b['size']} | {b['trace']:.17g} | {b['top_eigenvalue']:.17g} | "
              f"{b['bottom_eigenvalue_dense']:.17g} |")
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
            if "feeds" in info:
                w("  - feeds: " + ", ".join(f"`{k}` <- `{d}`" for k, d in info["feeds"].items())
                  + "; output: " + ", ".join(f"`{k}` = `{d}`" for k, d in info["output_data_keys"].items())
                  + "; op types not in the first three cases' exports: "
                  + (", ".join(f"`{o}`" for o in info["op_types_not_in_first_cases"]) or "none") + ".")
            for ln in info.get("loss_nodes", []):
                w(f"  - loss node: {ln['op_type']} `{ln['name']}`({', '.join(ln['inputs'])}) -> "
                  f"{', '.join(ln['outputs'])}, attributes {json.dumps(ln['attributes'])}.")
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


def pin_blas_threads():
    """The eigsh and eigvalsh results depend in their last bits on the number of OpenBLAS
    threads (1 vs 2 changed the 16th digit). scipy, whose OpenBLAS does all of this script's
    dense linear algebra, is imported only inside functions: fix its thread count before."""
    assert "scipy" not in sys.modules, "scipy imported before pin_blas_threads()"
    os.environ["OPENBLAS_NUM_THREADS"] = "1"


def main():
    pin_blas_threads()
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
    # chargpt_loss is chargpt with the loss inside the graph: same seed, same everything.
    a, b = by["chargpt"], by["chargpt_loss"]
    assert set(b) == set(a) - {"logits"}, sorted(set(a) ^ set(b))
    for k in b:
        if k in ("idx", "labels") or k.startswith("direction."):
            assert torch.equal(a[k], b[k]), k
        elif k.startswith(("grad.", "hvp.")) or k == "loss":
            d = (a[k] - b[k]).abs().max().item()
            assert d <= 1e-12 * max(a[k].abs().max().item(), 1.0), f"chargpt_loss {k} differs by {d}"
        elif k in ("top_eigenvalues", "bottom_eigenvalue"):
            d = (a[k] - b[k]).abs().max().item()
            assert d <= 1e-8 * a[k].abs().max().item(), f"chargpt_loss {k} differs by {d}"
    print("chargpt vs chargpt_loss: loss, gradients, HVPs and eigenvalues agree")
    first_ops = {o for _, m, _, _ in results[:3] for e in m["exporters"].values() for o in e["op_types"]}
    assert first_ops == set(FIRST_CASE_OPS), sorted(first_ops ^ set(FIRST_CASE_OPS))
    with open(os.path.join(OUT_DIR, "README.md"), "w") as fh:
        fh.write(readme(results))
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))


if __name__ == "__main__":
    main()
