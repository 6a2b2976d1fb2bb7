#!/usr/bin/env python3
"""Export a PyTorch model to ONNX so that the `hessian` CLI can analyze it.

As a module:

    import sys; sys.path.insert(0, "Scripts")
    from export_for_hessian import export_for_hessian

    # A classifier: the Hessian of the mean cross-entropy w.r.t. the parameters.
    export_for_hessian(model, x, "out/model.onnx", labels=y)
    #   writes out/model.onnx, out/model.inputs.npy (float32), out/model.labels.npy (int64)
    #   and prints:  hessian eigen --model out/model.onnx --inputs out/model.inputs.npy \
    #                    --labels out/model.labels.npy

    # A model whose forward(z) returns the scalar objective itself:
    export_for_hessian(gan_objective, z, "out/objective.onnx", objective=True, input_name="z")
    #   prints:  hessian input-hessian --model out/objective.onnx --input z=out/objective.inputs.npy \
    #                --loss none

As a command (a self-contained demo; needs torch, onnx, onnxscript, numpy):

    python Scripts/export_for_hessian.py --demo OUTDIR [--exporter dynamo|legacy]

exports a small LeNet-style CNN (seeded random weights) with a batch of 16 random
28x28 images and labels to OUTDIR/lenet.onnx and prints the `hessian` command.

What export_for_hessian does
  1. model.eval() (printing a note if the model was in training mode): the graph
     records the eval-mode forward (BatchNorm with running statistics, no dropout),
     which is what `hessian --mode eval` (its default) analyzes.
  2. Exports UNFOLDED, with a dynamic batch axis (see below):
       exporter="dynamo" (default, torch.export based):
         torch.onnx.export(model, (x,), dynamo=True, optimize=False,
                           input_names=[input_name], output_names=[...],
                           dynamic_shapes=({0: torch.export.Dim("batch")},))
         then ONNXProgram.save(path, external_data=...)
       exporter="legacy" (TorchScript based, deprecated in recent PyTorch):
         torch.onnx.export(model, (x,), path, dynamo=False, do_constant_folding=False,
                           opset_version=17, input_names=[input_name], output_names=[...],
                           dynamic_axes={input_name: {0: "batch"}, output: {0: "batch"}})
  3. Saves the sample as <stem>.inputs.npy (float32) and, for classifiers,
     <stem>.labels.npy (int64; -100 = ignored), next to the ONNX file.
  4. Verifies: onnx.checker (full check), that every parameter of
     model.named_parameters() is a graph initializer under its PyTorch name, and
     that onnx.reference.ReferenceEvaluator reproduces PyTorch's output on the sample
     (max |difference| <= 1e-4 max |output|) and, with a dynamic batch, on a batch
     of another size too.
  5. Prints the `hessian` command.

Why folding must be off. `hessian` differentiates with respect to the graph's
initializers, named as in model.state_dict() (so --weights state dicts and
--parameters globs work). A folded export (legacy do_constant_folding=True, dynamo
optimize=True, the defaults) is a different parameterization of the same function:
an eval-mode BatchNorm is merged into the preceding convolution's weight and bias,
constant subgraphs are precomputed, and initializers are renamed or dropped. Its
Hessian is the Hessian of another function of other parameters; the importer
detects such graphs and warns (stderr and the JSON's model.folding). Export unfolded.

Why a dynamic batch. An export with a fixed batch axis only accepts batches of
exactly that size, so `--batch-size` and `--samples` would not work. The dynamo
exporter needs a torch.export.Dim on axis 0 (in PyTorch 2.15 a sample batch of 1
works too); the legacy exporter needs dynamic_axes. If the model's code fixes the
batch size (e.g. x.view(16, -1) instead of x.view(x.size(0), -1) or
torch.flatten(x, 1)), torch.onnx.export (2.15) does not raise a constraint
violation: it silently exports a fixed batch. export_for_hessian therefore checks
that the graph input's axis 0 is symbolic, and that the ONNX graph reproduces
PyTorch on a batch of another size, and refuses otherwise: fix the model or pass
dynamic_batch=False. For objective=True the output is a scalar of the whole input,
so the batch axis is left fixed (dynamic_batch is ignored).

Weights larger than ~2 GB must go to an external file (external_data=True writes
<name>.onnx.data next to the graph; `hessian` reads it).
"""

import argparse
import os
import shlex
import sys
import warnings

import numpy as np


def _stem(path):
    base = os.fspath(path)
    return base[:-5] if base.endswith(".onnx") else base


def _to_numpy(a, dtype):
    import torch

    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.ascontiguousarray(np.asarray(a), dtype=dtype)


def _first_tensor(out):
    import torch

    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]
    if isinstance(out, dict) and out:
        return next(iter(out.values()))
    raise TypeError(f"export_for_hessian: the model returned {type(out).__name__}, expected a tensor")


def _dims(value_info):
    return [d.dim_param if d.dim_param else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def _compare(name, got, want, rel):
    want = np.asarray(want, dtype=np.float64)
    got = np.asarray(got, dtype=np.float64)
    if got.shape != want.shape:
        raise RuntimeError(f"export_for_hessian: {name}: ONNX output shape {got.shape} != PyTorch {want.shape}")
    err = float(np.max(np.abs(got - want))) if got.size else 0.0
    scale = max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-30)
    if not err <= rel * scale:
        raise RuntimeError(f"export_for_hessian: {name}: ONNX reference output differs from PyTorch by "
                           f"{err:.3e} (max |output| {scale:.3e}, allowed {rel:g} relative)")
    return err, scale


def export_for_hessian(model, inputs, path, labels=None, objective=False, exporter="dynamo",
                       dynamic_batch=True, input_name="x", output_name=None, external_data=False,
                       opset_version=None, verify=True, rtol=1e-4, quiet=False):
    """Exports `model` (called as model(inputs)) to the ONNX file `path` for `hessian`.

    inputs:        one float tensor (or array) [N, ...], the sample batch; saved as
                   <stem>.inputs.npy (float32).
    labels:        class indices [N] or [N, d...] (-100 ignored) for cross-entropy; saved as
                   <stem>.labels.npy (int64). Omit for objective=True.
    objective:     the model's output is the scalar objective (hessian --loss none, e.g.
                   input-hessian); the batch axis then stays fixed.
    exporter:      "dynamo" (torch.export, optimize=False) or "legacy" (TorchScript,
                   do_constant_folding=False, opset 17 unless opset_version is given).
    dynamic_batch: export axis 0 of the input (and output) as a symbolic "batch" dimension.
    input_name:    the graph input's name (used by --input NAME=FILE).
    output_name:   the graph output's name (default "logits", or "objective").
    external_data: write the weights to <path>.data (needed above ~2 GB).
    verify:        onnx.checker + ReferenceEvaluator vs PyTorch (max abs diff <= rtol * max |out|).

    Returns a dict: path, inputs, labels, command (argv list), command_line (str),
    parameter_order, and the verification numbers.
    """
    import onnx
    import onnx.reference
    import torch

    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    if exporter not in ("dynamo", "legacy"):
        raise ValueError(f"export_for_hessian: exporter must be 'dynamo' or 'legacy', not {exporter!r}")
    if isinstance(inputs, (tuple, list)):
        if len(inputs) != 1:
            raise ValueError("export_for_hessian: the graph must have exactly one floating-point input; "
                             f"got {len(inputs)} inputs")
        inputs = inputs[0]
    x_np = _to_numpy(inputs, np.float32)
    if x_np.ndim == 0:
        raise ValueError("export_for_hessian: inputs must have a batch axis")
    if objective and labels is not None:
        raise ValueError("export_for_hessian: objective=True takes no labels (the output is the objective)")
    if not objective and labels is None:
        raise ValueError("export_for_hessian: labels are required (cross-entropy) unless objective=True")
    y_np = None
    if labels is not None:
        y_np = _to_numpy(labels, np.int64)
        if y_np.ndim == 0 or y_np.shape[0] != x_np.shape[0]:
            raise ValueError(f"export_for_hessian: labels {y_np.shape} must be [N] or [N, d...] with "
                             f"N = {x_np.shape[0]} (the inputs' batch)")

    dtypes = {p.dtype for p in model.parameters() if p.is_floating_point()}
    if dtypes - {torch.float32}:
        raise ValueError(f"export_for_hessian: the model's parameters are {sorted(map(str, dtypes))}; "
                         "export a float32 model (model.float()); hessian chooses its own precision "
                         "with --precision")
    if model.training:
        say("export_for_hessian: the model was in training mode; calling model.eval() (BatchNorm uses its "
            "running statistics, dropout is off), which is what `hessian --mode eval` analyzes")
    model.eval()
    if objective and dynamic_batch:
        say("export_for_hessian: objective=True: the scalar objective depends on the whole input, "
            "so the batch axis is left fixed")
        dynamic_batch = False
    out_name = output_name or ("objective" if objective else "logits")

    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    stem = _stem(path)
    x = torch.from_numpy(x_np)

    # ---- export
    if exporter == "dynamo":
        kwargs = dict(dynamo=True, optimize=False, verbose=False, input_names=[input_name],
                      output_names=[out_name])
        if opset_version is not None:
            kwargs["opset_version"] = opset_version
        if dynamic_batch:
            kwargs["dynamic_shapes"] = ({0: torch.export.Dim("batch")},)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prog = torch.onnx.export(model, (x,), **kwargs)
        except Exception as e:  # torch.export raises several types; add the likely cause
            hint = ""
            if dynamic_batch and any(k in str(e) for k in ("Constraint", "constraint", "specializ", "Dim(")):
                hint = ("\nexport_for_hessian: the model's code fixes the batch size (e.g. x.view(16, -1)); "
                        "use x.view(x.size(0), -1) / torch.flatten(x, 1), or pass dynamic_batch=False")
            raise RuntimeError(f"export_for_hessian: the dynamo export failed: {type(e).__name__}: {e}{hint}") from e
        for f in (path, path + ".data"):
            if os.path.exists(f):
                os.remove(f)
        prog.save(path, external_data=external_data)
        call = (f"torch.onnx.export(model, (x,), dynamo=True, optimize=False, input_names=[{input_name!r}], "
                f"output_names=[{out_name!r}]"
                + (", dynamic_shapes=({0: torch.export.Dim('batch')},)" if dynamic_batch else "")
                + (f", opset_version={opset_version}" if opset_version is not None else "")
                + f").save(path, external_data={external_data})")
    else:
        opset = opset_version or 17
        kwargs = dict(dynamo=False, do_constant_folding=False, opset_version=opset,
                      input_names=[input_name], output_names=[out_name],
                      training=torch.onnx.TrainingMode.EVAL)
        if dynamic_batch:
            kwargs["dynamic_axes"] = {input_name: {0: "batch"}, out_name: {0: "batch"}}
        if external_data:
            say("export_for_hessian: the legacy exporter writes external data only above 2 GB; "
                "external_data ignored")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (x,), path, **kwargs)
        call = (f"torch.onnx.export(model, (x,), path, dynamo=False, do_constant_folding=False, "
                f"opset_version={opset}, input_names=[{input_name!r}], output_names=[{out_name!r}]"
                + (f", dynamic_axes={kwargs['dynamic_axes']!r}" if dynamic_batch else "") + ")")
    say(f"export_for_hessian: wrote {path} ({exporter}: {call})")

    # ---- data files
    inputs_path = stem + ".inputs.npy"
    np.save(inputs_path, x_np)
    labels_path = None
    if y_np is not None:
        labels_path = stem + ".labels.npy"
        np.save(labels_path, y_np)

    # ---- PyTorch reference output (float32, eval mode)
    with torch.no_grad():
        ref = _first_tensor(model(x)).float()
    if objective and ref.numel() != 1:
        raise ValueError(f"export_for_hessian: objective=True but the model's output has shape "
                         f"{tuple(ref.shape)}, not a scalar")
    loss = None
    if not objective:
        with torch.no_grad():
            loss = float(torch.nn.functional.cross_entropy(ref.double(), torch.from_numpy(y_np),
                                                           ignore_index=-100, reduction="mean"))

    # ---- verification
    m = onnx.load(path)  # also loads external data from the same directory
    g = m.graph
    float_types = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16,
                   onnx.TensorProto.BFLOAT16}
    init_names = [i.name for i in g.initializer]
    graph_inputs = [i for i in g.input if i.name not in set(init_names)]
    float_inputs = [i for i in graph_inputs if i.type.tensor_type.elem_type in float_types]
    if len(float_inputs) != 1:
        raise RuntimeError(f"export_for_hessian: the graph has {len(float_inputs)} floating-point inputs "
                           f"({[i.name for i in float_inputs]}); hessian needs exactly one")
    in_dims = _dims(float_inputs[0])
    if dynamic_batch and not isinstance(in_dims[0], str):
        raise RuntimeError(f"export_for_hessian: the batch axis was not exported as dynamic (graph input "
                           f"{in_dims}): the model's code probably fixes the batch size (e.g. x.view(16, -1); "
                           "use x.view(x.size(0), -1) or torch.flatten(x, 1)), and the exporter specialized it "
                           "instead of failing; fix the model or pass dynamic_batch=False")
    param_names = [n for n, _ in model.named_parameters()]
    missing = [n for n in param_names if n not in set(init_names)]
    if missing:
        say(f"export_for_hessian: WARNING: {len(missing)} parameters are not initializers of the graph "
            f"under their PyTorch names (unused by forward, or the export was folded): {missing[:8]}")
    parameter_order = [n for n in init_names if n in set(param_names)]

    result = {"path": path, "inputs": inputs_path, "labels": labels_path, "exporter": exporter,
              "export_call": call, "input": float_inputs[0].name, "input_shape": in_dims,
              "output": g.output[0].name, "output_shape": _dims(g.output[0]),
              "parameter_order": parameter_order, "missing_parameters": missing,
              "pytorch_loss": loss, "pytorch_output_shape": list(ref.shape)}
    if verify:
        onnx.checker.check_model(path, full_check=True)
        ev = onnx.reference.ReferenceEvaluator(m)
        got = ev.run(None, {float_inputs[0].name: x_np})[0]
        err, scale = _compare("the sample batch", got, ref.numpy(), rtol)
        result["verify"] = {"checker": "ok", "max_abs_diff": err, "max_abs_output": scale, "rtol": rtol}
        say(f"export_for_hessian: onnx.checker ok; ReferenceEvaluator vs PyTorch on the sample "
            f"{list(x_np.shape)}: max |diff| {err:.2e} (max |output| {scale:.3e})")
        if dynamic_batch:
            n = x_np.shape[0]
            x2 = x_np[: max(1, min(n - 1, 3))] if n > 1 else np.concatenate([x_np, x_np])
            with torch.no_grad():
                ref2 = _first_tensor(model(torch.from_numpy(x2))).float().numpy()
            got2 = ev.run(None, {float_inputs[0].name: x2})[0]
            err2, _ = _compare(f"a batch of {x2.shape[0]}", got2, ref2, rtol)
            result["verify"]["other_batch"] = {"batch": int(x2.shape[0]), "max_abs_diff": err2}
            say(f"export_for_hessian: dynamic batch ok: a batch of {x2.shape[0]} matches too "
                f"(max |diff| {err2:.2e})")

    # ---- the command
    if objective:
        cmd = ["hessian", "input-hessian", "--model", path, "--input", f"{float_inputs[0].name}={inputs_path}",
               "--loss", "none"]
    else:
        cmd = ["hessian", "eigen", "--model", path, "--inputs", inputs_path, "--labels", labels_path]
    line = " ".join(shlex.quote(a) for a in cmd)
    result["command"] = cmd
    result["command_line"] = line
    if not quiet:
        n_params = sum(p.numel() for p in model.parameters())
        what = "objective" if objective else f"mean cross-entropy {loss:.6f} (PyTorch, float64 from float32 logits)"
        print(f"# {n_params} parameters, {x_np.shape[0]} samples, {what}; parameter order: "
              f"{', '.join(parameter_order)}")
        print(line, flush=True)
    return result


# ----------------------------------------------------------------------------- demo

def _demo_model():
    import torch.nn as nn

    class LeNet(nn.Module):
        """LeNet-5 style on 1x28x28: conv5 -> 24 -> pool -> 12 -> conv5 -> 8 -> pool -> 4."""

        def __init__(self, classes=10):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 4 * 4, 32)
            self.fc2 = nn.Linear(32, classes)
            self.pool = nn.MaxPool2d(2)
            self.act = nn.ReLU()

        def forward(self, x):
            x = self.pool(self.act(self.conv1(x)))
            x = self.pool(self.act(self.conv2(x)))
            x = x.flatten(1)
            return self.fc2(self.act(self.fc1(x)))

    return LeNet()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--demo", metavar="OUTDIR", help="export the LeNet demo to OUTDIR/lenet.onnx")
    ap.add_argument("--exporter", choices=("dynamo", "legacy"), default="dynamo")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not args.demo:
        ap.print_help()
        return 2
    import torch

    torch.manual_seed(args.seed)
    model = _demo_model()
    x = torch.randn(16, 1, 28, 28)
    y = torch.randint(0, 10, (16,))
    export_for_hessian(model, x, os.path.join(args.demo, "lenet.onnx"), labels=y, exporter=args.exporter)
    return 0


if __name__ == "__main__":
    sys.exit(main())
