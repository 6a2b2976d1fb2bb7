// Tensor: a contiguous, row-major, n-dimensional array of Float or Double with value semantics.

/// A dense n-dimensional array of `Float` or `Double`: contiguous, row-major, NCHW for images,
/// like a contiguous PyTorch `torch.Tensor`.
///
/// `Tensor` is a value type: copies share storage until one of them is mutated. Every
/// operation returns a new contiguous tensor; there are no views.
///
/// ```swift
/// let a = Tensor<Float>(shape: [2, 2], scalars: [1, 2, 3, 4])
/// print((a * a).sum().scalar)   // 30.0
/// ```
public struct Tensor<Scalar: TensorScalar>: @unchecked Sendable {
  /// The size of each dimension (PyTorch `tensor.shape`).
  public let shape: [Int]
  @usableFromInline var buffer: TensorBuffer<Scalar>

  /// Creates a tensor whose storage the caller fills through ``withUnsafeMutableBufferPointer(_:)``.
  @inlinable
  init(uninitializedShape shape: [Int]) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
    self.shape = shape
    self.buffer = TensorBuffer(uninitializedCount: shape.reduce(1, *))
  }

  /// Creates a tensor of the given shape and storage without checks (module use only).
  @inlinable
  init(shape: [Int], buffer: TensorBuffer<Scalar>) {
    self.shape = shape
    self.buffer = buffer
  }

  /// Creates a tensor with the given shape, filled by `body`, which must initialize every element
  /// of the buffer it receives.
  @inlinable
  public init(
    shape: [Int], initializingWith body: (UnsafeMutableBufferPointer<Scalar>) throws -> Void
  ) rethrows {
    self.init(uninitializedShape: shape)
    try body(UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count))
  }

  /// Creates a tensor from scalars in row-major order.
  ///
  /// - Precondition: `scalars.count` equals the product of `shape`.
  @inlinable
  public init(shape: [Int], scalars: [Scalar]) {
    precondition(
      shape.reduce(1, *) == scalars.count,
      "shape \(shape) holds \(shape.reduce(1, *)) elements, got \(scalars.count) scalars")
    self.init(uninitializedShape: shape)
    let destination = buffer.pointer
    scalars.withUnsafeBufferPointer { source in
      copyElements(from: source.baseAddress!, to: destination, count: source.count)
    }
  }

  /// Creates a tensor of the given shape with every element equal to `value`.
  @inlinable
  public init(repeating value: Scalar, shape: [Int]) {
    self.init(uninitializedShape: shape)
    if value == 0 {
      // All-zero bits are +0.0 in IEEE 754: memset, which stays fast where the generic
      // initialize(repeating:) is not specialized (it then copies element by element through
      // value witnesses: 25% of an unspecialized transformer HVP, measured with perf).
      UnsafeMutableRawPointer(buffer.pointer).initializeMemory(
        as: UInt8.self, repeating: 0, count: buffer.count * MemoryLayout<Scalar>.stride)
    } else {
      buffer.pointer.initialize(repeating: value, count: buffer.count)
    }
  }

  /// Creates a tensor of zeros (PyTorch `torch.zeros(shape)`).
  @inlinable
  public init(zeros shape: [Int]) { self.init(repeating: 0, shape: shape) }

  /// Creates a rank-0 tensor holding one scalar.
  @inlinable
  public init(_ scalar: Scalar) { self.init(repeating: scalar, shape: []) }

  /// Creates a rank-1 tensor from an array.
  @inlinable
  public init(_ scalars: [Scalar]) { self.init(shape: [scalars.count], scalars: scalars) }

  /// Converts between precisions (PyTorch `tensor.to(dtype)`).
  @inlinable
  public init<Other: TensorScalar>(_ other: Tensor<Other>) {
    self.init(uninitializedShape: other.shape)
    let destination = buffer.pointer
    other.withUnsafeBufferPointer { source in
      for i in 0..<source.count { (destination + i).initialize(to: Scalar(source[i])) }
    }
  }

  /// The number of dimensions (PyTorch `tensor.dim()`).
  @inlinable public var rank: Int { shape.count }

  /// The number of elements (PyTorch `tensor.numel()`).
  @inlinable public var count: Int { buffer.count }

  /// All elements in row-major order.
  @inlinable
  public var scalars: [Scalar] {
    Array(UnsafeBufferPointer(start: buffer.pointer, count: buffer.count))
  }

  /// The single element of a tensor with one element (PyTorch `tensor.item()`).
  ///
  /// - Precondition: `count == 1`.
  @inlinable
  public var scalar: Scalar {
    precondition(count == 1, "scalar requires exactly one element, shape is \(shape)")
    return buffer.pointer[0]
  }

  /// The element at a multi-dimensional index.
  @inlinable
  public subscript(_ indices: Int...) -> Scalar {
    get { buffer.pointer[flatIndex(indices)] }
    set {
      let i = flatIndex(indices)
      makeUnique()
      buffer.pointer[i] = newValue
    }
  }

  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  func flatIndex(_ indices: [Int]) -> Int {
    precondition(
      indices.count == rank, "index \(indices) has rank \(indices.count), tensor has \(shape)")
    var flat = 0
    for (axis, i) in indices.enumerated() {
      precondition(
        0 <= i && i < shape[axis], "index \(indices) is out of bounds for shape \(shape)")
      flat = flat * shape[axis] + i
    }
    return flat
  }

  @inlinable
  mutating func makeUnique() {
    if !isKnownUniquelyReferenced(&buffer) {
      let copy = TensorBuffer<Scalar>(uninitializedCount: buffer.count)
      copy.pointer.initialize(from: buffer.pointer, count: buffer.count)
      buffer = copy
    }
  }

  /// Calls `body` with the elements in row-major order.
  @inlinable
  public func withUnsafeBufferPointer<R>(
    _ body: (UnsafeBufferPointer<Scalar>) throws -> R
  ) rethrows -> R {
    try body(UnsafeBufferPointer(start: buffer.pointer, count: buffer.count))
  }

  /// Calls `body` with mutable access to the elements, copying the storage first if it is shared.
  @inlinable
  public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R
  ) rethrows -> R {
    makeUnique()
    return try body(UnsafeMutableBufferPointer(start: buffer.pointer, count: buffer.count))
  }
}

extension Tensor: Equatable {
  /// Two tensors are equal when their shapes and all elements are equal.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
    lhs.shape == rhs.shape
      && (lhs.buffer === rhs.buffer
        || (0..<lhs.count).allSatisfy { lhs.buffer.pointer[$0] == rhs.buffer.pointer[$0] })
  }
}

extension Tensor: CustomStringConvertible {
  /// The shape and, for small tensors, the elements.
  public var description: String {
    let shown = count <= 16 ? "\(scalars)" : "\(Array(scalars.prefix(8))) ... (\(count) elements)"
    return "Tensor<\(Scalar.self)>(shape: \(shape), \(shown))"
  }
}

/// Copies `count` elements. Kept out of line on purpose: Swift 6.3's LLVM miscompiles a closure
/// passed to a `rethrows` function (such as `withUnsafeBufferPointer`) whose success path ends in
/// a tail call to memcpy: the caller sees a phantom error and releases live objects
/// (swiftlang/swift#90477). Calling this non-inlined helper from such closures avoids the tail
/// call there.
@usableFromInline @inline(never)
func copyElements<Scalar>(
  from source: UnsafePointer<Scalar>, to destination: UnsafeMutablePointer<Scalar>, count: Int
) {
  destination.initialize(from: source, count: count)
}

/// Copies `count` elements like `update(from:count:)`, in pieces of 2 KB when the destination
/// lies less than 64 bytes past the source modulo 4 KB.
///
/// NOTE: glibc 2.36's memmove uses `rep movsb` from about 2-4 KB up, and on this AMD EPYC
/// (Zen 4) machine that runs at 2-3 GB/s instead of 30-50 GB/s when `(destination - source)
/// mod 4096` is 4 to 28 bytes (measured in C for every distance; pieces of 2 KB take the vector
/// loop at 35 GB/s). The left-shifted copy of a padded convolution's input is exactly that when
/// image and scratch share a page offset: a quarter of the 8-64 KB copies of a block of 8 HVPs
/// on ResNet-20, whose CPU time fell 6% once they were split.
@inlinable @inline(__always)
func copyAvoidingPageAliasing<Scalar>(
  from source: UnsafePointer<Scalar>, to destination: UnsafeMutablePointer<Scalar>, count: Int
) {
  let distance = (Int(bitPattern: destination) &- Int(bitPattern: source)) & 4095
  guard distance > 0 && distance < 64 else {
    destination.update(from: source, count: count)
    return
  }
  let piece = 2048 / MemoryLayout<Scalar>.stride
  var done = 0
  while done < count {
    let n = Swift.min(piece, count - done)
    (destination + done).update(from: source + done, count: n)
    done += n
  }
}
