// What the CLI says about an eigensolver's answer beyond the residuals: whether the deflation
// check verified that no eigenvalue was skipped, and the residual floor of the converged test.

import MatrixFree
import TensorCore
import TensorIO

/// The convergence rule as the help texts state it.
let convergenceRuleHelp = """
  A pair has converged when ||Hv - λv|| <= max(tolerance |λ|, floor), with floor = 64 ulp \
  ||H|| (ulp 1.2e-7 in float32, 2.2e-16 in float64; ||H|| estimated by the largest |Ritz \
  value|): the floor decides only for |λ| < floor / tolerance, in float32 at tolerance 1e-3 \
  eigenvalues below 0.0076 ||H||, whose relative residual may then exceed the tolerance. \
  After convergence Lanczos runs a deflation check: max(10, s/2) steps (s the steps it took) \
  from a fresh random start orthogonal to the Ritz vectors found; a new Ritz value beyond the k-th reported one means \
  an eigenvalue was missed, and the iteration goes on with it. "verified" says the last check \
  found none. Power iteration gives no such guarantee and is never verified.
  """

extension EigenResult {
  /// The JSON fields `verified`, `residual_floor` and, for Lanczos, `miss_check`
  /// (`checks`, `found`, `hvp_count`, `next_ritz_values`).
  var evidenceFields: [(String, JSONDocument)] {
    var fields: [(String, JSONDocument)] = [
      ("verified", .bool(verified)), ("residual_floor", .number(residualFloor)),
    ]
    if let check = missCheck {
      fields.append(
        (
          "miss_check",
          [
            "checks": .integer(check.checks), "found": .integer(check.found),
            "hvp_count": .integer(check.matvecCount),
            "next_ritz_values": .numbers(check.nextRitzValues),
          ]
        ))
    }
    return fields
  }

  /// `, verified (next Ritz value 417.1)`, `, NOT verified (...)` or, for power iteration,
  /// `, not verified (power iteration gives no such guarantee)`.
  var verificationPhrase: String {
    guard let check = missCheck else {
      return method == .powerIteration
        ? ", not verified (power iteration gives no such guarantee)" : ""
    }
    let next =
      check.nextRitzValues.isEmpty
      ? "" : " (next Ritz value " + check.nextRitzValues.map(format).joined(separator: ", ") + ")"
    if check.verified { return ", verified" + next }
    return ", NOT verified: the deflation check did not finish" + next
  }
}

extension JSONDocument {
  /// This object with `fields` appended.
  func adding(_ fields: [(String, JSONDocument)]) -> JSONDocument {
    fields.reduce(self) { $0.adding($1.0, $1.1) }
  }
}
