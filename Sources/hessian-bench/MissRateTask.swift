// The miss-rate harness: how often an eigensolver returns a wrong k-th eigenvalue that it
// calls converged, on operators shaped like trained networks' Hessians (a few outliers 2-10%
// apart over a slowly decaying tail and a bulk of both signs; _TestSupport's
// trainedLikeSpectrum) with random eigenvectors. Each seed draws new eigenvectors and a new
// random start. Per configuration (k, end, solver) it reports the miss rate, the silent misses
// (all pairs flagged converged), the k-th eigenvalue's relative error, and the products
// (mean and max). Solvers:
//   default   MissCheck.standard (minimum Krylov dimension and the deflation check)
//   off       MissCheck.off: stop as soon as the k wanted residuals are small (the old rule)
//   minimum   the minimum Krylov dimension alone (no check)
//   check     the check alone (no minimum)
//   checkS-minM[-relR]  a check of at least S steps (R times the iteration's steps, default
//             0.5) after at least M products
// SciPy eigsh on the same spectra: bench/missrate_eigsh.py.

import Dispatch
import Foundation
import MatrixFree
import TensorCore
import _TestSupport

struct MissRateConfiguration {
  var dimension = 10_000
  var seeds = 1000
  var counts = [1, 3, 5, 10]
  var ends: [SpectrumEnd] = [.largest, .smallest]
  var solvers = ["default", "off"]
  var tolerance = 1e-3
  var shapes = ["slope", "cliff"]
}

/// The spectra of the harness: `slope`, outliers over a tail that starts at 0.9 of the last
/// outlier and decays slowly; `cliff`, outliers well above a tail that starts at half the last
/// one and decays fast (fast convergence, the case where stopping early is tempting).
func harnessSpectrum(_ shape: String, dimension: Int) -> [Double]? {
  switch shape {
  case "slope": return trainedLikeSpectrum(dimension: dimension)
  case "cliff":
    return trainedLikeSpectrum(dimension: dimension, tailStart: 0.5, tailExponent: 2)
  default: return nil
  }
}

func missCheck(named name: String) -> MissCheck? {
  switch name {
  case "default": return .standard
  case "off": return .off
  case "minimum": return MissCheck(steps: 0)
  case "check": return MissCheck(steps: MissCheck.standard.steps, minimumMatvecCount: 0)
  default:
    // checkS-minM[-relR]: at least S check steps (R times the iteration's, default 0.5)
    // after at least M products.
    let parts = name.split(separator: "-")
    guard parts.count == 2 || parts.count == 3, parts[0].hasPrefix("check"),
      parts[1].hasPrefix("min"), let s = Int(parts[0].dropFirst(5)),
      let m = Int(parts[1].dropFirst(3))
    else { return nil }
    var relative = MissCheck.standard.relativeSteps
    if parts.count == 3 {
      guard parts[2].hasPrefix("rel"), let r = Double(parts[2].dropFirst(3)) else { return nil }
      relative = r
    }
    return MissCheck(steps: s, relativeSteps: relative, minimumMatvecCount: m)
  }
}

/// Runs every configuration and returns the JSON fields `missrate_<end>_k<k>_<solver>_*`;
/// prints the table on stderr as it goes.
func missRateReport(_ configuration: MissRateConfiguration) throws -> [String: Any] {
  var report: [String: Any] = [
    "missrate_dimension": configuration.dimension, "missrate_seeds": configuration.seeds,
  ]
  func line(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
  func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
  }
  for shape in configuration.shapes {
    guard let spectrum = harnessSpectrum(shape, dimension: configuration.dimension) else {
      throw MissRateError(message: "unknown missrate shape '\(shape)'")
    }
    line(
      "\(shape): n = \(configuration.dimension), \(configuration.seeds) seeds, tolerance "
        + "\(configuration.tolerance); top: "
        + "\(spectrum.prefix(6).map { String(format: "%.4f", $0) }), bottom: "
        + "\(spectrum.suffix(6).reversed().map { String(format: "%.6f", $0) })")
    line(
      "end       k  solver          misses  silent  unconv  verified  kth err max  kth err med  "
        + "HVPs mean   max")
    for end in configuration.ends {
      for k in configuration.counts {
        for solver in configuration.solvers {
          guard let check = missCheck(named: solver) else {
            throw MissRateError(message: "unknown missrate solver '\(solver)'")
          }
          let outcome = try runSeeds(configuration, spectrum, end, k, check)
          let errors = outcome.kthErrors.sorted()
          let key = "missrate_\(shape)_\(end.rawValue)_k\(k)_\(solver)"
          report[key + "_misses"] = outcome.misses
          report[key + "_silent"] = outcome.silentMisses
          report[key + "_unconverged"] = outcome.unconverged
          report[key + "_verified"] = outcome.verified
          report[key + "_kth_error_max"] = errors.last ?? 0
          report[key + "_hvps_mean"] = outcome.meanMatvecs
          report[key + "_hvps_max"] = outcome.matvecCounts.max() ?? 0
          line(
            pad(end.rawValue, 8) + String(format: " %2d  ", k) + pad(solver, 14)
              + String(
                format: "%6d  %6d  %6d  %8d  %11.2e  %11.2e  %9.1f  %4d", outcome.misses,
                outcome.silentMisses, outcome.unconverged, outcome.verified, errors.last ?? 0,
                errors.isEmpty ? 0 : errors[errors.count / 2], outcome.meanMatvecs,
                outcome.matvecCounts.max() ?? 0))
        }
      }
    }
  }
  return report
}

struct MissRateError: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}

private func runSeeds(
  _ configuration: MissRateConfiguration, _ spectrum: [Double], _ end: SpectrumEnd, _ k: Int,
  _ check: MissCheck
) throws -> MissRateOutcome {
  let workers = Swift.max(1, Parallelism.threadCount)
  let box = WorkerResults(workers)
  DispatchQueue.concurrentPerform(iterations: workers) { worker in
    var local = MissRateOutcome()
    for seed in stride(from: worker, to: configuration.seeds, by: workers) {
      do {
        let a = PrescribedSpectrumOperator<Double>(eigenvalues: spectrum, seed: UInt64(seed))
        var generator = SeededGenerator(seed: UInt64(seed) &+ 1_000_003)
        let result = try eigenpairs(
          of: a, count: k, which: end, tolerance: configuration.tolerance, maxMatvecs: 3000,
          missCheck: check, using: &generator)
        local.record(result, spectrum: spectrum, tolerance: configuration.tolerance)
      } catch {
        box.failures[worker] = error
        return
      }
    }
    box.outcomes[worker] = local
  }
  var outcome = MissRateOutcome()
  for local in box.outcomes {
    outcome.runs += local.runs
    outcome.misses += local.misses
    outcome.silentMisses += local.silentMisses
    outcome.unconverged += local.unconverged
    outcome.verified += local.verified
    outcome.matvecCounts += local.matvecCounts
    outcome.kthErrors += local.kthErrors
  }
  let failure = box.failures.compactMap { $0 }.first
  if let failure { throw failure }
  return outcome
}

/// One slot per worker, each written by its worker only (separate allocations: no two workers
/// touch the same array).
private final class WorkerResults: @unchecked Sendable {
  let outcomes: UnsafeMutableBufferPointer<MissRateOutcome>
  let failures: UnsafeMutableBufferPointer<(any Error)?>
  init(_ workers: Int) {
    outcomes = .allocate(capacity: workers)
    outcomes.initialize(repeating: MissRateOutcome())
    failures = .allocate(capacity: workers)
    failures.initialize(repeating: nil)
  }
  deinit {
    outcomes.deinitialize()
    outcomes.deallocate()
    failures.deinitialize()
    failures.deallocate()
  }
}
