// Contour lines of a function sampled on a rectangular grid, by marching squares: each grid
// cell whose corners straddle the level gets a segment between the crossing points on its
// edges (found by linear interpolation), and segments that share an edge crossing are joined
// into polylines. A crossing point is computed once per grid edge, so joined segments meet
// exactly and closed contours close exactly.

/// Contour lines of gridded data.
///
/// The grid is `z[i][j]`, the value at `(x[i], y[j])`: the first index runs along x.
///
/// ```swift
/// let xs = (0...40).map { -2 + Double($0) * 0.1 }
/// let z = xs.map { x in xs.map { y in x * x + y * y } }
/// let circles = MarchingSquares.contours(x: xs, y: xs, z: z, level: 1)
/// // one closed polyline, every point about 1 from the origin
/// ```
public enum MarchingSquares {
  /// A point in data coordinates.
  public struct Point: Sendable, Equatable {
    /// The x coordinate.
    public var x: Double
    /// The y coordinate.
    public var y: Double

    /// A point.
    ///
    /// ```swift
    /// MarchingSquares.Point(x: 1, y: 0)
    /// ```
    public init(x: Double, y: Double) {
      self.x = x
      self.y = y
    }
  }

  /// The polylines along which the interpolated data equals `level`.
  ///
  /// A closed contour comes back with its first point repeated at the end; an open one ends on
  /// the grid's border or next to a missing value. Cells with a non-finite corner are skipped.
  /// A corner exactly at `level` counts as above it. In a saddle cell (diagonal corners on the
  /// same side) the average of the four corners decides which corners connect.
  ///
  /// ```swift
  /// let lines = MarchingSquares.contours(x: [0, 1], y: [0, 1], z: [[0, 1], [1, 2]], level: 1.5)
  /// // [[(1, 0.5), (0.5, 1)]]
  /// ```
  ///
  /// - Returns: polylines in a deterministic order (by the grid cell where each starts).
  /// - Precondition: `z.count == x.count` and `z[i].count == y.count` for every `i`.
  public static func contours(x: [Double], y: [Double], z: [[Double]], level: Double) -> [[Point]] {
    precondition(z.count == x.count, "z has \(z.count) rows for \(x.count) x values")
    precondition(z.allSatisfy { $0.count == y.count }, "every row of z needs \(y.count) values")
    let nx = x.count
    let ny = y.count
    guard nx >= 2, ny >= 2, level.isFinite else { return [] }

    // Edge ids: 2 (j nx + i) for the edge from (i, j) to (i+1, j); + 1 for (i, j) to (i, j+1).
    func alongX(_ i: Int, _ j: Int) -> Int { 2 * (j * nx + i) }
    func alongY(_ i: Int, _ j: Int) -> Int { 2 * (j * nx + i) + 1 }
    func crossing(_ edge: Int) -> Point {
      let node = edge / 2
      let (i, j) = (node % nx, node / nx)
      let (i2, j2) = edge % 2 == 0 ? (i + 1, j) : (i, j + 1)
      let (a, b) = (z[i][j], z[i2][j2])
      let t = (level - a) / (b - a)  // a and b lie on opposite sides, so b != a
      return Point(x: x[i] + t * (x[i2] - x[i]), y: y[j] + t * (y[j2] - y[j]))
    }

    var segments: [(Int, Int)] = []
    for j in 0..<(ny - 1) {
      for i in 0..<(nx - 1) {
        let corners = [z[i][j], z[i + 1][j], z[i + 1][j + 1], z[i][j + 1]]
        guard corners.allSatisfy(\.isFinite) else { continue }
        let above = corners.map { $0 >= level }
        // Edges in order bottom, right, top, left; edge k joins corners k and k+1.
        let edges = [alongX(i, j), alongY(i + 1, j), alongX(i, j + 1), alongY(i, j)]
        let crossed = (0..<4).filter { above[$0] != above[($0 + 1) % 4] }
        if crossed.count == 2 {
          segments.append((edges[crossed[0]], edges[crossed[1]]))
        } else if crossed.count == 4 {
          let centerAbove = corners.reduce(0, +) / 4 >= level
          if centerAbove == above[0] {
            // Corners 0 and 2 connect through the centre: cut off corners 1 and 3.
            segments.append((edges[0], edges[1]))
            segments.append((edges[2], edges[3]))
          } else {
            segments.append((edges[3], edges[0]))
            segments.append((edges[1], edges[2]))
          }
        }
      }
    }
    return join(segments).map { $0.map(crossing) }
  }

  /// Joins segments that share endpoints into chains of edge ids. Every edge is shared by at
  /// most two segments (the two cells beside it), so the chains are unambiguous.
  static func join(_ segments: [(Int, Int)]) -> [[Int]] {
    var incident: [Int: [Int]] = [:]
    for (index, segment) in segments.enumerated() {
      incident[segment.0, default: []].append(index)
      incident[segment.1, default: []].append(index)
    }
    var used = [Bool](repeating: false, count: segments.count)

    func walk(from start: Int, through first: Int) -> [Int] {
      var chain = [start]
      var edge = start
      var segment = first
      while !used[segment] {
        used[segment] = true
        let (a, b) = segments[segment]
        edge = a == edge ? b : a
        chain.append(edge)
        guard let next = incident[edge]?.first(where: { !used[$0] }) else { break }
        segment = next
      }
      return chain
    }

    var chains: [[Int]] = []
    // Open chains first start at an end (an edge crossed by one segment only) ...
    for (index, segment) in segments.enumerated() where !used[index] {
      for end in [segment.0, segment.1] where incident[end]?.count == 1 && !used[index] {
        chains.append(walk(from: end, through: index))
      }
    }
    // ... and what remains are closed loops, which come back to their first edge.
    for (index, segment) in segments.enumerated() where !used[index] {
      chains.append(walk(from: segment.0, through: index))
    }
    return chains
  }
}
