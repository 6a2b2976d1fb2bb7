// Writing a ZIP archive of stored members byte for byte as Python's `zipfile` does when
// `numpy.savez` writes through `ZipFile.open(name, "w", force_zip64=True)` on a Unix system:
// every local header carries a ZIP64 extra field with both sizes (its 32-bit size fields set to
// 0xFFFFFFFF); directory entries and the end record move a value into ZIP64 fields only when
// it exceeds `zipfile.ZIP64_LIMIT` (2^31 - 1) or, for the entry count, 65,535. Timestamps are
// zipfile's default, 1980-01-01 00:00:00, and permissions rw------- (0o600).

/// A member to write: its name, and the bytes that make it up (an .npy header and the data).
struct ZipWriterMember {
  var name: String
  var parts: [[UInt8]]

  var size: Int { parts.reduce(0) { $0 + $1.count } }

  var crc32: UInt32 {
    parts.reduce(0) { crc, part in part.withUnsafeBytes { Zlib.crc32($0, continuing: crc) } }
  }

  /// The name's bytes: ASCII, or UTF-8 with flag bit 11 set, as zipfile encodes names.
  var encodedName: (bytes: [UInt8], flags: UInt16) {
    let bytes = Array(name.utf8)
    return (bytes, bytes.allSatisfy { $0 < 0x80 } ? 0 : 0x0800)
  }
}

enum ZipWriter {
  /// `zipfile.ZIP64_LIMIT`: sizes and offsets above it go to ZIP64 fields.
  static let zip64Limit = (1 << 31) - 1

  /// Passes the archive's bytes to `sink` in order.
  ///
  /// - Parameter limit: The ZIP64 threshold; tests lower it to exercise the ZIP64 records.
  static func serialize(
    _ members: [ZipWriterMember], zip64Limit limit: Int = zip64Limit,
    into sink: (UnsafeRawBufferPointer) throws -> Void
  ) rethrows {
    var directory: [UInt8] = []
    var offset = 0
    for member in members {
      let (name, flags) = member.encodedName
      let (size, crc) = (member.size, member.crc32)
      var local = Bytes()
      local.u32(0x0403_4B50)
      local.u16(45)  // version needed: 4.5, ZIP64
      local.u16(flags)
      local.u16(0)  // stored
      local.u16(0)  // time 00:00:00
      local.u16(0x21)  // date 1980-01-01
      local.u32(crc)
      local.u32(0xFFFF_FFFF)
      local.u32(0xFFFF_FFFF)
      local.u16(UInt16(name.count))
      local.u16(20)
      local.bytes += name
      local.u16(1)
      local.u16(16)
      local.u64(UInt64(size))
      local.u64(UInt64(size))
      try local.bytes.withUnsafeBytes(sink)
      for part in member.parts { try part.withUnsafeBytes(sink) }

      var zip64: [UInt64] = []
      if size > limit { zip64 += [UInt64(size), UInt64(size)] }
      if offset > limit { zip64.append(UInt64(offset)) }
      var entry = Bytes()
      entry.u32(0x0201_4B50)
      entry.u16(0x032D)  // made by: version 4.5 on Unix
      entry.u16(45)
      entry.u16(flags)
      entry.u16(0)
      entry.u16(0)
      entry.u16(0x21)
      entry.u32(crc)
      entry.u32(size > limit ? 0xFFFF_FFFF : UInt32(size))
      entry.u32(size > limit ? 0xFFFF_FFFF : UInt32(size))
      entry.u16(UInt16(name.count))
      entry.u16(zip64.isEmpty ? 0 : UInt16(4 + 8 * zip64.count))
      entry.u16(0)  // comment length
      entry.u16(0)  // disk
      entry.u16(0)  // internal attributes
      entry.u32(0o600 << 16)  // external attributes: a regular file, rw-------
      entry.u32(offset > limit ? 0xFFFF_FFFF : UInt32(offset))
      entry.bytes += name
      if !zip64.isEmpty {
        entry.u16(1)
        entry.u16(UInt16(8 * zip64.count))
        for value in zip64 { entry.u64(value) }
      }
      directory += entry.bytes
      offset += local.bytes.count + size
    }

    var end = Bytes()
    let count = members.count
    if count > 0xFFFF || offset > limit || directory.count > limit {
      end.u32(0x0606_4B50)
      end.u64(44)  // the size of the rest of the record
      end.u16(45)
      end.u16(45)
      end.u32(0)
      end.u32(0)
      end.u64(UInt64(count))
      end.u64(UInt64(count))
      end.u64(UInt64(directory.count))
      end.u64(UInt64(offset))
      end.u32(0x0706_4B50)  // locator
      end.u32(0)
      end.u64(UInt64(offset + directory.count))
      end.u32(1)
    }
    end.u32(0x0605_4B50)
    end.u16(0)
    end.u16(0)
    end.u16(UInt16(min(count, 0xFFFF)))
    end.u16(UInt16(min(count, 0xFFFF)))
    end.u32(UInt32(min(directory.count, 0xFFFF_FFFF)))
    end.u32(UInt32(min(offset, 0xFFFF_FFFF)))
    end.u16(0)  // comment length
    try directory.withUnsafeBytes(sink)
    try end.bytes.withUnsafeBytes(sink)
  }
}

/// Little-endian integers appended to a byte array.
private struct Bytes {
  var bytes: [UInt8] = []

  mutating func u16(_ value: UInt16) { append(value) }
  mutating func u32(_ value: UInt32) { append(value) }
  mutating func u64(_ value: UInt64) { append(value) }

  private mutating func append<Integer: FixedWidthInteger>(_ value: Integer) {
    for shift in stride(from: 0, to: Integer.bitWidth, by: 8) {
      bytes.append(UInt8(truncatingIfNeeded: value >> shift))
    }
  }
}
