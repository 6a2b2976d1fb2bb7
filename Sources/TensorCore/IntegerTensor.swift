// Integer tensors: token ids, class labels with a shape, masks, and the shapes and indices of
// imported graphs. They never carry derivatives.

/// A row-major tensor of integers (int64, int32, uint8 and bool values; bools are 0 or 1):
/// token ids `[N, T]`, attention masks, and the shapes and indices an imported graph computes.
public struct IntegerTensor: Sendable, Equatable {
  /// The shape; `[]` for a scalar.
  public var shape: [Int]
  /// The elements in row-major order.
  public var values: [Int]
  /// Whether the values are booleans (ONNX `bool`, NumPy `bool_`).
  public var isBoolean: Bool

  /// Creates a tensor.
  ///
  /// - Precondition: `values.count` is the product of `shape`.
  public init(shape: [Int], values: [Int], isBoolean: Bool = false) {
    precondition(shape.reduce(1, *) == values.count, "\(values.count) values for shape \(shape)")
    self.shape = shape
    self.values = values
    self.isBoolean = isBoolean
  }

  /// A rank-1 tensor.
  public init(_ values: [Int]) { self.init(shape: [values.count], values: values) }

  /// The number of elements.
  public var count: Int { values.count }

  /// The elements with a new shape of the same count.
  ///
  /// - Precondition: the counts agree.
  public func reshaped(to newShape: [Int]) -> IntegerTensor {
    IntegerTensor(shape: newShape, values: values, isBoolean: isBoolean)
  }

  /// Elements `range` of the leading axis (PyTorch `t[a:b]`).
  ///
  /// - Precondition: the tensor has rank at least 1 and `range` lies in its leading axis.
  public func slice(_ range: Range<Int>) -> IntegerTensor {
    precondition(!shape.isEmpty && range.upperBound <= shape[0], "slice \(range) of \(shape)")
    let per = shape.dropFirst().reduce(1, *)
    return IntegerTensor(
      shape: [range.count] + shape.dropFirst(),
      values: Array(values[range.lowerBound * per..<range.upperBound * per]), isBoolean: isBoolean)
  }
}
