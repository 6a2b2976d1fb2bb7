// Per-layer runs walk the layers here, one progress phase per layer named after it ("layer 3/43
// layer1.0.conv1: ..."), with every product counted as it happens: a ResNet-20 has 43 layer
// groups (each BatchNorm is its own), and a silent phase of that length looks hung.

import HessianAnalysis
import MatrixFree
import TensorCore

/// One layer's diagonal block of the Hessian, observed by the run's progress display.
struct ObservedLayer<Scalar: TensorScalar> {
  /// `layer 3/43 layer1.0.conv1`: the position among the layers and the layer's name.
  var label: String
  /// The block, reporting each product to the progress display.
  var hessian: ObservedOperator<HessianOperator<Scalar>>
}

extension RunContext {
  /// Each layer's diagonal block of the Hessian (`HessianOperator.perLayer`), in model order,
  /// labeled for progress lines; the determinism check, if asked, runs once on the full
  /// Hessian.
  func layerHessians<Scalar>(
    _ workload: Workload<Scalar>, checkDeterminism: Bool
  ) throws -> [ObservedLayer<Scalar>] {
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
}

/// `λ 20 (dense)`, `λ 1.23, 0.98 (lanczos, NOT converged)`: a layer's eigenvalues for a
/// progress line.
func eigenvalueLine(_ s: EigenvalueSummary) -> String {
  "λ " + s.eigenvalues.map(format).joined(separator: ", ") + " (\(s.eigenMethod)"
    + (s.converged.allSatisfy { $0 } ? ")" : ", NOT converged)")
}
