#!/usr/bin/env python3
"""A model of data-parallel Hessian-vector products on many machines, from measurements.

Inputs (measured on this 2-core machine, see bench/mpi-scaling.sh and the README):
  --core-seconds-per-sample  seconds of one core for one HVP of one sample (2 ranks x 1 thread
                             on 2,000 samples: wall seconds x 2 cores / 2,000)
  --parameters               n; a product's message is S = 4 n + 16 bytes (float32 + header)
  --samples                  the data set (ResNet-20: CIFAR-10's 50,000 images)
  --top5-hvps, --trace-hvps  products for top-5 eigenvalues and for a 1% trace

Machines have 2 cores and run one rank per core (R = 2 P ranks). Per product:
  compute   c N / R
  ours      the ordered reduction: every rank's partial sum gathered on rank 0 (linear gather,
            (R - 1) S bytes into rank 0's link), added in rank order, broadcast down a binomial
            tree (ceil(log2 R) steps of S): alpha (R - 1 + log2 R) + S (R - 1 + log2 R) / B
  ring      what MPI_Allreduce's ring would cost (rounding then depends on the algorithm):
            2 (R - 1) (alpha + S / (R B))
  tree      a fixed-order binomial-tree reduce then broadcast (also rank-order independent
            of timing): 2 ceil(log2 R) (alpha + S / B)
Efficiency is compute / (compute + communication) against perfect scaling; the replicated
vector work (Lanczos: O(n k) per product) is below a millisecond and left out.
"""
import argparse
import math


def table(args):
    s = 4 * args.parameters + 16
    rows = []
    for machines in (8, 64, 256):
        ranks = 2 * machines
        compute = args.core_seconds_per_sample * args.samples / ranks
        for gbits in (10, 100):
            b = gbits * 1e9 / 8
            log = math.ceil(math.log2(ranks))
            ours = args.alpha * (ranks - 1 + log) + s * (ranks - 1 + log) / b
            ring = 2 * (ranks - 1) * (args.alpha + s / (ranks * b))
            tree = 2 * log * (args.alpha + s / b)
            per = compute + ours
            rows.append(
                (machines, gbits, compute, ours, ring, tree, compute / per,
                 args.top5_hvps * per, args.trace_hvps * per))
    return s, rows


def fmt(seconds):
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="ResNet-20")
    ap.add_argument("--core-seconds-per-sample", type=float, required=True)
    ap.add_argument("--parameters", type=int, required=True)
    ap.add_argument("--samples", type=int, required=True)
    ap.add_argument("--top5-hvps", type=int, required=True)
    ap.add_argument("--trace-hvps", type=int, required=True)
    ap.add_argument("--alpha", type=float, default=20e-6, help="seconds per message (latency)")
    args = ap.parse_args()
    s, rows = table(args)
    print(f"{args.name}: n = {args.parameters:,}, S = {s / 1e6:.2f} MB per product, "
          f"{args.samples:,} samples, {args.core_seconds_per_sample * 1e3:.2f} core-ms per sample")
    print("| machines (ranks) | network | compute / HVP | ours: ordered gather + bcast | "
          "ring allreduce | fixed tree | efficiency (ours) | top-5 | 1% trace |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for m, g, compute, ours, ring, tree, eff, top5, trace in rows:
        print(f"| {m} ({2 * m}) | {g} Gb/s | {fmt(compute)} | {fmt(ours)} | {fmt(ring)} | "
              f"{fmt(tree)} | {eff:.1%} | {fmt(top5)} | {fmt(trace)} |")


if __name__ == "__main__":
    main()
