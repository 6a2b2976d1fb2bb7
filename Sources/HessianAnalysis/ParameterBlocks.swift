// Parameter blocks as the block-heterogeneity studies of transformers draw them (Zhang et al.
// 2024, "Why Transformers Need Adam: A Hessian Perspective"): embeddings, each layer's query,
// key and value (split by rows from a fused projection), attention output, MLP in and out,
// norms and head. A block is a set of ranges of the model's flat parameter vector, so it can
// cut a tensor by rows.

import NeuralNetworks

/// A named set of parameter elements whose diagonal block of the Hessian is studied on its own:
/// whole parameters, or rows of one (the query, key and value thirds of a fused `c_attn` or
/// `qkv` projection).
///
/// **Grouping rule** (``blocks(of:)``): parameters are grouped by module as ``LayerGroup`` does;
/// then a module whose name ends in `c_attn`, `qkv`, `query_key_value` or `Wqkv`, and
/// `nn.MultiheadAttention`'s `in_proj_weight` / `in_proj_bias`, are split along their first
/// axis into three equal row blocks `<module>.query`, `.key`, `.value` (PyTorch stacks the
/// projections as `[W_q; W_k; W_v]`). Each block gets a ``Kind`` from its module's name.
public struct ParameterBlock: Sendable, Hashable, Codable {
  /// What a block is, by its module's name.
  public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Token, position or patch embeddings, class tokens (`wte`, `wpe`, any module whose path
    /// contains `emb`, such as `patch_embed.proj`, and `cls_token`).
    case embedding
    /// Attention queries, keys and values (split from a fused projection, or `q_proj`, ...).
    case query, key, value
    /// The attention output projection (`attn.c_proj`, `attn.proj`, `out_proj`, `o_proj`).
    case attentionOutput = "attention-output"
    /// The MLP's first layer (`mlp.c_fc`, `fc1`, `up_proj`, `gate_proj`).
    case mlpIn = "mlp-in"
    /// The MLP's last layer (`mlp.c_proj`, `fc2`, `down_proj`).
    case mlpOut = "mlp-out"
    /// LayerNorm, RMSNorm, BatchNorm (`ln_1`, `ln_f`, `norm1`, `*norm*`, `bn*`).
    case norm
    /// The output head (`lm_head`, `head`, `classifier`).
    case head
    /// Anything else (convolutions, plain linear layers).
    case other
  }

  /// The block's name: the module's, with `.query`, `.key` or `.value` for a split.
  public let name: String
  /// What the block is.
  public let kind: Kind
  /// The state-dict names of the parameters it touches, in model order.
  public let parameterNames: [String]
  /// Its elements, as ranges of the model's flat parameter vector (model order, row-major).
  public let ranges: [Range<Int>]

  /// The number of elements (the dimension of its Hessian block).
  public var parameterCount: Int { ranges.reduce(0) { $0 + $1.count } }

  /// Creates a block.
  public init(name: String, kind: Kind, parameterNames: [String], ranges: [Range<Int>]) {
    self.name = name
    self.kind = kind
    self.parameterNames = parameterNames
    self.ranges = ranges
  }

  /// The blocks of a model's parameters by the grouping rule above, in model order.
  public static func blocks<S>(of parameters: ParameterCollection<S>) -> [ParameterBlock] {
    var offsets: [String: (offset: Int, shape: [Int])] = [:]
    var offset = 0
    for (name, value) in zip(parameters.names, parameters.values) {
      offsets[name] = (offset, value.shape)
      offset += value.count
    }
    var result: [ParameterBlock] = []
    for layer in LayerGroup.layers(of: parameters) {
      let module = layer.name
      let fusedModule = isFusedAttention(module: module)
      var whole: [String] = []
      var thirds: [[(String, Range<Int>)]] = [[], [], []]
      for name in layer.parameterNames {
        guard let (start, shape) = offsets[name] else { continue }
        let last = String(name.split(separator: ".").last ?? "")
        if (fusedModule || last.hasPrefix("in_proj_")), let rows = shape.first, rows % 3 == 0,
          rows > 0
        {
          let third = shape.reduce(1, *) / 3
          for part in 0..<3 {
            thirds[part].append((name, start + part * third..<start + (part + 1) * third))
          }
        } else {
          whole.append(name)
        }
      }
      if !whole.isEmpty {
        result.append(
          ParameterBlock(
            name: module, kind: kind(ofModule: module), parameterNames: whole,
            ranges: whole.map { n in
              let (start, shape) = offsets[n]!
              return start..<start + shape.reduce(1, *)
            }))
      }
      if !thirds[0].isEmpty {
        for (part, kind) in zip(thirds, [Kind.query, .key, .value]) {
          result.append(
            ParameterBlock(
              name: "\(module).\(kind.rawValue)", kind: kind, parameterNames: part.map(\.0),
              ranges: part.map(\.1)))
        }
      }
    }
    return result
  }

  /// Whether the module projects queries, keys and values with one weight.
  public static func isFusedAttention(module: String) -> Bool {
    let last = module.split(separator: ".").last.map(String.init) ?? module
    return ["c_attn", "qkv", "query_key_value", "Wqkv", "qkv_proj"].contains(last)
  }

  /// A module's kind from its dotted name (the last component, and the path for projections
  /// that attention and MLP name alike, such as nanoGPT's two `c_proj`).
  public static func kind(ofModule module: String) -> Kind {
    let parts = module.lowercased().split(separator: ".").map(String.init)
    let last = parts.last ?? ""
    let path = Set(parts.dropLast())
    let inAttention = !path.isDisjoint(with: ["attn", "attention", "self_attn", "mha"])
    let inMLP = !path.isDisjoint(with: ["mlp", "ffn", "feed_forward", "intermediate"])
    if parts.contains(where: { $0.contains("emb") })
      || ["wte", "wpe", "cls_token", "pos_embed", "class_token"].contains(last)
    {
      return .embedding
    }
    if ["q_proj", "query", "wq", "q"].contains(last) { return .query }
    if ["k_proj", "key", "wk", "k"].contains(last) { return .key }
    if ["v_proj", "value", "wv", "v"].contains(last) { return .value }
    if ["out_proj", "o_proj", "wo"].contains(last) || (inAttention && ["c_proj", "proj", "dense"].contains(last)) {
      return .attentionOutput
    }
    if ["fc1", "up_proj", "gate_proj", "w1", "w3", "lin1"].contains(last)
      || (inMLP && ["c_fc", "dense"].contains(last))
    {
      return .mlpIn
    }
    if ["fc2", "down_proj", "w2", "lin2"].contains(last) || (inMLP && last == "c_proj") {
      return .mlpOut
    }
    if last.hasPrefix("ln") || last.contains("norm") || last.hasPrefix("bn") { return .norm }
    if ["lm_head", "head", "classifier"].contains(last) { return .head }
    return .other
  }
}
