// Per-layer runs walk the layers here, one progress phase per layer named after it ("layer 3/43
// layer1.0.conv1: ..."), with every product counted as it happens: a ResNet-20 has 43 layer
// groups (each BatchNorm is its own), and a silent phase of that length looks hung.

import HessianAnalysis
import MatrixFree
import TensorCore
import TensorIO

/// One layer's (or parameter block's) diagonal block of the Hessian, observed by the run's
/// progress display.
struct ObservedLayer<Operator: CurvatureOperator> {
  /// `layer 3/43 layer1.0.conv1`: the position among the layers and the layer's name.
  var label: String
  /// The block, reporting each product to the progress display.
  var hessian: ObservedOperator<Operator>
}

extension RunContext {
  /// Each layer's diagonal block of the Hessian (`HessianOperator.perLayer`), in model order,
  /// labeled for progress lines; the determinism check, if asked, runs once on the full
  /// Hessian.
  func layerHessians<Scalar>(
    _ workload: Workload<Scalar>, checkDeterminism: Bool
  ) throws -> [ObservedLayer<HessianOperator<Scalar>>] {
    if checkDeterminism { progress.note("checking that two gradient passes agree (determinism)") }
    let layers = try explained {
      try HessianOperator.perLayer(
        model: workload.model, loss: workload.loss, data: workload.data, method: method,
        checkDeterminism: checkDeterminism)
    }
    return layers.enumerated().map { i, layer in
      ObservedLayer(
        label: "layer \(i + 1)/\(layers.count) \(layer.scope.name ?? layer.scope.description)",
        hessian: ObservedOperator(base: layer, progress: progress))
    }
  }

  /// Each parameter block's diagonal block of the Hessian (`HessianOperator.blocks`), labeled
  /// `block 3/26 h.0.attn.c_attn.query (query)` for progress lines.
  func blockHessians<Scalar>(
    _ workload: Workload<Scalar>, checkDeterminism: Bool
  ) throws -> [ObservedLayer<BlockHessianOperator<Scalar>>] {
    if checkDeterminism { progress.note("checking that two gradient passes agree (determinism)") }
    let blocks = try explained {
      try HessianOperator.blocks(
        model: workload.model, loss: workload.loss, data: workload.data, method: method,
        checkDeterminism: checkDeterminism)
    }
    return blocks.enumerated().map { i, block in
      ObservedLayer(
        label: "block \(i + 1)/\(blocks.count) \(block.block.name) (\(block.block.kind.rawValue))",
        hessian: ObservedOperator(base: block, progress: progress))
    }
  }
}

/// One block's identity in JSON: name, kind, and the parameter elements it holds.
func blockJSON(_ block: ParameterBlock) -> JSONDocument {
  [
    "name": .string(block.name), "kind": .string(block.kind.rawValue),
    "parameter_count": .integer(block.parameterCount),
    "parameters": .strings(block.parameterNames),
    "ranges": .array(block.ranges.map { .array([.integer($0.lowerBound), .integer($0.upperBound)]) }),
  ]
}

/// `first`'s members, then `second`'s (a member of both keeps `first`'s place, `second`'s value).
func merged(_ first: JSONDocument, _ second: JSONDocument) -> JSONDocument {
  guard case .object(let members) = second else { return first }
  return members.reduce(first) { $0.adding($1.key, $1.value) }
}

/// `λ 20 (dense)`, `λ 1.23, 0.98 (lanczos, NOT converged)`: a layer's eigenvalues for a
/// progress line.
func eigenvalueLine(_ s: EigenvalueSummary) -> String {
  "λ " + s.eigenvalues.map(format).joined(separator: ", ") + " (\(s.eigenMethod)"
    + (s.converged.allSatisfy { $0 } ? ")" : ", NOT converged)")
}
