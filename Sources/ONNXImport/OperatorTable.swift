// The ops HessianKit imports, the attributes each understands, and which inputs are constants
// (shapes, axes, running statistics): no derivative flows through those, so an initializer
// that reaches the output only through them is a buffer, not a parameter.

/// What the importer knows about one op type.
struct OperatorSpec {
  /// The attributes it reads; any other is refused before computation.
  let attributes: Set<String>
  /// Input slots that never carry derivatives.
  let constantInputs: Set<Int>

  init(_ attributes: Set<String> = [], constant: Set<Int> = []) {
    self.attributes = attributes
    self.constantInputs = constant
  }
}

enum OperatorTable {
  static let window: Set<String> = ["auto_pad", "dilations", "kernel_shape", "pads", "strides"]
  static let reduction: Set<String> = ["axes", "keepdims", "noop_with_empty_axes"]

  static let specs: [String: OperatorSpec] = [
    // Elementwise
    "Add": .init(), "Sub": .init(), "Mul": .init(), "Div": .init(), "Neg": .init(), "Abs": .init(),
    "Pow": .init(constant: [1]), "Sqrt": .init(), "Exp": .init(), "Log": .init(),
    "Reciprocal": .init(), "Relu": .init(), "Sigmoid": .init(), "Tanh": .init(),
    "Softplus": .init(), "Erf": .init(), "LeakyRelu": .init(["alpha"]), "Elu": .init(["alpha"]),
    "Gelu": .init(["approximate"]), "Identity": .init(), "Dropout": .init(["seed"], constant: [1, 2]),
    "Clip": .init(constant: [1, 2]), "Cast": .init(["to", "saturate", "round_mode"]),
    "CastLike": .init(["saturate", "round_mode"], constant: [1]),
    // Linear
    "Gemm": .init(["alpha", "beta", "transA", "transB"]), "MatMul": .init(),
    "Conv": .init(window.union(["group"])),
    "ConvTranspose": .init(window.union(["group", "output_padding", "output_shape"])),
    // Pooling and normalization
    "MaxPool": .init(window.union(["ceil_mode", "storage_order"])),
    "AveragePool": .init(window.union(["ceil_mode", "count_include_pad"])),
    "GlobalAveragePool": .init(),
    "BatchNormalization": .init(["epsilon", "momentum", "training_mode"], constant: [3, 4]),
    // Shape
    "Shape": .init(["start", "end"], constant: [0]), "Reshape": .init(["allowzero"], constant: [1]),
    "Flatten": .init(["axis"]), "Transpose": .init(["perm"]),
    "Squeeze": .init(["axes"], constant: [1]), "Unsqueeze": .init(["axes"], constant: [1]),
    "Concat": .init(["axis"]), "Slice": .init(constant: [1, 2, 3, 4]),
    "Split": .init(["axis", "split", "num_outputs"], constant: [1]),
    "Gather": .init(["axis"], constant: [1]), "Expand": .init(constant: [1]),
    "Pad": .init(["mode", "pads"], constant: [1, 2, 3]),
    "Constant": .init([
      "value", "value_float", "value_floats", "value_int", "value_ints",
    ]),
    "ConstantOfShape": .init(["value"], constant: [0]),
    "Range": .init(constant: [0, 1, 2]),
    "Equal": .init(constant: [0, 1]), "Greater": .init(constant: [0, 1]),
    "Less": .init(constant: [0, 1]), "GreaterOrEqual": .init(constant: [0, 1]),
    "LessOrEqual": .init(constant: [0, 1]), "Not": .init(constant: [0]),
    "And": .init(constant: [0, 1]), "Or": .init(constant: [0, 1]), "Where": .init(constant: [0]),
    // Sequences (the dynamo exporter's split and chunk)
    "SplitToSequence": .init(["axis", "keepdims"], constant: [1]),
    "SequenceAt": .init(constant: [1]), "SequenceLength": .init(constant: [0]),
    "ConcatFromSequence": .init(["axis", "new_axis"]),
    // Reductions and softmax
    "ReduceMean": .init(reduction, constant: [1]), "ReduceSum": .init(reduction, constant: [1]),
    "Softmax": .init(["axis"]), "LogSoftmax": .init(["axis"]),
    "SoftmaxCrossEntropyLoss": .init(["ignore_index", "reduction"], constant: [1]),
    "LayerNormalization": .init(["axis", "epsilon", "stash_type"]),
    "Trilu": .init(["upper"], constant: [1]),
    // Resize
    "Resize": .init(
      [
        "antialias", "axes", "coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside",
        "extrapolation_value", "keep_aspect_ratio_policy", "mode", "nearest_mode",
      ], constant: [1, 2, 3]),
  ]

  /// The opsets of the default domain the importer accepts.
  static let opsets = 13...23
}
