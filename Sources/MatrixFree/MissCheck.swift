// The guard against a missed eigenvalue: a small residual proves that a Ritz pair is an
// eigenpair, not that no eigenvalue beyond the reported ones was skipped. After the wanted pairs
// converge, `eigenpairs` runs a few Lanczos steps from a fresh random start orthogonal to every
// Ritz vector it kept; an eigenvalue beyond the k-th reported one shows up there as a new Ritz
// value, and the iteration goes on with it.

/// How ``eigenpairs(of:count:which:tolerance:maxMatvecs:blockSize:basisSize:startingBlock:missCheck:using:progress:)``
/// guards against an eigenvalue it did not see.
///
/// Lanczos finds an eigenvalue only once its Krylov space has a large enough component along
/// the eigenvector. When the random start is nearly orthogonal to the eigenvector of, say, the
/// fifth largest eigenvalue, the fifth Ritz value can converge to the sixth or seventh, with a
/// small residual, before the fifth appears: the answer is a true eigenpair, but the wrong
/// one. Two measures guard against this:
///
/// 1. **A minimum Krylov dimension** (off by default). No convergence test may end the
///    iteration before ``minimumMatvecs(wanted:)`` products (ARPACK builds
///    `ncv = max(2k + 1, 20)` vectors before its first test). Measured alone, it does not
///    prevent misses.
/// 2. **The deflation check.** Once the wanted pairs converge, the basis is compressed to its
///    Ritz vectors `Y` and continued from a fresh random start orthogonal to them, for
///    ``steps`` steps. The new directions span a Krylov space of `(I - Y Yᵀ) A (I - Y Yᵀ)`,
///    independent of the first start, and the Rayleigh-Ritz step over `Y` and them returns a new
///    Ritz value beyond the k-th reported one if the check found an eigenvalue there. Then the
///    iteration continues with it, and checks again when it has converged. A check that finds
///    nothing marks the result ``MissCheckReport/verified``.
///
/// The check's steps are the price of the guarantee; ``off`` restores the old rule (stop as
/// soon as the wanted residuals are small), which the miss-rate benchmark
/// (`hessian-bench --tasks missrate`) shows can return a wrong k-th eigenvalue.
///
/// Equivalents: ARPACK (SciPy `eigsh`) has the minimum dimension (`ncv`) but no check.
public struct MissCheck: Sendable, Hashable, Codable {
  /// The fewest Lanczos steps (block products) from the fresh start; 0 turns the check off.
  public var steps: Int
  /// The check's length relative to the steps the iteration took to converge: a check runs
  /// `max(steps, ceil(relativeSteps * s))` steps after a convergence that took `s` steps.
  /// An eigenvalue the first start missed is as hard to reach from the fresh start as the
  /// reported ones were from the first, so the check scales with them: a hard end (small
  /// eigenvalues of a wide spectrum, many steps) gets a long check.
  public var relativeSteps: Double
  /// Products before any convergence test may end the iteration; nil for the rule
  /// ``minimumMatvecs(wanted:)`` documents.
  public var minimumMatvecCount: Int?

  /// A check of `steps` steps after at least `minimumMatvecCount` products.
  ///
  /// - Precondition: `steps >= 0`, `minimumMatvecCount >= 0`.
  public init(steps: Int, relativeSteps: Double = 0.5, minimumMatvecCount: Int? = nil) {
    precondition(steps >= 0, "MissCheck steps must be >= 0, got \(steps)")
    precondition(relativeSteps >= 0, "MissCheck relativeSteps must be >= 0, got \(relativeSteps)")
    self.relativeSteps = relativeSteps
    precondition(
      (minimumMatvecCount ?? 0) >= 0,
      "MissCheck minimumMatvecCount must be >= 0, got \(minimumMatvecCount ?? 0)")
    self.steps = steps
    self.minimumMatvecCount = minimumMatvecCount
  }

  /// The default: a check of `max(10, ceil(s / 2))` steps after a convergence that took `s`
  /// steps, with no minimum Krylov dimension. Chosen by the miss-rate harness
  /// (`hessian-bench --tasks missrate`): on trained-like spectra it missed nothing in 4,000
  /// runs at the largest end (k = 1, 3, 5, 10), while a minimum dimension alone missed as often
  /// as no guard at all; checks of `0.3 s` steps were as safe there but failed to find a
  /// blind-start miss at the smallest end, where convergence takes hundreds of steps.
  public static let standard = MissCheck(steps: 10, relativeSteps: 0.5, minimumMatvecCount: 0)

  /// No check and no minimum: stop at the first convergence, as before this check existed.
  public static let off = MissCheck(steps: 0, relativeSteps: 0, minimumMatvecCount: 0)

  /// The products before a convergence test may stop: ``minimumMatvecCount``, or
  /// `max(2 wanted + 1, 20)` (ARPACK's default `ncv`) when it is nil.
  public func minimumMatvecs(wanted: Int) -> Int {
    minimumMatvecCount ?? Swift.max(2 * wanted + 1, 20)
  }
}

/// What the deflation check of ``MissCheck`` established.
public struct MissCheckReport: Sendable, Equatable, Codable {
  /// True when the last check ran all its steps, found no eigenvalue beyond the reported ones
  /// (by more than the tolerance), and every reported pair converged; also true when the basis
  /// spanned the whole space (the Ritz values are then the spectrum).
  public var verified: Bool
  /// The checks run (each after the wanted pairs had converged).
  public var checks: Int
  /// How many checks found an eigenvalue beyond the reported ones, so that the iteration went
  /// on: each is a miss that the rule without the check would have returned.
  public var found: Int
  /// The products spent inside the checks (counted in the result's `matvecCount` too).
  public var matvecCount: Int
  /// At each searched end, the Ritz value next beyond the reported ones when the solver
  /// stopped: the largest eigenvalue the check saw below the k-th largest (for
  /// ``SpectrumEnd/largest``), above the k-th smallest (``SpectrumEnd/smallest``), both (for
  /// ``SpectrumEnd/bothEnds``: the smallest end first), or next in magnitude. It is a lower
  /// bound (in the searched direction) of the `(k+1)`-th eigenvalue; empty when the basis had
  /// no Ritz value left.
  public var nextRitzValues: [Double]

  /// A report.
  public init(
    verified: Bool, checks: Int, found: Int, matvecCount: Int, nextRitzValues: [Double]
  ) {
    self.verified = verified
    self.checks = checks
    self.found = found
    self.matvecCount = matvecCount
    self.nextRitzValues = nextRitzValues
  }
}

/// The state of the deflation check inside the Lanczos loop.
struct MissAudit {
  enum Phase: Equatable {
    /// Iterating towards convergence (before the first check or after a check found one).
    case iterating
    /// Inside a check, with the steps left.
    case checking
    /// The check just found an eigenvalue beyond the reported ones: the solver starts again
    /// from the wanted Ritz vectors, then iterates.
    case found
    /// The last check found nothing.
    case passed
  }

  let which: SpectrumEnd
  let count: Int
  let tolerance: Double
  let steps: Int
  let relativeSteps: Double
  private(set) var phase = Phase.iterating
  private var reference: [Double] = []
  private var stepsLeft = 0
  private var checkStart = 0
  private(set) var checks = 0
  private(set) var found = 0
  private var checkMatvecs = 0
  private var spannedSpace = false
  /// Checks after which the solver stops even if the last one found an eigenvalue.
  static let maximumChecks = 16

  init(which: SpectrumEnd, count: Int, tolerance: Double, check: MissCheck) {
    self.which = which
    self.count = count
    self.tolerance = tolerance
    steps = check.steps
    relativeSteps = check.relativeSteps
  }

  /// Whether a converged iteration should start a check before it stops.
  var wantsCheck: Bool { steps > 0 && checks < Self.maximumChecks }

  /// Starts a check whose reported values are `reference` (in ``RitzSelection`` order), after
  /// an iteration of `iterationSteps` steps since the start or the previous check.
  mutating func begin(reference: [Double], matvecCount: Int, iterationSteps: Int) {
    self.reference = reference
    phase = .checking
    stepsLeft = Swift.max(steps, Int((relativeSteps * Double(iterationSteps)).rounded(.up)))
    checkStart = matvecCount
    checks += 1
  }

  /// The basis spans the whole space: nothing can be missed.
  mutating func exhausted() { spannedSpace = true }

  /// Called after each step with the ascending Ritz values: inside a check, ends it when a new
  /// value lies beyond the reported ones (``Phase/found``, once; then ``Phase/iterating``) or
  /// when its steps are spent (``Phase/passed``).
  mutating func observe(_ values: [Double], matvecCount: Int) -> Phase {
    guard phase == .checking else { return phase }
    if beyondReference(values) {
      found += 1
      checkMatvecs += matvecCount - checkStart
      phase = .iterating
      return .found
    }
    stepsLeft -= 1
    if stepsLeft == 0 {
      phase = .passed
      checkMatvecs += matvecCount - checkStart
    }
    return phase
  }

  /// True when more Ritz values than before lie beyond the k-th reported value by more than the
  /// tolerance, at either searched end.
  func beyondReference(_ values: [Double]) -> Bool {
    switch which {
    case .largest: return newBeyond(values, reference, sign: 1)
    case .smallest: return newBeyond(values, reference, sign: -1)
    case .bothEnds:
      return newBeyond(values, Array(reference.prefix(count)), sign: -1)
        || newBeyond(values, Array(reference.suffix(count)), sign: 1)
    case .largestMagnitude:
      return newBeyond(values.map { Swift.abs($0) }, reference.map { Swift.abs($0) }, sign: 1)
    }
  }

  /// With `sign` +1 the upper end: counts the values above `edge + tolerance |edge|`, where
  /// `edge` is the reported value nearest the interior, now and in the reference.
  private func newBeyond(_ values: [Double], _ reported: [Double], sign: Double) -> Bool {
    guard let edge = reported.map({ sign * $0 }).min() else { return false }
    let threshold = edge + tolerance * Swift.abs(edge)
    let before = reported.filter { sign * $0 > threshold }.count
    let now = values.filter { sign * $0 > threshold }.count
    return now > before
  }

  /// The report, from the final ascending Ritz values.
  func report(allConverged: Bool, ritzValues values: [Double], matvecCount: Int)
    -> MissCheckReport?
  {
    guard steps > 0 || spannedSpace else { return nil }
    let p = values.count
    var next: [Double] = []
    switch which {
    case .largest: if p > count { next = [values[p - count - 1]] }
    case .smallest: if p > count { next = [values[count]] }
    case .bothEnds: if p > 2 * count { next = [values[count], values[p - count - 1]] }
    case .largestMagnitude:
      let order = RitzSelection.byMagnitude(values)
      if p > count { next = [values[order[count]]] }
    }
    return MissCheckReport(
      verified: allConverged && (spannedSpace || phase == .passed), checks: checks, found: found,
      matvecCount: checkMatvecs + (phase == .checking ? matvecCount - checkStart : 0),
      nextRitzValues: next)
  }
}
