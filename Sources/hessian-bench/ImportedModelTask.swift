// The `onnx` task: the same ResNet imported from an ONNX export (--onnx FILE) against the
// built-in one, on the same weights, batch and directions, one HVP and a block of 8, the two
// models alternating in each repetition so that the machine's noise falls on both. Keys
// onnx_<task>_s, builtin_<task>_s and onnx_<task>_ratio (imported over built-in), and
// onnx_max_relative_difference (the products' largest difference, relative to their norm).

import Autodiff
import Dispatch
import Foundation
import NeuralNetworks
import ONNXImport
import TensorCore

func importedModelReport(
  onnx path: String, builtIn: Model<Float>, inputs x: Tensor<Float>, targets: Targets<Float>,
  directions v1: [Tensor<Float>], block v8: [Tensor<Float>], repeats: Int
) throws -> [String: Any] {
  let graph = try ONNXGraph(contentsOf: URL(fileURLWithPath: path))
  let network = try ONNXNetwork<Float>(graph)
  try network.check(inputShape: x.shape)
  let imported = Model<Float>(network)
  guard imported.parameters.names == builtIn.parameters.names else {
    throw ONNXImportError(
      path: path, "its parameters differ from the built-in model's: \(imported.parameters.names)")
  }
  let loss = LossFunction.crossEntropy(.mean)
  func products(_ model: Model<Float>, _ v: [Tensor<Float>]) -> [Tensor<Float>] {
    hessianVectorProducts(at: model.parameters.values, along: v) { p in
      model.loss(loss, inputs: x, targets: targets, parameters: p)
    }.hessianVectorProducts
  }
  var report: [String: Any] = [:]
  // Agreement first: the same state dict gives the same products.
  let a = ParameterCollection<Float>.flattenBlock(products(imported, v1))
  let b = ParameterCollection<Float>.flattenBlock(products(builtIn, v1))
  report["onnx_max_relative_difference"] = Double((a - b).abs().max()) / Double(b.norm())
  for (task, v) in [("hvp", v1), ("hvp_block8", v8)] {
    var times: [String: [Double]] = ["onnx": [], "builtin": []]
    for _ in 0...repeats {
      for (name, model) in [("builtin", builtIn), ("onnx", imported)] {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = products(model, v)
        times[name]!.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      }
    }
    func medianOf(_ t: [Double]) -> Double {
      let s = t.dropFirst().sorted()  // the first run of each warms up
      return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    let onnx = medianOf(times["onnx"]!)
    let builtin = medianOf(times["builtin"]!)
    report["onnx_\(task)_s"] = onnx
    report["builtin_\(task)_s"] = builtin
    report["onnx_\(task)_ratio"] = onnx / builtin
  }
  return report
}
