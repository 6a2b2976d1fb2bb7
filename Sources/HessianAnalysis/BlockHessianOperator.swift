// One parameter block's diagonal block of the Hessian, `P H Pᵀ` for the block's elements: the
// products of the Hessian of the parameters it touches, with the vector embedded into and cut
// out of their flat vector, so a block can be rows of a tensor (one third of a fused qkv).

import MatrixFree
import NeuralNetworks
import TensorCore

/// The diagonal block of the Hessian for one ``ParameterBlock``: `(H_BB) v` for vectors `v` over
/// the block's elements.
///
/// Each product is one product of the Hessian of the block's whole parameters (a ``HessianOperator``
/// selecting them), with `v` placed in the block's elements and zeros elsewhere, and the block's
/// elements of the result kept: exact, and as costly as a product of those parameters.
public struct BlockHessianOperator<Scalar: TensorScalar>: CurvatureOperator {
  /// The block.
  public let block: ParameterBlock
  /// The Hessian of the parameters the block touches.
  public let base: HessianOperator<Scalar>
  /// The block's elements as ranges of ``base``'s vectors, in block order.
  let localRanges: [Range<Int>]
  public let segments: [VectorSegment]

  /// The diagonal block of `hessian` (whose segments must include every parameter the block
  /// touches) for `block`, with the model's flat offsets in `modelOffsets`.
  init(block: ParameterBlock, base: HessianOperator<Scalar>, modelOffsets: [String: Int]) {
    self.block = block
    self.base = base
    var local: [Range<Int>] = []
    var segments: [VectorSegment] = []
    var offset = 0
    for range in block.ranges {
      // The parameter containing this range, and the range's rows of it.
      guard
        let segment = base.segments.first(where: { s in
          let start = modelOffsets[s.name] ?? -1
          return range.lowerBound >= start && range.upperBound <= start + s.count
        }), let start = modelOffsets[segment.name]
      else { preconditionFailure("block \(block.name) reaches outside its parameters") }
      let lower = segment.offset + range.lowerBound - start
      local.append(lower..<lower + range.count)
      let rowSize = segment.shape.dropFirst().reduce(1, *)
      let firstRow = (range.lowerBound - start) / Swift.max(rowSize, 1)
      let rows = range.count / Swift.max(rowSize, 1)
      let whole = range.count == segment.count
      segments.append(
        VectorSegment(
          name: whole ? segment.name : "\(segment.name)[\(firstRow):\(firstRow + rows)]",
          shape: whole ? segment.shape : [rows] + segment.shape.dropFirst(), offset: offset))
      offset += range.count
    }
    self.localRanges = local
    self.segments = segments
  }

  public var dimension: Int { block.parameterCount }
  public var scope: CurvatureScope { CurvatureScope(.block, name: block.name) }
  public var method: DifferentiationMethod { base.method }
  public var hvpCount: Int { base.hvpCount }
  public var primalCacheBytes: Int { base.primalCacheBytes }
  public func releasePrimalCache() { base.releasePrimalCache() }

  /// `H_BB x` for each row `x` of `block` (`[k, m]`).
  ///
  /// - Complexity: one block of `k` products of ``base``.
  public func apply(_ vectors: Tensor<Scalar>) throws -> Tensor<Scalar> {
    precondition(
      vectors.rank == 2 && vectors.shape[1] == dimension,
      "expected a block [k, \(dimension)], got \(vectors.shape)")
    let k = vectors.shape[0]
    let n = base.dimension
    let m = dimension
    let embedded = vectors.withUnsafeBufferPointer { v in
      Tensor<Scalar>(shape: [k, n]) { out in
        out.initialize(repeating: 0)
        for r in 0..<k {
          var at = 0
          for range in localRanges {
            for (i, j) in range.enumerated() { out[r * n + j] = v[r * m + at + i] }
            at += range.count
          }
        }
      }
    }
    let products = try base.apply(embedded)
    return products.withUnsafeBufferPointer { p in
      Tensor<Scalar>(shape: [k, m]) { out in
        for r in 0..<k {
          var at = 0
          for range in localRanges {
            for (i, j) in range.enumerated() { out[r * m + at + i] = p[r * n + j] }
            at += range.count
          }
        }
      }
    }
  }
}

extension HessianOperator {
  /// One operator per parameter block (``ParameterBlock/blocks(of:)`` by default): each block's
  /// diagonal block of the Hessian, labeled `block <name>`.
  ///
  /// Blocks that touch the same parameters (the query, key and value of one fused projection)
  /// share one underlying operator. The determinism check runs once, on the full Hessian.
  ///
  /// - Throws: as ``init(model:loss:data:parameters:method:checkDeterminism:primalCacheLimit:)``.
  /// - Complexity: a block's product costs one product of the parameters it touches.
  public static func blocks(
    model: Model<Scalar>, loss: LossFunction, data: DataSet<Scalar>,
    blocks: [ParameterBlock]? = nil, method: DifferentiationMethod = .exact,
    checkDeterminism: Bool = true, primalCacheLimit: Int? = nil
  ) throws -> [BlockHessianOperator<Scalar>] {
    if checkDeterminism {
      _ = try HessianOperator(
        model: model, loss: loss, data: data, method: method, primalCacheLimit: 0)
    }
    let cache = PrimalCache.forOperator(
      checked: checkDeterminism, method: method, byteLimit: primalCacheLimit)
    var offsets: [String: Int] = [:]
    var offset = 0
    for (name, value) in zip(model.parameters.names, model.parameters.values) {
      offsets[name] = offset
      offset += value.count
    }
    var bases: [[String]: HessianOperator] = [:]
    return try (blocks ?? ParameterBlock.blocks(of: model.parameters)).map { block in
      let base: HessianOperator
      if let shared = bases[block.parameterNames] {
        base = shared
      } else {
        let (indices, segments) = try ParameterSelection.names(block.parameterNames)
          .resolve(in: model.parameters)
        base = try HessianOperator(
          model: model, loss: loss, data: data, indices: indices, segments: segments,
          scope: CurvatureScope(.parameters, name: block.parameterNames.joined(separator: ",")),
          method: method, checkDeterminism: false, cache: cache)
        bases[block.parameterNames] = base
      }
      return BlockHessianOperator(block: block, base: base, modelOffsets: offsets)
    }
  }
}
