#!/usr/bin/env bash
# Sourced by the benchmark scripts: OpenBLAS 0.3.21 (Debian 12) does not know recent Xeons
# ("Intel(R) Xeon(R) Processor" with AVX-512) and falls back to its Prescott (SSE3) kernels,
# which made one ResNet-20 HVP 2.8x slower (3.99 s against 1.43 s with SkylakeX kernels,
# 2026-12-03). When the CPU has AVX-512 and OPENBLAS_CORETYPE is unset, hessian-bench runs with
# OPENBLAS_CORETYPE=SkylakeX; set OPENBLAS_CORETYPE yourself to override. Only hessian-bench
# gets it: the Python side keeps its own BLAS detection.
hessian_bench_env=()
if [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
  hessian_bench_env=(env OPENBLAS_CORETYPE=SkylakeX)
fi
