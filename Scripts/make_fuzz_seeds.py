#!/usr/bin/env python3
"""Writes the small seed files of the loaders' fuzzing corpora to Tests/Fuzz/seeds/<harness>/.

Run from the repository root (numpy only):  python3 Scripts/make_fuzz_seeds.py

`make fuzz` (Scripts/fuzz.sh) seeds each harness from these files and from the test fixtures
of its format (safetensors, ONNX); FuzzRegressionTests replays every file under Tests/Fuzz/
through its harness in `make test`. Files the fuzzer found that once crashed go to
Tests/Fuzz/regressions/<harness>/.
"""

import gzip
import io
import os
import struct
import zipfile

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "Tests", "Fuzz", "seeds")


def write(harness, name, data):
    d = os.path.join(ROOT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy(a):
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


def main():
    rng = np.random.default_rng(0)
    write("npy", "f32.npy", npy(rng.standard_normal((2, 3)).astype(np.float32)))
    write("npy", "i64.npy", npy(np.arange(5, dtype=np.int64)))
    write("npy", "f64.npy", npy(rng.standard_normal((3, 2))))
    write("npy", "bool.npy", npy(np.array([True, False, True])))
    write("npy", "f16.npy", npy(np.array([1.5, -2.0], dtype=np.float16)))
    for compression, name in [(zipfile.ZIP_STORED, "stored.npz"), (zipfile.ZIP_DEFLATED, "deflated.npz")]:
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", compression) as z:
            z.writestr("inputs.npy", npy(rng.standard_normal((2, 2)).astype(np.float32)))
            z.writestr("labels.npy", npy(np.array([1, 0], dtype=np.int64)))
        write("npz", name, b.getvalue())
    images = struct.pack(">IIII", 0x00000803, 2, 3, 3) + bytes(range(18))
    labels = struct.pack(">II", 0x00000801, 2) + bytes([3, 7])
    floats = struct.pack(">BBBBII", 0, 0, 0x0D, 2, 2, 2) + struct.pack(">4f", 1, 2, 3, 4)
    write("idx", "images.idx", images)
    write("idx", "labels.idx", labels)
    write("idx", "floats.idx", floats)
    write("idx", "images.idx.gz", gzip.compress(images, mtime=0))
    records = b"".join(bytes([i % 10]) + bytes((j * 7 + i) % 256 for j in range(3072)) for i in range(2))
    write("cifar10", "two-records.bin", records)


if __name__ == "__main__":
    main()
