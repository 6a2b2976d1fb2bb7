// Parameter blocks of a transformer (Zhang et al. 2024's grouping): the blocks of the tiny
// nanoGPT fixture worked out by hand from its shapes (vocabulary 32, context 8, width 16, two
// layers), each block's Hessian products against the full Hessian's (embedded and cut by the
// test itself), and the split trace estimates against each block's exact trace.

import Foundation
import HessianAnalysis
import MatrixFree
import NeuralNetworks
import ONNXImport
import TensorCore
import TensorIO
import Testing
import _TestSupport

@Suite("Parameter blocks: q/k/v split from a fused projection, block operators and traces")
struct ParameterBlockTests {
  static func setup() throws -> (Model<Double>, DataSet<Double>) {
    let graph = try ONNXGraph(contentsOf: TransformerFixtures.url("gpt_manual.legacy.onnx"))
    let model = Model<Double>(try ONNXNetwork<Double>(graph))
    let data = try Safetensors.read(
      contentsOf: TransformerFixtures.url("gpt_manual.data.safetensors"))
    let idx = try data.tensor(named: "idx")
    let labels = try data.tensor(named: "labels")
    let inputs = ModelInputs<Double>(
      names: [graph.inputs[0].name],
      tensors: [.integer(IntegerTensor(shape: idx.shape, values: try idx.integers()))])
    return (
      model,
      DataSet(
        inputs: inputs,
        targets: .positionClasses(shape: labels.shape, labels: try labels.integers()))
    )
  }

  /// Width d = 16: c_attn.weight is [48, 16] (rows 0..<16 queries), c_attn.bias [48].
  @Test func blocksOfTheTinyGPT() throws {
    let (model, _) = try Self.setup()
    let blocks = ParameterBlock.blocks(of: model.parameters)
    #expect(
      blocks.map(\.name) == [
        "wte", "wpe", "h.0.ln_1", "h.0.attn.c_attn.query", "h.0.attn.c_attn.key",
        "h.0.attn.c_attn.value", "h.0.attn.c_proj", "h.0.ln_2", "h.0.mlp.c_fc", "h.0.mlp.c_proj",
        "h.1.ln_1", "h.1.attn.c_attn.query", "h.1.attn.c_attn.key", "h.1.attn.c_attn.value",
        "h.1.attn.c_proj", "h.1.ln_2", "h.1.mlp.c_fc", "h.1.mlp.c_proj", "ln_f",
      ])
    #expect(
      blocks.prefix(10).map(\.kind) == [
        .embedding, .embedding, .norm, .query, .key, .value, .attentionOutput, .norm, .mlpIn,
        .mlpOut,
      ])
    // wte 32 x 16 = 512, wpe 8 x 16 = 128, ln_1 16 + 16: c_attn.weight starts at 672, its bias
    // at 672 + 768 = 1440. The keys are weight rows 16..<32 and bias entries 16..<32.
    let key = blocks[4]
    #expect(key.ranges == [672 + 256..<672 + 512, 1440 + 16..<1440 + 32])
    #expect(key.parameterCount == 272)
    #expect(blocks.reduce(0) { $0 + $1.parameterCount } == model.parameters.parameterCount)
    // The blocks tile the flat vector: disjoint and covering.
    let all = blocks.flatMap(\.ranges).sorted { $0.lowerBound < $1.lowerBound }
    #expect(zip(all, all.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
  }

  @Test func namesOfOtherConventions() {
    #expect(ParameterBlock.kind(ofModule: "blocks.0.attn.proj") == .attentionOutput)
    #expect(ParameterBlock.kind(ofModule: "blocks.0.mlp.fc1") == .mlpIn)
    #expect(ParameterBlock.kind(ofModule: "layers.3.mlp.down_proj") == .mlpOut)
    #expect(ParameterBlock.kind(ofModule: "layers.3.self_attn.k_proj") == .key)
    #expect(ParameterBlock.kind(ofModule: "blocks.1.norm2") == .norm)
    #expect(ParameterBlock.kind(ofModule: "patch_embed.proj") == .embedding)
    #expect(ParameterBlock.kind(ofModule: "lm_head") == .head)
    #expect(ParameterBlock.kind(ofModule: "conv1") == .other)
    #expect(ParameterBlock.isFusedAttention(module: "blocks.0.attn.qkv"))
  }

  /// `H_BB v` from the block operator equals the block's rows of `H (v embedded)` from the
  /// full Hessian.
  @Test func blockProductsAreTheFullHessiansBlock() throws {
    let (model, data) = try Self.setup()
    let full = try HessianOperator(model: model, loss: .tokenCrossEntropy(.mean), data: data)
    let operators = try HessianOperator.blocks(
      model: model, loss: .tokenCrossEntropy(.mean), data: data)
    var g = SeededGenerator(seed: 3)
    for op in operators where [.query, .key, .value, .norm].contains(op.block.kind) {
      let v = Tensor<Double>(randomNormal: [2, op.dimension], using: &g)
      var embedded = [Double](repeating: 0, count: 2 * full.dimension)
      for r in 0..<2 {
        var at = 0
        for range in op.block.ranges {
          for (i, j) in range.enumerated() { embedded[r * full.dimension + j] = v[r, at + i] }
          at += range.count
        }
      }
      let hv = try full.apply(Tensor(shape: [2, full.dimension], scalars: embedded))
      var expected: [Double] = []
      for r in 0..<2 {
        for range in op.block.ranges { for j in range { expected.append(hv[r, j]) } }
      }
      let got = try op.apply(v).scalars
      let check = closeness(
        Tensor(got), Tensor(expected), rtol: 1e-10, atol: 1e-12 * (expected.map(abs).max() ?? 1))
      #expect(check.passes, "\(op.block.name): \(check)")
    }
  }

  /// The traces split from one Hutchinson run on the full Hessian agree with each small
  /// block's exact trace (its dense matrix) within 4 standard errors.
  @Test func splitTracesAgreeWithExactBlockTraces() throws {
    let (model, data) = try Self.setup()
    let full = try HessianOperator(model: model, loss: .tokenCrossEntropy(.mean), data: data)
    let operators = try HessianOperator.blocks(
      model: model, loss: .tokenCrossEntropy(.mean), data: data)
    let traces = try blockTraceEstimates(
      of: full, blocks: operators.map(\.block), targetRelativeError: 0, maxMatvecs: 400,
      blockSize: 50, seed: 1)
    for (op, t) in zip(operators, traces) where op.dimension <= 32 {
      let exact = try DenseHessian(of: op).trace
      #expect(t.scope == CurvatureScope(.block, name: op.block.name))
      #expect(
        abs(t.trace.trace - exact) <= 4 * t.trace.standardError + 1e-12,
        "\(op.block.name): \(t.trace.trace) ± \(t.trace.standardError) vs exact \(exact)")
    }
  }
}
