// Gemm, MatMul, Conv and ConvTranspose, on Autodiff's bilinear primitives (matmul, conv2D,
// convTransposed2D). Grouped convolutions run group by group; asymmetric padding is an explicit
// zero border; 1-D convolutions run as 2-D ones of height 1.

import Autodiff
import TensorCore

extension ONNXEvaluator {
  /// `alpha op(A) op(B) + beta C` (PyTorch `nn.Linear` exports as Gemm with `transB=1`).
  static func gemm(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let a = try c.real(0)
    let b = try c.real(1)
    guard a.shape.count == 2, b.shape.count == 2 else {
      throw NodeError("needs rank-2 A and B, got \(a.shape) and \(b.shape)")
    }
    let ta = try c.int("transA", default: 0) != 0
    let tb = try c.int("transB", default: 0) != 0
    let k1 = ta ? a.shape[0] : a.shape[1]
    let k2 = tb ? b.shape[1] : b.shape[0]
    guard k1 == k2 else {
      throw NodeError("inner dimensions differ: A \(a.shape)\(ta ? "ᵀ" : ""), B \(b.shape)\(tb ? "ᵀ" : "")")
    }
    var y = a.matmul(b, transposeSelf: ta, transposeOther: tb)
    let alpha = try c.float("alpha", default: 1)
    if alpha != 1 { y = y * Scalar(alpha) }
    if c.has(2) {
      var bias = try c.real(2)
      let beta = try c.float("beta", default: 1)
      if beta != 1 { bias = bias * Scalar(beta) }
      _ = try broadcastShapes(y.shape, bias.shape)
      y = y + bias
    }
    return .real(y)
  }

  /// NumPy `matmul`: `B` of rank 1 or 2 (any leading axes of `A` are batch axes), or batched
  /// `A` and `B` whose leading axes broadcast (attention's `[N, H, T, D] @ [N, H, D, T]`).
  static func matmul(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    var a = try c.real(0)
    var b = try c.real(1)
    let aVector = a.shape.count == 1
    let bVector = b.shape.count == 1
    if aVector { a = a.reshaped(to: [1, a.shape[0]]) }
    if bVector { b = b.reshaped(to: [b.shape[0], 1]) }
    guard a.shape.count >= 2, b.shape.count >= 2, a.shape.last == b.shape[b.shape.count - 2] else {
      throw NodeError("shapes \(try c.value(0).shape) and \(try c.value(1).shape) do not multiply")
    }
    let k = a.shape.last!
    let n = b.shape.last!
    let lead = Array(a.shape.dropLast(2))
    let m = a.shape[a.shape.count - 2]
    var y: Variable<Scalar>
    if b.shape.count == 2 {
      y = a.reshaped(to: [lead.reduce(m, *), k]).matmul(b).reshaped(to: lead + [m, n])
    } else {
      // Leading (batch) axes broadcast, as NumPy's matmul.
      let bLead = Array(b.shape.dropLast(2))
      let common = try broadcastShapes(lead, bLead)
      try c.checkAllocation(common + [m, n], "the output")
      if lead != common {
        a = a.reshaped(to: [Int](repeating: 1, count: common.count - lead.count) + a.shape)
          .broadcasted(to: common + [m, k])
      }
      if bLead != common {
        b = b.reshaped(to: [Int](repeating: 1, count: common.count - bLead.count) + b.shape)
          .broadcasted(to: common + [k, n])
      }
      let lead = common
      let batch = lead.reduce(1, *)
      let a3 = a.reshaped(to: [batch, m, k])
      let b3 = b.reshaped(to: [batch, k, n])
      y = a3.batchedMatmul(b3).reshaped(to: lead + [m, n])
    }
    var shape = y.shape
    if bVector { shape.removeLast() }
    if aVector { shape.remove(at: shape.count - (bVector ? 1 : 2)) }
    return .real(shape == y.shape ? y : y.reshaped(to: shape))
  }

  /// The 2-D window of a Conv, ConvTranspose or pooling node: kernel, strides, dilations and
  /// pads `[top, left, bottom, right]` (`auto_pad` resolved for the given input size).
  struct Window {
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    var pads: [Int]

    var isSymmetric: Bool { pads[0] == pads[2] && pads[1] == pads[3] }

    func geometry(padded: Bool = true) -> Convolution2DGeometry {
      Convolution2DGeometry(
        kernelHeight: kernel[0], kernelWidth: kernel[1], strideHeight: strides[0],
        strideWidth: strides[1], paddingHeight: padded ? pads[0] : 0,
        paddingWidth: padded ? pads[1] : 0, dilationHeight: dilations[0],
        dilationWidth: dilations[1])
    }
  }

  static func window(
    _ c: NodeContext<Scalar>, kernel defaultKernel: [Int]?, spatial: [Int], transposed: Bool = false
  ) throws -> Window {
    guard let kernel = try c.ints("kernel_shape") ?? defaultKernel, kernel.count == 2,
      kernel.allSatisfy({ $0 >= 1 })
    else { throw NodeError("needs a 2-D kernel_shape") }
    let strides = try c.ints("strides") ?? [1, 1]
    let dilations = try c.ints("dilations") ?? [1, 1]
    var pads = try c.ints("pads") ?? [0, 0, 0, 0]
    guard strides.count == 2, dilations.count == 2, pads.count == 4,
      strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }),
      pads.allSatisfy({ $0 >= 0 })
    else {
      throw NodeError("strides \(strides), dilations \(dilations) or pads \(pads) are not valid 2-D values")
    }
    switch try c.string("auto_pad", default: "NOTSET") {
    case "NOTSET": break
    case "VALID": pads = [0, 0, 0, 0]
    case let mode where mode == "SAME_UPPER" || mode == "SAME_LOWER":
      guard !transposed else { throw NodeError("auto_pad \(mode) is not supported for ConvTranspose") }
      for axis in 0..<2 {
        let out = (spatial[axis] + strides[axis] - 1) / strides[axis]
        let total = Swift.max(
          0, (out - 1) * strides[axis] + dilations[axis] * (kernel[axis] - 1) + 1 - spatial[axis])
        let small = total / 2
        pads[axis] = mode == "SAME_UPPER" ? small : total - small
        pads[axis + 2] = total - pads[axis]
      }
    case let mode: throw NodeError("auto_pad \"\(mode)\" is not supported")
    }
    return Window(kernel: kernel, strides: strides, dilations: dilations, pads: pads)
  }

  /// `x` with `before` and `after` zeros added along `axis` (negative amounts crop).
  static func zeroPadded(_ x: Variable<Scalar>, axis: Int, before: Int, after: Int) -> Variable<Scalar> {
    var x = x
    if before < 0 || after < 0 {
      let lo = Swift.max(0, -before)
      let hi = x.shape[axis] - Swift.max(0, -after)
      x = x.slice(lo..<Swift.max(lo, hi), alongAxis: axis)
    }
    var parts: [Variable<Scalar>] = []
    func zeros(_ n: Int) -> Variable<Scalar> {
      var s = x.shape
      s[axis] = n
      return Variable(Tensor(zeros: s))
    }
    if before > 0 { parts.append(zeros(before)) }
    parts.append(x)
    if after > 0 { parts.append(zeros(after)) }
    return parts.count == 1 ? x : Variable.concatenated(parts, alongAxis: axis)
  }

  /// ONNX Conv (PyTorch `nn.Conv1d`/`nn.Conv2d`): groups, dilations, strides, any pads.
  static func conv(_ c: NodeContext<Scalar>, batchNorm: (scale: Variable<Scalar>, shift: Variable<Scalar>)? = nil) throws -> GraphValue<Scalar> {
    var x = try c.real(0)
    var w = try c.real(1)
    let oneD = x.shape.count == 3
    if oneD {
      guard w.shape.count == 3 else { throw NodeError("1-D Conv needs a rank-3 weight, got \(w.shape)") }
      x = x.reshaped(to: [x.shape[0], x.shape[1], 1, x.shape[2]])
      w = w.reshaped(to: [w.shape[0], w.shape[1], 1, w.shape[2]])
    }
    guard x.shape.count == 4, w.shape.count == 4 else {
      throw NodeError("supports 1-D and 2-D convolutions; got input \(x.shape), weight \(w.shape)")
    }
    var node = c
    if oneD { node = c.liftingOneD() }
    let win = try window(node, kernel: Array(w.shape[2...]), spatial: Array(x.shape[2...]))
    let groups = try c.int("group", default: 1)
    let (channels, outChannels) = (x.shape[1], w.shape[0])
    guard groups >= 1, channels % groups == 0, outChannels % groups == 0,
      w.shape[1] == channels / groups, Array(w.shape[2...]) == win.kernel
    else {
      throw NodeError(
        "input \(x.shape), weight \(w.shape) and group \(groups) do not fit together")
    }
    var bias = c.has(2) ? try c.real(2) : nil
    if let b = bias, b.shape != [outChannels] {
      throw NodeError("bias has shape \(b.shape), expected [\(outChannels)]")
    }
    if let (scale, shift) = batchNorm {
      w = w * scale.reshaped(to: [outChannels, 1, 1, 1])
      bias = bias.map { shift + $0 * scale } ?? shift
    }
    if !win.isSymmetric {
      x = zeroPadded(x, axis: 2, before: win.pads[0], after: win.pads[2])
      x = zeroPadded(x, axis: 3, before: win.pads[1], after: win.pads[3])
    }
    let g = win.geometry(padded: win.isSymmetric)
    let (h, wd) = (x.shape[2] + 2 * g.paddingHeight, x.shape[3] + 2 * g.paddingWidth)
    guard h >= g.dilationHeight * (g.kernelHeight - 1) + 1,
      wd >= g.dilationWidth * (g.kernelWidth - 1) + 1
    else { throw NodeError("the kernel \(win.kernel) is larger than the padded input \(x.shape)") }
    var y: Variable<Scalar>
    if groups == 1 {
      y = x.conv2D(w, bias: bias, geometry: g)
    } else {
      let (cg, og) = (channels / groups, outChannels / groups)
      let parts = (0..<groups).map { i in
        x.slice(i * cg..<(i + 1) * cg, alongAxis: 1).conv2D(
          w.slice(i * og..<(i + 1) * og, alongAxis: 0),
          bias: bias?.slice(i * og..<(i + 1) * og, alongAxis: 0), geometry: g)
      }
      y = Variable.concatenated(parts, alongAxis: 1)
    }
    if oneD { y = y.reshaped(to: [y.shape[0], y.shape[1], y.shape[3]]) }
    return .real(y)
  }

  /// ONNX ConvTranspose (PyTorch `nn.ConvTranspose2d`): strides, pads, dilations,
  /// output_padding, groups.
  static func convTranspose(_ c: NodeContext<Scalar>) throws -> GraphValue<Scalar> {
    let x = try c.real(0)
    let w = try c.real(1)
    guard x.shape.count == 4, w.shape.count == 4 else {
      throw NodeError("supports 2-D transposed convolutions; got input \(x.shape), weight \(w.shape)")
    }
    if c.node.attributes["output_shape"] != nil {
      throw NodeError("attribute output_shape is not supported; export with output_padding")
    }
    let win = try window(c, kernel: Array(w.shape[2...]), spatial: Array(x.shape[2...]), transposed: true)
    let outputPadding = try c.ints("output_padding") ?? [0, 0]
    let groups = try c.int("group", default: 1)
    let channels = x.shape[1]
    guard outputPadding.count == 2, groups >= 1, channels % groups == 0, w.shape[0] == channels,
      Array(w.shape[2...]) == win.kernel
    else {
      throw NodeError("input \(x.shape), weight \(w.shape) and group \(groups) do not fit together")
    }
    for axis in 0..<2 where outputPadding[axis] < 0
      || outputPadding[axis] >= Swift.max(win.strides[axis], win.dilations[axis])
    {
      throw NodeError("output_padding \(outputPadding) must be below the stride or dilation")
    }
    guard win.isSymmetric else {
      throw NodeError("asymmetric pads \(win.pads) are not supported for ConvTranspose")
    }
    let outChannels = w.shape[1] * groups
    var outputShape = [x.shape[0], outChannels]
    for axis in 0..<2 {
      outputShape.append(
        (x.shape[2 + axis] - 1) * win.strides[axis] - 2 * win.pads[axis]
          + win.dilations[axis] * (win.kernel[axis] - 1) + outputPadding[axis] + 1)
    }
    guard outputShape[2] >= 1, outputShape[3] >= 1 else {
      throw NodeError("the output would be empty (\(outputShape)): pads \(win.pads) are too large")
    }
    try c.checkAllocation(outputShape, "the output")
    let bias = c.has(2) ? try c.real(2) : nil
    if let b = bias, b.shape != [outChannels] {
      throw NodeError("bias has shape \(b.shape), expected [\(outChannels)]")
    }
    let g = win.geometry()
    var y: Variable<Scalar>
    if groups == 1 {
      y = x.convTransposed2D(w, geometry: g, outputPadding: (outputPadding[0], outputPadding[1]))
    } else {
      let cg = channels / groups
      let parts = (0..<groups).map { i in
        x.slice(i * cg..<(i + 1) * cg, alongAxis: 1).convTransposed2D(
          w.slice(i * cg..<(i + 1) * cg, alongAxis: 0), geometry: g,
          outputPadding: (outputPadding[0], outputPadding[1]))
      }
      y = Variable.concatenated(parts, alongAxis: 1)
    }
    if let bias { y = y + bias.reshaped(to: [1, outChannels, 1, 1]) }
    return .real(y)
  }
}

extension NodeContext {
  /// The same node with 1-D window attributes lifted to 2-D (height 1).
  func liftingOneD() -> NodeContext {
    var attributes = node.attributes
    for key in ["kernel_shape", "strides", "dilations"] {
      if case .ints(let v)? = attributes[key], v.count == 1 { attributes[key] = .ints([1] + v) }
    }
    if case .ints(let v)? = attributes["pads"], v.count == 2 {
      attributes["pads"] = .ints([0, v[0], 0, v[1]])
    }
    return NodeContext(
      node: ONNXNode(
        name: node.name, opType: node.opType, inputs: node.inputs, outputs: node.outputs,
        attributes: attributes), edges: edges, opset: opset)
  }
}
