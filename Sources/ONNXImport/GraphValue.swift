// The values that flow along a graph's edges while it runs.

import Autodiff
import TensorCore

/// A value on a graph edge: a floating-point tensor that may carry derivatives, or an integer
/// tensor (shapes, indices, masks), which never does.
enum GraphValue<Scalar: TensorScalar> {
  case real(Variable<Scalar>)
  case integer(IntegerTensor)

  var shape: [Int] {
    switch self {
    case .real(let v): v.shape
    case .integer(let t): t.shape
    }
  }
}

/// What a graph edge holds: a tensor, or an ONNX sequence of tensors (the dynamo exporter's
/// `SplitToSequence` for `split` and `chunk`).
enum EdgeValue<Scalar: TensorScalar> {
  case tensor(GraphValue<Scalar>)
  case sequence([GraphValue<Scalar>])
}
