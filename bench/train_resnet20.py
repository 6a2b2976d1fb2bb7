#!/usr/bin/env python3
"""Trains the CIFAR-layout ResNet-20 of bench/pytorch_models.py on SYNTHETIC CIFAR-shaped
data (nothing is downloaded), deterministically, so that benchmarks and eigenvalue checks
can use a *trained* network (whose Hessian has a few large outliers, about one per class,
over a slowly decaying tail) next to the random one of bench/make_inputs.py.

Synthetic data (all drawn from torch generators seeded by --seed):
  * 10 classes; class c has a fixed smooth colour "prototype" image: per-channel Gaussian
    noise at 4x4 and 8x8 resolution, upsampled (bicubic) to 32x32 and summed (weights 1 and
    0.5), scaled to unit standard deviation.
  * A sample of class c is its prototype under a random smooth deformation: a random affine
    warp (rotation +-15 degrees, scale 0.85..1.15, translation up to +-5 pixels) composed
    with a smooth random displacement field (4x4 noise upsampled, ~1.5 px), sampled with
    grid_sample (reflection padding); then a random contrast (0.6..1.4), a random per-channel
    brightness offset, additive smooth noise (8x8 upsampled) and white pixel noise. The
    translations make convolutional (translation-invariant) features matter.
  * Label noise: a fraction --label-noise (default 0.08) of the labels is replaced by a
    uniformly random other class, so the loss cannot go to zero and the training accuracy
    against the (noisy) labels stays below 100%.
  * Inputs are standardised per channel with the training set's mean and std; the same
    constants are applied to the evaluation batch.
  * Training set: --train (default 10000) samples; the evaluation batch (--batch, default
    200) is held out, drawn from the same distribution (label noise included) with its own
    generator (seed + 1000), so it does not depend on --train.

Training: SGD (momentum 0.9, weight decay 5e-4 on all parameters), lr --lr (0.1) with a
cosine decay to 0 over all steps, batch 128 (last partial batch dropped), BatchNorm in train
mode, --epochs (default 5) passes in a fixed order (a seeded torch.randperm per epoch).
torch.manual_seed + torch.use_deterministic_algorithms(True) (falls back to warn-only if
unsupported) + --threads (default 1) make a rerun with the same torch version and thread
count bit-reproducible.

Cost (measured on the 2-core x86-64 development machine, torch 2.x CPU, one thread): data
generation about 4 s; about 0.75 s per step of 128 images, so the default 5 epochs x 78
steps = 390 steps take about 290 s (under 5 minutes); evaluation a few seconds. See
train_seconds in the JSON.

Outputs in OUTDIR (default bench/out/trained):
  resnet20.trained.safetensors  float32 state dict (num_batches_tracked int64), same keys
                                and layout as bench/make_inputs.py writes
  inputs.npy                    float32 [BATCH, 3, 32, 32], held-out evaluation batch
  labels.npy                    int64 [BATCH] (noisy labels, like the training labels)
  train_info.json               train/eval accuracy and loss, seconds, settings, torch version

If all four exist the script does not train again (use --force to retrain). It prints the
three paths (weights, inputs, labels), one per line, on stdout; progress goes to stderr.

Usage: train_resnet20.py [OUTDIR] [--seed 0] [--epochs 5] [--threads 1] [--force]
"""

import argparse
import json
import math
import os
import sys
import time


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("outdir", nargs="?", default=os.path.join(here, "out", "trained"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--train", type=int, default=10000, help="training samples")
    ap.add_argument("--batch", type=int, default=200, help="evaluation batch size")
    ap.add_argument("--train-batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--weight-decay", type=float, default=5e-4)
    ap.add_argument("--label-noise", type=float, default=0.08)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="retrain even if the outputs exist")
    ap.add_argument("--eval-samples", type=int, default=None,
                    help="only write a held-out set of this many samples (inputs.N.npy, "
                         "labels.N.npy: same distribution and normalisation as the evaluation "
                         "batch, drawn from seed + 2000); no training")
    return ap.parse_args()


args = parse_args()
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_models import MODELS  # noqa: E402

NUM_CLASSES = 10


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def upsample_noise(gen, n, c, low, size=32):
    z = torch.randn(n, c, low, low, generator=gen)
    return F.interpolate(z, size=(size, size), mode="bicubic", align_corners=False)


def make_prototypes(gen):
    p = upsample_noise(gen, NUM_CLASSES, 3, 4) + 0.5 * upsample_noise(gen, NUM_CLASSES, 3, 8)
    p = p - p.mean(dim=(1, 2, 3), keepdim=True)
    return p / p.std(dim=(1, 2, 3), keepdim=True)


def make_samples(protos, n, gen, label_noise, chunk=1000):
    """Returns (images [n,3,32,32] unnormalised, true labels, noisy labels)."""
    true = torch.randint(0, NUM_CLASSES, (n,), generator=gen)
    imgs = []
    for s in range(0, n, chunk):
        y = true[s:s + chunk]
        m = y.shape[0]
        ang = (torch.rand(m, generator=gen) * 2 - 1) * math.radians(15)
        scale = 0.85 + 0.3 * torch.rand(m, generator=gen)
        shift = (torch.rand(m, 2, generator=gen) * 2 - 1) * (5.0 / 16.0)  # +-5 px in [-1,1] units
        cos, sin = torch.cos(ang) / scale, torch.sin(ang) / scale
        theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1),
                             torch.stack([sin, cos, shift[:, 1]], 1)], 1)
        grid = F.affine_grid(theta, (m, 3, 32, 32), align_corners=False)
        disp = upsample_noise(gen, m, 2, 4).permute(0, 2, 3, 1) * (1.5 / 16.0)
        x = F.grid_sample(protos[y], grid + disp, mode="bilinear", padding_mode="reflection",
                          align_corners=False)
        contrast = 0.6 + 0.8 * torch.rand(m, 1, 1, 1, generator=gen)
        bright = 0.3 * torch.randn(m, 3, 1, 1, generator=gen)
        x = contrast * x + bright + 0.5 * upsample_noise(gen, m, 3, 8) + 0.3 * torch.randn(m, 3, 32, 32, generator=gen)
        imgs.append(x)
    x = torch.cat(imgs)
    flip = torch.rand(n, generator=gen) < label_noise
    other = (true + torch.randint(1, NUM_CLASSES, (n,), generator=gen)) % NUM_CLASSES
    noisy = torch.where(flip, other, true)
    return x.contiguous(), true, noisy


@torch.no_grad()
def evaluate(model, x, y, y_true=None, bs=500):
    model.eval()
    loss, correct, correct_true = 0.0, 0, 0
    for s in range(0, x.shape[0], bs):
        out = model(x[s:s + bs])
        loss += F.cross_entropy(out, y[s:s + bs], reduction="sum").item()
        pred = out.argmax(1)
        correct += (pred == y[s:s + bs]).sum().item()
        if y_true is not None:
            correct_true += (pred == y_true[s:s + bs]).sum().item()
    n = x.shape[0]
    r = {"loss": loss / n, "accuracy": correct / n}
    if y_true is not None:
        r["accuracy_vs_clean_labels"] = correct_true / n
    return r


def held_out_set(n):
    """inputs.N.npy / labels.N.npy: n held-out samples for data-parallel benchmarks."""
    gen = torch.Generator().manual_seed(args.seed)
    protos = make_prototypes(gen)
    x_train, _, _ = make_samples(protos, args.train, gen, args.label_noise)
    mean = x_train.mean(dim=(0, 2, 3), keepdim=True)
    std = x_train.std(dim=(0, 2, 3), keepdim=True)
    x, _, y = make_samples(protos, n, torch.Generator().manual_seed(args.seed + 2000),
                           args.label_noise)
    x = ((x - mean) / std).contiguous()
    for name, array in (("inputs", x.numpy().astype(np.float32)), ("labels", y.numpy().astype(np.int64))):
        path = os.path.join(args.outdir, f"{name}.{n}.npy")
        np.save(path, array)
        print(path)


def main():
    os.makedirs(args.outdir, exist_ok=True)
    if args.eval_samples:
        held_out_set(args.eval_samples)
        return
    weights_path = os.path.join(args.outdir, "resnet20.trained.safetensors")
    inputs_path = os.path.join(args.outdir, "inputs.npy")
    labels_path = os.path.join(args.outdir, "labels.npy")
    info_path = os.path.join(args.outdir, "train_info.json")
    paths = (weights_path, inputs_path, labels_path)
    if not args.force and all(os.path.exists(p) for p in paths + (info_path,)):
        log(f"train_resnet20: outputs exist in {args.outdir}, not retraining (--force to retrain)")
        for p in paths:
            print(p)
        return

    from safetensors.torch import save_file

    torch.set_num_threads(args.threads)
    deterministic = "on"
    try:
        torch.use_deterministic_algorithms(True)
    except Exception as e:  # pragma: no cover
        torch.use_deterministic_algorithms(True, warn_only=True)
        deterministic = f"warn_only ({e})"
    torch.manual_seed(args.seed)

    t_data = time.perf_counter()
    gen = torch.Generator().manual_seed(args.seed)
    protos = make_prototypes(gen)
    x_train, yt_train, y_train = make_samples(protos, args.train, gen, args.label_noise)
    eval_gen = torch.Generator().manual_seed(args.seed + 1000)
    x_eval, yt_eval, y_eval = make_samples(protos, args.batch, eval_gen, args.label_noise)
    mean = x_train.mean(dim=(0, 2, 3), keepdim=True)
    std = x_train.std(dim=(0, 2, 3), keepdim=True)
    x_train = ((x_train - mean) / std).contiguous()
    x_eval = ((x_eval - mean) / std).contiguous()
    data_s = time.perf_counter() - t_data
    log(f"train_resnet20: data {args.train} + {args.batch} samples in {data_s:.1f} s; "
        f"label noise train {(y_train != yt_train).float().mean():.3f}")

    model = MODELS["resnet20"](num_classes=NUM_CLASSES)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=args.weight_decay)
    steps_per_epoch = args.train // args.train_batch
    total = steps_per_epoch * args.epochs
    order_gen = torch.Generator().manual_seed(args.seed + 1)
    step = 0
    history = []
    t0 = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(args.train, generator=order_gen)
        run_loss, run_correct, run_n = 0.0, 0, 0
        for b in range(steps_per_epoch):
            idx = perm[b * args.train_batch:(b + 1) * args.train_batch]
            xb, yb = x_train[idx], y_train[idx]
            for g in opt.param_groups:
                g["lr"] = 0.5 * args.lr * (1 + math.cos(math.pi * step / total))
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            run_loss += loss.item() * yb.shape[0]
            run_correct += (out.argmax(1) == yb).sum().item()
            run_n += yb.shape[0]
        el = time.perf_counter() - t0
        rec = {"epoch": epoch + 1, "train_mode_loss": run_loss / run_n, "train_mode_accuracy": run_correct / run_n,
               "seconds": el}
        history.append(rec)
        log(f"  epoch {epoch + 1}/{args.epochs}: loss {rec['train_mode_loss']:.4f} "
            f"acc {rec['train_mode_accuracy']:.4f}  ({el:.0f} s, {el / step:.2f} s/step)")
    train_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    n_tr_eval = min(args.train, 2000)
    tr = evaluate(model, x_train[:n_tr_eval], y_train[:n_tr_eval], yt_train[:n_tr_eval])
    ev = evaluate(model, x_eval, y_eval, yt_eval)
    eval_s = time.perf_counter() - t1
    log(f"train_resnet20: eval-mode train (first {n_tr_eval}) loss {tr['loss']:.4f} acc {tr['accuracy']:.4f}; "
        f"held-out batch loss {ev['loss']:.4f} acc {ev['accuracy']:.4f}; training {train_s:.0f} s")

    model.eval()
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    for k, v in state.items():
        assert v.dtype in (torch.float32, torch.int64), (k, v.dtype)
    save_file(state, weights_path, metadata={
        "generator": f"bench/train_resnet20.py seed {args.seed} epochs {args.epochs} train {args.train}"})
    np.save(inputs_path, x_eval.numpy().astype(np.float32))
    np.save(labels_path, y_eval.numpy().astype(np.int64))
    info = {
        "model": "resnet20",
        "n_params": sum(p.numel() for p in model.parameters()),
        "train_eval_mode": {"samples": n_tr_eval, **tr},
        "eval_batch": {"samples": args.batch, **ev},
        "history": history,
        "train_seconds": train_s,
        "data_seconds": data_s,
        "eval_seconds": eval_s,
        "settings": {k: v for k, v in vars(args).items() if k not in ("outdir", "force")},
        "steps": total,
        "deterministic_algorithms": deterministic,
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
    }
    with open(info_path, "w") as f:
        json.dump(info, f, indent=2)
    for p in paths:
        print(p)


if __name__ == "__main__":
    main()
