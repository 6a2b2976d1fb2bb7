// Parameter names, order and counts as PyTorch has them; state-dict loading and its errors;
// the flat parameter vector.

import Autodiff
import NeuralNetworks
import TensorCore
import Testing
import _TestSupport

@Suite("Model structure and state dicts")
struct ModelStructureTests {
  @Test func mlpNamesMatchPyTorchSequential() {
    let model = Model<Double>(multilayerPerceptron(widths: [5, 7, 3], activation: .tanh))
    #expect(model.parameters.names == ["0.weight", "0.bias", "2.weight", "2.bias"])
    #expect(model.parameters.values.map(\.shape) == [[7, 5], [7], [3, 7], [3]])
    #expect(model.parameters.parameterCount == 7 * 5 + 7 + 3 * 7 + 3)
    let noBias = Model<Double>(
      multilayerPerceptron(widths: [4, 2], activation: .relu, bias: false))
    #expect(noBias.parameters.names == ["0.weight"])
  }

  @Test func resnet20NamesAndCountMatchKuangliuLayout() {
    let model = Model<Float>(ResNet(depth: 20))
    let names = model.parameters.names
    #expect(names.prefix(3) == ["conv1.weight", "bn1.weight", "bn1.bias"])
    #expect(names.contains("layer1.2.bn2.bias"))
    #expect(!names.contains("layer1.0.shortcut.0.weight"))
    #expect(names.contains("layer2.0.shortcut.0.weight"))
    #expect(names.contains("layer3.0.shortcut.1.weight"))
    #expect(names.suffix(2) == ["linear.weight", "linear.bias"])
    // 19 convolutions + 2 projections; 19 + 2 BatchNorms with 2 parameters each; linear.
    #expect(names.count == 21 + 21 * 2 + 2)
    // conv/linear weights: 16*3*9 + 6*16*16*9 + 32*16*9 + 5*32*32*9 + 64*32*9 + 5*64*64*9
    //   + 16*32 + 32*64 (projections) + 64*10; BN: 2*(7*16 + 7*32 + 7*64); bias 10.
    let convs = 432 + 6 * 2304 + 4608 + 5 * 9216 + 18432 + 5 * 36864 + 512 + 2048
    #expect(model.parameters.parameterCount == convs + 640 + 10 + 2 * (7 * 16 + 7 * 32 + 7 * 64))
    #expect(model.parameters.bufferNames.count == 21 * 2)
    #expect(model.parameters.integerBufferNames.contains("layer3.0.shortcut.1.num_batches_tracked"))
    #expect(Model<Float>(ResNet(depth: 56)).parameters.names.contains("layer3.8.bn2.bias"))
  }

  @Test func pytorchInitializationBounds() {
    let model = Model<Double>(multilayerPerceptron(widths: [100, 10], activation: .relu), seed: 3)
    let w = model.parameters.values[0].scalars
    let bound = 1 / 100.0.squareRoot()
    #expect(w.allSatisfy { abs($0) <= bound })
    #expect(w.max()! > 0.9 * bound && w.min()! < -0.9 * bound)
    let again = Model<Double>(multilayerPerceptron(widths: [100, 10], activation: .relu), seed: 3)
    #expect(again.parameters.values == model.parameters.values)
  }

  @Test func stateDictRoundTripAndMismatchErrors() throws {
    var model = Model<Double>(ResNet(depth: 20), seed: 1)
    let other = Model<Double>(ResNet(depth: 20), seed: 2)
    try model.parameters.load(stateDict: other.parameters.stateDict())
    #expect(model.parameters.values == other.parameters.values)

    var broken = other.parameters.stateDict()
    broken["layer1.0.conv1.weight"] = Tensor(zeros: [16, 3, 3, 3])
    broken.removeValue(forKey: "bn1.running_var")
    broken["extra.weight"] = Tensor(zeros: [1])
    let before = model.parameters.values
    #expect {
      try model.parameters.load(stateDict: broken)
    } throws: { error in
      guard let e = error as? StateDictMismatch else { return false }
      let text = e.description
      return e.missingKeys == ["bn1.running_var"] && e.unexpectedKeys == ["extra.weight"]
        && text.contains(
          "\"layer1.0.conv1.weight\" has shape [16, 3, 3, 3] in the state dict but [16, 16, 3, 3] in the model"
        )
    }
    #expect(model.parameters.values == before)
  }

  @Test func flatVectorRoundTripInParameterOrder() {
    let model = Model<Double>(multilayerPerceptron(widths: [3, 2, 2], activation: .tanh), seed: 4)
    let flat = model.parameters.flattened()
    #expect(flat.shape == [model.parameters.parameterCount])
    #expect(Array(flat.scalars.prefix(6)) == model.parameters.values[0].scalars)
    #expect(model.parameters.unflattened(flat) == model.parameters.values)
    let segments = model.parameters.segments
    #expect(segments.map(\.offset) == [0, 6, 8, 12])
    let block = Tensor<Double>.concatenated([
      flat.expandingShape(at: 0), (flat * 2).expandingShape(at: 0),
    ])
    let pieces = model.parameters.unflattened(block)
    #expect(pieces[1].shape == [2, 2])
    #expect(ParameterCollection<Double>.flattenBlock(pieces) == block)
  }
}
