import Foundation
import Testing

@testable import Plots

@Suite("Marching squares")
struct MarchingSquaresTests {
  static let axis = (0...80).map { -2 + Double($0) * 0.05 }
  static let paraboloid = axis.map { x in axis.map { y in x * x + y * y } }

  @Test(
    "contours of a paraboloid are closed circles of radius sqrt(level)", arguments: [0.5, 1.0, 1.5])
  func circles(radius: Double) {
    let lines = MarchingSquares.contours(
      x: Self.axis, y: Self.axis, z: Self.paraboloid, level: radius * radius)
    #expect(lines.count == 1)
    let circle = lines[0]
    #expect(circle.first == circle.last, "closed")
    #expect(circle.count > Int(2 * Double.pi * radius / 0.05))
    let distances = circle.map { ($0.x * $0.x + $0.y * $0.y).squareRoot() }
    #expect(
      distances.allSatisfy { abs($0 - radius) < 1e-3 },
      "max error \(distances.map { abs($0 - radius) }.max()!)")
    // The points go around once: the angle covers the full turn.
    let angles = Set(circle.map { Int((atan2($0.y, $0.x) + Double.pi) / (2 * Double.pi) * 8) % 8 })
    #expect(angles.count == 8)
  }

  @Test("the error shrinks with the grid spacing (linear interpolation is second order)")
  func convergence() {
    func maxError(_ n: Int) -> Double {
      let axis = (0...n).map { -2 + 4 * Double($0) / Double(n) }
      let z = axis.map { x in axis.map { y in x * x + y * y } }
      let line = MarchingSquares.contours(x: axis, y: axis, z: z, level: 1)[0]
      return line.map { abs(($0.x * $0.x + $0.y * $0.y).squareRoot() - 1) }.max()!
    }
    #expect(maxError(80) < maxError(20) / 8)
  }

  @Test("z[i][j] is the value at (x[i], y[j]): a plane in x gives a vertical line")
  func orientation() {
    let x = [0.0, 0.5, 1, 2]
    let y = [0.0, 1, 3]
    let z = x.map { xi in y.map { _ in xi } }
    let lines = MarchingSquares.contours(x: x, y: y, z: z, level: 0.75)
    #expect(lines.count == 1)
    #expect(lines[0].allSatisfy { abs($0.x - 0.75) < 1e-12 })
    #expect(Set(lines[0].map(\.y)) == [0, 1, 3])
  }

  @Test("the documented two-by-two example")
  func smallExample() {
    let lines = MarchingSquares.contours(x: [0, 1], y: [0, 1], z: [[0, 1], [1, 2]], level: 1.5)
    #expect(lines == [[.init(x: 1, y: 0.5), .init(x: 0.5, y: 1)]])
  }

  @Test("saddle cells: the centre value decides which corners connect")
  func saddle() {
    // z(0,0) = z(1,1) = 1, z(1,0) = z(0,1) = -1.
    let z: [[Double]] = [[1, -1], [-1, 1]]
    func endpoints(_ level: Double) -> Set<[Double]> {
      Set(
        MarchingSquares.contours(x: [0, 1], y: [0, 1], z: z, level: level).map { line in
          line.flatMap { [$0.x, $0.y] }.sorted()
        })
    }
    // Centre (0) on the high side of level 0: the high corners connect, the low ones are cut off.
    #expect(
      endpoints(0) == [[0, 0.5, 0.5, 1], [0, 0.5, 0.5, 1]].reduce(into: Set()) { $0.insert($1) })
    let low = MarchingSquares.contours(x: [0, 1], y: [0, 1], z: z, level: 0)
    #expect(low.count == 2)
    #expect(
      low.contains { line in line.allSatisfy { ($0.x - 1) * ($0.x - 1) + $0.y * $0.y < 0.3 } })
    // Centre (0) below level 0.5: the high corners (0,0) and (1,1) are cut off instead.
    let high = MarchingSquares.contours(x: [0, 1], y: [0, 1], z: z, level: 0.5)
    #expect(high.count == 2)
    #expect(high.contains { line in line.allSatisfy { $0.x * $0.x + $0.y * $0.y < 0.1 } })
    #expect(
      high.contains { line in
        line.allSatisfy { ($0.x - 1) * ($0.x - 1) + ($0.y - 1) * ($0.y - 1) < 0.1 }
      })
  }

  @Test("two separate branches of a hyperbola stay two open lines")
  func hyperbola() {
    let axis = [-1.0, 0, 1]
    let z = axis.map { x in axis.map { y in x * y + 0.1 } }
    let lines = MarchingSquares.contours(x: axis, y: axis, z: z, level: 0)
    #expect(lines.count == 2)
    #expect(lines.allSatisfy { $0.first != $0.last })
  }

  @Test("levels outside the data and degenerate grids give no lines")
  func nothing() {
    #expect(
      MarchingSquares.contours(x: Self.axis, y: Self.axis, z: Self.paraboloid, level: 100).isEmpty)
    #expect(
      MarchingSquares.contours(x: Self.axis, y: Self.axis, z: Self.paraboloid, level: -1).isEmpty)
    #expect(
      MarchingSquares.contours(x: Self.axis, y: Self.axis, z: Self.paraboloid, level: .nan).isEmpty)
    #expect(MarchingSquares.contours(x: [1], y: [1, 2], z: [[1, 2]], level: 1.5).isEmpty)
  }

  @Test("a NaN hole opens the contour around it instead of breaking it")
  func hole() {
    var z = Self.paraboloid
    // Knock out the grid point nearest (1, 0), on the circle of radius 1.
    z[60][40] = .nan
    let lines = MarchingSquares.contours(x: Self.axis, y: Self.axis, z: z, level: 1)
    #expect(lines.count == 1)
    #expect(lines[0].first != lines[0].last)
    #expect(lines[0].allSatisfy { abs(($0.x * $0.x + $0.y * $0.y).squareRoot() - 1) < 1e-3 })
  }
}
