// What an iterative method tells a progress display while it runs: the products spent, the
// current estimates and how far they are from the stop rule.

/// A snapshot of an iterative method's progress, passed to its `progress` closure after each
/// block of products.
///
/// ```swift
/// let trace = try hutchinsonTrace(of: hessian, using: &generator) { report in
///   print(report.matvecCount, report.values[0], report.standardError ?? .nan)
/// }
/// ```
public struct ProgressReport: Sendable, Equatable {
  /// The operator applications (vectors) spent so far.
  public var matvecCount: Int
  /// The current estimates: the trace for trace estimators, the wanted Ritz values for
  /// eigensolvers.
  public var values: [Double]
  /// The standard error of a stochastic estimate, if the method has one.
  public var standardError: Double?
  /// The largest relative residual among the wanted eigenpairs, for eigensolvers.
  public var relativeResidual: Double?
  /// The products the method expects to need in all, when it can predict them (a trace
  /// estimator extrapolates its standard error as `1 / sqrt(samples)`), capped at its budget.
  public var expectedMatvecCount: Int?

  /// A snapshot.
  public init(
    matvecCount: Int, values: [Double], standardError: Double? = nil,
    relativeResidual: Double? = nil, expectedMatvecCount: Int? = nil
  ) {
    self.matvecCount = matvecCount
    self.values = values
    self.standardError = standardError
    self.relativeResidual = relativeResidual
    self.expectedMatvecCount = expectedMatvecCount
  }
}
