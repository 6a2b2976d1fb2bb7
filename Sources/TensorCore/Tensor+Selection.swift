// Elementwise selection by a mask (NumPy `where`), without arithmetic on the unselected
// values: an infinity or NaN in the branch not taken never reaches the result.

extension Tensor {
  /// `a` where `mask` is non-zero, else `b` (NumPy `np.where(mask, a, b)`, PyTorch
  /// `torch.where`).
  ///
  /// `a` and `b` have one shape; `mask` has that shape or a suffix of it, and then repeats
  /// over the leading axes (a mask `[n]` selects in each row of `[k, n]` tangents).
  ///
  /// - Precondition: the shapes fit as described.
  public static func selecting(_ mask: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
    precondition(a.shape == b.shape, "selecting: branches \(a.shape) and \(b.shape) differ")
    precondition(
      mask.rank <= a.rank && Array(a.shape.suffix(mask.rank)) == mask.shape,
      "selecting: mask \(mask.shape) is not a suffix of \(a.shape)")
    let period = mask.count
    return Tensor(shape: a.shape) { out in
      mask.withUnsafeBufferPointer { m in
        a.withUnsafeBufferPointer { x in
          b.withUnsafeBufferPointer { y in
            guard period > 0 else { return }
            for i in 0..<out.count { out[i] = m[i % period] != 0 ? x[i] : y[i] }
          }
        }
      }
    }
  }
}
