// Strided convolutions unfolded through polyphase planes.
//
// With stride s, output (oh, ow) of kernel offset (ki, kj) reads input row oh * s + e, where
// e = ki * d - p. Writing e = a * s + r (0 <= r < s), that is row oh + a of the phase plane
// P_r[h] = x[h * s + r] (likewise for columns). So each channel is split once into its
// s_h * s_w phase planes, and every row of im2col becomes a shifted copy of one plane:
// contiguous copies instead of a strided gather per element (a scalar loop that took most of
// a stride-2 convolution's tangent kernels outside the GEMM). col2im adds each row into its
// plane and interleaves the planes back into the image once.

/// The phase planes of one channel for a strided window: `strideHeight * strideWidth` planes of
/// `rows * columns`, plane `(r, c)` holding `x[h * sh + r, w * sw + c]` (zero past the image).
@usableFromInline
struct PolyphaseLayout: Sendable {
  @usableFromInline let geometry: Convolution2DGeometry
  @usableFromInline let height: Int, width: Int, rows: Int, columns: Int
  /// Bit `r * sw + c` is set when some kernel offset reads plane `(r, c)`.
  @usableFromInline let usedPlanes: UInt64

  /// The layout for `geometry` on `height x width` channels, or nil for stride 1 (nothing to
  /// split) and for more than 64 phases.
  @inlinable
  init?(geometry g: Convolution2DGeometry, height: Int, width: Int) {
    let (sh, sw) = (g.strideHeight, g.strideWidth)
    guard sh * sw > 1 && sh * sw <= 64 else { return nil }
    geometry = g
    (self.height, self.width) = (height, width)
    (rows, columns) = ((height + sh - 1) / sh, (width + sw - 1) / sw)
    var used: UInt64 = 0
    for ki in 0..<g.kernelHeight {
      for kj in 0..<g.kernelWidth {
        let (r, c) = (Self.phase(ki, along: 0, of: g).phase, Self.phase(kj, along: 1, of: g).phase)
        used |= 1 << UInt64(r * sw + c)
      }
    }
    usedPlanes = used
  }

  /// The elements of all planes.
  @inlinable var planesSize: Int { geometry.strideHeight * geometry.strideWidth * planeSize }
  @inlinable var planeSize: Int { rows * columns }

  /// Kernel offset `index` along `axis` (0 rows, 1 columns) as (phase, shift): its input
  /// coordinate `o * s + index * d - p` is `(o + shift) * s + phase`.
  @inlinable
  static func phase(_ index: Int, along axis: Int, of g: Convolution2DGeometry) -> (
    phase: Int, shift: Int
  ) {
    let (s, e) =
      axis == 0
      ? (g.strideHeight, index * g.dilationHeight - g.paddingHeight)
      : (g.strideWidth, index * g.dilationWidth - g.paddingWidth)
    let shift = e >= 0 ? e / s : -((-e + s - 1) / s)
    return (e - shift * s, shift)
  }

  @inlinable
  func isUsed(_ plane: Int) -> Bool { usedPlanes & (1 << UInt64(plane)) != 0 }
}

extension Tensor {
  /// ``im2col(_:channels:height:width:geometry:outHeight:outWidth:into:)`` for strided windows,
  /// through the phase planes of each channel (see the file comment).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func im2colPolyphase(
    _ image: UnsafePointer<Scalar>, channels: Int, layout: PolyphaseLayout, outHeight: Int,
    outWidth: Int, into col: UnsafeMutablePointer<Scalar>
  ) {
    let g = layout.geometry
    let plane = outHeight * outWidth
    withUnsafeTemporaryAllocation(of: Scalar.self, capacity: layout.planesSize) { buffer in
      let planes = buffer.baseAddress!
      var row = 0
      for c in 0..<channels {
        splitPhases(image + c * layout.height * layout.width, layout: layout, into: planes)
        for ki in 0..<g.kernelHeight {
          let (r, a) = PolyphaseLayout.phase(ki, along: 0, of: g)
          for kj in 0..<g.kernelWidth {
            let (q, b) = PolyphaseLayout.phase(kj, along: 1, of: g)
            shiftedPlaneCopy(
              UnsafePointer(planes + (r * g.strideWidth + q) * layout.planeSize),
              layout: layout, shift: (a, b), into: col + row * plane, outHeight: outHeight,
              outWidth: outWidth)
            row += 1
          }
        }
      }
    }
  }

  /// ``col2imAccumulate(_:channels:height:width:geometry:outHeight:outWidth:into:)`` for strided
  /// windows: each row is added into its phase plane, and the planes into the image.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func col2imPolyphaseAccumulate(
    _ col: UnsafePointer<Scalar>, channels: Int, layout: PolyphaseLayout, outHeight: Int,
    outWidth: Int, into image: UnsafeMutablePointer<Scalar>
  ) {
    let g = layout.geometry
    let plane = outHeight * outWidth
    let (rows, columns) = (layout.rows, layout.columns)
    withUnsafeTemporaryAllocation(of: Scalar.self, capacity: layout.planesSize) { buffer in
      let planes = buffer.baseAddress!
      var row = 0
      for c in 0..<channels {
        planes.update(repeating: 0, count: layout.planesSize)
        for ki in 0..<g.kernelHeight {
          let (r, a) = PolyphaseLayout.phase(ki, along: 0, of: g)
          let (rLo, rHi) = (Swift.max(0, -a), Swift.min(outHeight, rows - a))
          for kj in 0..<g.kernelWidth {
            let (q, b) = PolyphaseLayout.phase(kj, along: 1, of: g)
            let (cLo, cHi) = (Swift.max(0, -b), Swift.min(outWidth, columns - b))
            let target = planes + (r * g.strideWidth + q) * layout.planeSize
            let source = col + row * plane
            if cHi > cLo {
              for oh in rLo..<Swift.max(rLo, rHi) {
                let (t, s) = (target + (oh + a) * columns + b, source + oh * outWidth)
                for ow in cLo..<cHi { t[ow] += s[ow] }
              }
            }
            row += 1
          }
        }
        mergePhases(planes, layout: layout, into: image + c * layout.height * layout.width)
      }
    }
  }

  /// Writes the used phase planes of one channel `[H, W]` (zero past its edge).
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func splitPhases(
    _ channel: UnsafePointer<Scalar>, layout: PolyphaseLayout,
    into planes: UnsafeMutablePointer<Scalar>
  ) {
    let (sh, sw) = (layout.geometry.strideHeight, layout.geometry.strideWidth)
    let (rows, columns, width) = (layout.rows, layout.columns, layout.width)
    for r in 0..<sh {
      for q in 0..<sw where layout.isUsed(r * sw + q) {
        let plane = planes + (r * sw + q) * layout.planeSize
        let count = (width - q + sw - 1) / sw  // columns q, q + sw, ... inside the image
        for h in 0..<rows {
          let target = plane + h * columns
          let y = h * sh + r
          guard y < layout.height else {
            target.update(repeating: 0, count: columns)
            continue
          }
          var source = channel + y * width + q
          for w in 0..<count {
            target[w] = source.pointee
            source += sw
          }
          if count < columns { (target + count).update(repeating: 0, count: columns - count) }
        }
      }
    }
  }

  /// Adds the used phase planes back into one channel `[H, W]`: the adjoint of
  /// ``splitPhases(_:layout:into:)``.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func mergePhases(
    _ planes: UnsafePointer<Scalar>, layout: PolyphaseLayout,
    into channel: UnsafeMutablePointer<Scalar>
  ) {
    let (sh, sw) = (layout.geometry.strideHeight, layout.geometry.strideWidth)
    let (rows, columns, width) = (layout.rows, layout.columns, layout.width)
    for r in 0..<sh {
      for q in 0..<sw where layout.isUsed(r * sw + q) {
        let plane = planes + (r * sw + q) * layout.planeSize
        let count = (width - q + sw - 1) / sw
        for h in 0..<rows where h * sh + r < layout.height {
          let source = plane + h * columns
          var target = channel + (h * sh + r) * width + q
          for w in 0..<count {
            target.pointee += source[w]
            target += sw
          }
        }
      }
    }
  }

  /// Writes `out[oh, ow] = plane[oh + a, ow + b]` (zero outside the plane) for an
  /// `outHeight x outWidth` block, with `(a, b) = shift`.
  @_specialize(where Scalar == Float)
  @_specialize(where Scalar == Double)
  @inlinable
  static func shiftedPlaneCopy(
    _ plane: UnsafePointer<Scalar>, layout: PolyphaseLayout, shift: (Int, Int),
    into out: UnsafeMutablePointer<Scalar>, outHeight: Int, outWidth: Int
  ) {
    let (rows, columns) = (layout.rows, layout.columns)
    let (a, b) = shift
    let (rLo, rHi) = (Swift.max(0, -a), Swift.min(outHeight, rows - a))
    let (cLo, cHi) = (Swift.max(0, -b), Swift.min(outWidth, columns - b))
    guard rHi > rLo && cHi > cLo else {
      out.update(repeating: 0, count: outHeight * outWidth)
      return
    }
    out.update(repeating: 0, count: rLo * outWidth)
    if outWidth == columns {
      // One copy of the whole block (element (oh, ow) sits at the same offset from the block's
      // start in both), then the columns that wrapped across a row end are zeroed.
      let start = rLo * outWidth + cLo
      let end = (rHi - 1) * outWidth + cHi
      (out + start).update(from: plane + start + a * columns + b, count: end - start)
      for ow in 0..<outWidth where ow < cLo || ow >= cHi {
        var o = out + rLo * outWidth + ow
        for _ in rLo..<rHi {
          o.pointee = 0
          o += outWidth
        }
      }
    } else {
      for oh in rLo..<rHi {
        let o = out + oh * outWidth
        o.update(repeating: 0, count: cLo)
        (o + cLo).update(from: plane + (oh + a) * columns + b + cLo, count: cHi - cLo)
        (o + cHi).update(repeating: 0, count: outWidth - cHi)
      }
    }
    (out + rHi * outWidth).update(repeating: 0, count: (outHeight - rHi) * outWidth)
  }
}
