// Progress on stderr: what is being computed, how much is done, the current estimate, and the
// elapsed and remaining time. On a terminal one line is redrawn in place; otherwise plain lines
// are printed (at most every few seconds); with --quiet nothing at all.

import Dispatch
import Foundation
import HessianAnalysis
import MatrixFree
import TensorCore

/// Reports the progress of a run's phases on standard error.
final class Progress: @unchecked Sendable {
  private let enabled: Bool
  private let isTerminal: Bool
  private let lock = NSLock()
  private var task = ""
  private var total: Int?
  private var budget: Int?
  private var unit = "HVPs"
  private var done = 0
  private var estimate: String?
  private var phaseStart = DispatchTime.now()
  private var lastDraw: UInt64 = 0

  /// Progress for a run; `quiet` silences it.
  init(quiet: Bool) {
    enabled = !quiet
    isTerminal = isatty(STDERR_FILENO) == 1
  }

  /// Starts a phase: `task` says what is computed; `total` is how many `unit`s it needs (the
  /// remaining time is then shown), `budget` how many it may use at most (an iterative method
  /// that stops when converged).
  func begin(_ task: String, total: Int? = nil, budget: Int? = nil, unit: String = "HVPs") {
    lock.withLock {
      self.task = task
      self.total = total
      self.budget = budget
      self.unit = unit
      done = 0
      estimate = nil
      phaseStart = .now()
      lastDraw = 0
      draw(force: true)
    }
  }

  /// Records that `done` units are finished, with the current estimate if there is one, and
  /// the expected total when the method can predict it.
  func update(done: Int, estimate: String? = nil, expectedTotal: Int? = nil) {
    lock.withLock {
      self.done = done
      if let estimate { self.estimate = estimate }
      if let expectedTotal { self.total = expectedTotal }
      draw(force: false)
    }
  }

  /// Shows `estimate` without changing the count (when an ``ObservedOperator`` counts the
  /// products and the method reports its estimates).
  func show(estimate: String) {
    lock.withLock {
      self.estimate = estimate
      draw(force: false)
    }
  }

  /// Adds `count` finished units.
  func advance(by count: Int) {
    lock.withLock {
      done += count
      draw(force: false)
    }
  }

  /// Ends the phase with a summary line.
  func end(_ summary: String) {
    lock.withLock {
      emit("\(summary) (\(Self.duration(elapsed)))", final: true)
    }
  }

  /// A plain message line.
  func note(_ message: String) {
    lock.withLock { emit(message, final: true) }
  }

  private var elapsed: Double {
    Double(DispatchTime.now().uptimeNanoseconds - phaseStart.uptimeNanoseconds) / 1e9
  }

  private func draw(force: Bool) {
    guard enabled else { return }
    let now = DispatchTime.now().uptimeNanoseconds
    let interval: UInt64 = isTerminal ? 100_000_000 : 5_000_000_000
    guard force || now - lastDraw >= interval else { return }
    lastDraw = now
    var parts = [task]
    if let total {
      parts.append("\(done)/\(total) \(unit)")
    } else if let budget {
      parts.append("\(done) of at most \(budget) \(unit)")
    } else if done > 0 {
      parts.append("\(done) \(unit)")
    }
    let seconds = elapsed
    var time = "\(Self.duration(seconds))"
    if let total, done > 0, done < total {
      let remaining = seconds / Double(done) * Double(total - done)
      time += ", about \(Self.duration(remaining)) left"
    }
    parts.append(time)
    if let estimate { parts.append(estimate) }
    emit(parts.joined(separator: " · "), final: false)
  }

  private func emit(_ line: String, final: Bool) {
    guard enabled else { return }
    if isTerminal {
      // A line wider than the terminal would wrap, and "\r" only returns to the last row.
      let shown = final ? line : String(line.prefix(Swift.max(20, Self.terminalWidth() - 1)))
      let text = "\r\u{1B}[2K" + shown + (final ? "\n" : "")
      FileHandle.standardError.write(Data(text.utf8))
    } else {
      FileHandle.standardError.write(Data((line + "\n").utf8))
    }
  }

  /// The width of the terminal on stderr, 80 if unknown.
  static func terminalWidth() -> Int {
    var size = winsize()
    guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
    return Int(size.ws_col)
  }

  /// `0.4 s`, `12 s`, `3 min 05 s`.
  static func duration(_ seconds: Double) -> String {
    if seconds < 10 { return String(format: "%.1f s", seconds) }
    if seconds < 120 { return String(format: "%.0f s", seconds) }
    let whole = Int(seconds.rounded())
    return String(format: "%d min %02d s", whole / 60, whole % 60)
  }
}

extension Progress {
  /// Shows a trace estimator's running estimate, its standard error and the products it
  /// expects to need.
  var traceReporter: (ProgressReport) -> Void {
    { report in
      self.update(
        done: report.matvecCount, estimate: Self.traceEstimate(report),
        expectedTotal: report.expectedMatvecCount)
    }
  }

  /// Shows an eigensolver's current Ritz values and its largest relative residual.
  var eigenReporter: (ProgressReport) -> Void {
    { report in self.update(done: report.matvecCount, estimate: Self.eigenEstimate(report)) }
  }

  /// Shows a trace estimator's running estimate only, when an ``ObservedOperator`` counts the
  /// products (a phase that runs more than one method on the same operator).
  var traceEstimateReporter: (ProgressReport) -> Void {
    { report in self.show(estimate: Self.traceEstimate(report)) }
  }

  /// Shows an eigensolver's Ritz values only, when an ``ObservedOperator`` counts the products.
  var eigenEstimateReporter: (ProgressReport) -> Void {
    { report in self.show(estimate: Self.eigenEstimate(report)) }
  }

  /// `trace ≈ 12.3 ± 0.4`.
  static func traceEstimate(_ report: ProgressReport) -> String {
    let value = report.values.first.map(format) ?? "?"
    let error = report.standardError.map { " ± " + format($0) } ?? ""
    return "trace ≈ \(value)\(error)"
  }

  /// `λ ≈ 6.02, 4.17, residual 0.003`.
  static func eigenEstimate(_ report: ProgressReport) -> String {
    let values = report.values.prefix(3).map(format).joined(separator: ", ")
    let residual = report.relativeResidual.map { ", residual " + format($0) } ?? ""
    return "λ ≈ \(values)\(residual)"
  }
}

/// An operator that reports each product to a ``Progress``: the HVPs done in the current phase.
struct ObservedOperator<Base: LinearOperator>: LinearOperator {
  typealias Scalar = Base.Scalar
  let base: Base
  let progress: Progress

  var dimension: Int { base.dimension }

  func apply(_ block: Tensor<Scalar>) throws -> Tensor<Scalar> {
    let result = try base.apply(block)
    progress.advance(by: block.shape[0])
    return result
  }
}

extension ObservedOperator: Sendable where Base: Sendable {}

/// An observed curvature operator keeps its labels, so the library's per-operator summaries
/// (which name their results after the scope and segments) accept it.
extension ObservedOperator: CurvatureOperator where Base: CurvatureOperator {
  var segments: [VectorSegment] { base.segments }
  var scope: CurvatureScope { base.scope }
  var method: DifferentiationMethod { base.method }
  var hvpCount: Int { base.hvpCount }
  var primalCacheBytes: Int { base.primalCacheBytes }
  func releasePrimalCache() { base.releasePrimalCache() }
}
