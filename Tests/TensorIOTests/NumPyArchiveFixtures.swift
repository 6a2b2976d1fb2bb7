// .npz archives written by NumPy 2.4.6 (Python 3.11.7's zipfile), embedded as base64.
//
// Python, for each archive below:
//   def savez(compress=False, **arrays):
//       b = io.BytesIO(); (np.savez_compressed if compress else np.savez)(b, **arrays)
//       return b.getvalue()
//   w = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
//   y = np.array([3, 1, 4], np.int64)
// and base64.b64encode(<the archive>).

import Foundation
import TensorCore

@testable import TensorIO

enum NumPyArchiveFixtures {
  static let w = StoredTensor(Tensor<Float>(shape: [2, 3], scalars: [0, 0.25, 0.5, 0.75, 1, 1.25]))
  static let y = StoredTensor(integers: [Int64(3), 1, 4], shape: [3])

  /// Python: `savez(w=w, y=y)` (538 bytes): local headers at 0 and 207 (each 30 bytes, the name,
  /// a 20-byte ZIP64 field), data at 55 and 262, the central directory at 414 (entries at 414
  /// and 465), the end record at 516.
  static let plain = base64Block("""
    UEsDBC0AAAAAAAAAIQAKnACk//////////8FABQAdy5ucHkBABAAmAAAAAAAAACYAAAAAAAAAJNOVU1QWQEAdgB7J2Rl
    c2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAzKSwgfSAgICAgICAgICAgICAg
    ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAAAAgD4AAAA/AABAPwAAgD8AAKA/
    UEsDBC0AAAAAAAAAIQBY4GN0//////////8FABQAeS5ucHkBABAAmAAAAAAAAACYAAAAAAAAAJNOVU1QWQEAdgB7J2Rl
    c2NyJzogJzxpOCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgzLCksIH0gICAgICAgICAgICAgICAg
    ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAwAAAAAAAAABAAAAAAAAAAQAAAAAAAAA
    UEsBAi0DLQAAAAAAAAAhAAqcAKSYAAAAmAAAAAUAAAAAAAAAAAAAAIABAAAAAHcubnB5UEsBAi0DLQAAAAAAAAAhAFjg
    Y3SYAAAAmAAAAAUAAAAAAAAAAAAAAIABzwAAAHkubnB5UEsFBgAAAAACAAIAZgAAAJ4BAAAAAA==
    """)

  /// Python: `zipfile.ZIP64_LIMIT = 100; savez(w=w, y=y)` (662 bytes): as `plain`, but the
  /// directory entries move sizes (both) and the offset (y's, 207) to ZIP64 fields, and a ZIP64
  /// end record (at 564) and locator (at 620) precede the end record (at 640).
  static let zip64 = base64Block("""
    UEsDBC0AAAAAAAAAIQAKnACk//////////8FABQAdy5ucHkBABAAmAAAAAAAAACYAAAAAAAAAJNOVU1QWQEAdgB7J2Rl
    c2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAzKSwgfSAgICAgICAgICAgICAg
    ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAAAAgD4AAAA/AABAPwAAgD8AAKA/
    UEsDBC0AAAAAAAAAIQBY4GN0//////////8FABQAeS5ucHkBABAAmAAAAAAAAACYAAAAAAAAAJNOVU1QWQEAdgB7J2Rl
    c2NyJzogJzxpOCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgzLCksIH0gICAgICAgICAgICAgICAg
    ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAwAAAAAAAAABAAAAAAAAAAQAAAAAAAAA
    UEsBAi0DLQAAAAAAAAAhAAqcAKT//////////wUAFAAAAAAAAAAAAIABAAAAAHcubnB5AQAQAJgAAAAAAAAAmAAAAAAA
    AABQSwECLQMtAAAAAAAAACEAWOBjdP//////////BQAcAAAAAAAAAAAAgAH/////eS5ucHkBABgAmAAAAAAAAACYAAAA
    AAAAAM8AAAAAAAAAUEsGBiwAAAAAAAAALQAtAAAAAAAAAAAAAgAAAAAAAAACAAAAAAAAAJYAAAAAAAAAngEAAAAAAABQ
    SwYHAAAAADQCAAAAAAAAAQAAAFBLBQYAAAAAAgACAJYAAACeAQAAAAA=
    """)

  /// Python: `a = (np.arange(1000) * 7919 % 1013).astype(np.float32) / 8`
  ///   `savez(True, a=a, labels=np.arange(10))`: deflated members, a's data at byte 55.
  static let compressed = base64Block("""
    UEsDBC0AAAAIAAAAIQApOSgX//////////8FABQAYS5ucHkBABAAIBAAAAAAAAAcCQAAAAAAAJ3Xh9ddVRUE8A2iIiKi
    IiKiRkQSMGJARERMbiIiImBEQFCkJoiIgElEpOih9yId6VV6DUXqQZAapPfee+9N/Y1/gt9ae+3vzD3vvXln7p3Zb7+V
    Vl1x4hoz1ea11chJk6euP2XkUiNGLr3B4iNHjxi5waZTpk1Zd5O1N50yaXLwZdfdeOpk+NQN191ssvWoRceMGTN6odEj
    thnx//7NVv/7u3FC9aMmVE2eUG1Wfcz4qsdh51nvohaHnQl7FzbD+gi1DmwW9YXx1R+xnj6hhp3yWvU32Fuw62CHWa+p
    /uP1s4+v9hDsbOsdXP+qfgTsDdg1/v8r7Gf6G/a+NtTwQD7XZ26rj1QHjK/hNf0q2EH6T9Xz9t40VN0HO836z95jfn0P
    +CuwK6wPUCvBHoOdOlS/2/oUtWX4q+3xfdH6cjz2s15e3WvvLkO1O2EnWW/u+mf1afg+D7vM/3+BfV+/xd7l8L093x32
    O/3Taj18n9UvwWMvfby61t7C91bYcda/tX9OfSL8adiF1nuopWEdts646jdZH6M2hM2uxuL7hPUFeOxmvaQ6H/Ye7F+w
    aDnJ/x/WR+P7GIyWFS2/oZ8Oewc2I+cPW1v/gJoXX1oWLfuO+tfV8TBaFi37ofov1Pt4zapo2c/y+u3VwvDDYLTsV1sf
    olaDvQZ7zpnfb32Gz4yWC6r98H0V9k9YtFxZPWvvNc78Xli0/JPrX9J3w/dl2BW5B2Ar6o/Ye5wzp2VFyz/qn1fb4kvL
    omXfV/+hutve5sxp2U+0/r398+ibwWnZL7XeRy0Duwm2JL63WZ+gNoPNpdbC9xnri/GIloO6OmcwrtotsGi5sesf11fA
    9ynYhbkPYd/RL7V3xLgaaFnR8lf6R9VS+NKyaNl31b+lzoXRsmjZj9TXt/9D+ijvQct+rvXOajHYqTBa9uutD1drwWZW
    c+P7sPU5eETLRdSxsDdh18Ki5c/Vu14/C74Pws7Ks+D6QnkWYa/DaFnRclX9lXy+M6dl0bI3/St5DvClZdGyH6j/RD1t
    b3fmtOynWm/jPUbkHoTTsv/Den+1Auwh2GHO/C7rk9UWsPmiP74vWHc8ouVy6k57N3OP3AGLltNc/0zOHt/nYLSsaPm9
    nJ+9o/ClZUXLTfVP5XvjS8uiZd9THxfu4TvOsww71vo39s+Rz4TTsv/dene1VF6XvWOr8812tNoANptaAl++2c7HI1ou
    oc6B8c12Ayxaruf/D+oL4PsojJYVLRfVT4a9DaNlRctf6jOpT+L7cN4LD75ZX1NHw96Mn8D4Zq2h3o63KFp2vtm2U6Pg
    B8No2flmO1itAnsJdp8z55vtdJ8ZLRdQe+PLN9uVsGg5UT1p7wXO/B5YtNza9S/qO+H7EoyWFS1/pD9g7/7O/K58H9gf
    9M+pLfF9IZ6GB9+sH6jb42/uEVp2vllT7Z9b3zCeAeObbW81ATYDNg++fLMdrzbJuajV8OWb7SI8ouVYdYW9R3kub4ZF
    y41c/5i+DL5PwmhZ0fLb+oU5s7E13JgzhcnA+ohaDF9aFi0736xvqrNgtCxadr5Z69qfDBzhPWjZ+WaTgS0ZeCKMlp1v
    NhnYkoGl5sCXbzYZOETL0epIGN9sMnCIlqurN73+LWcuAwdaVrRMBh7oO8jA4aroCksGvmDvbc6clkXLJgPry2pPfGlZ
    tOx8s36sHrf3TGdOy843ayv7k4E7wGnZ+WaTgS0ZeB9sD2fON5sMbDKw5lWb48s3mwwcouWy6lZ7J+IrA4doOcX1ZOAk
    fGXgcEnuLVgy8LrkB760rGgpA+sTamV8aVm07Hyzvqsuj3d7LmnZ+Wb92v5k4ACnZeebTQa2ZOAFsPdhfLPJwCYDK/PM
    IvjyzSYDh2iZeeYMGN9sMnCIluaZlgycD18ZOEzP/Q1LBp4Ak4EDLStaJgP/7bNmw5eWRcvONyvzzOEwWhYtO9+szDOv
    52ydOS0732wysCUD98+cA+ObTQa2ZOBzsBnOnG82GdhkYGWe2R1fvtlk4BAtM888au+JzlwGDtHSPNOSgdvhKwMHWla0
    TAbeY+8OzpyWFS1lYGWemYIvLYuWnW9W5pmb7R3wpWXnm2WeacnAdeC07HyzycCWDLwm382MwjebDGwysDLPrIQv32wy
    cIiWmWcuy/t6LmXgEC3NMy0ZuDS+MnCgZUXLZOB5MBk40LKipQyszDML4/tYruPBNyvzzGmwd+IRML5Z5pmWDJzH59Gy
    880mA1sy8Lg8VzC+2WRgSwa+B/sQvnyzycAhWmaeORTGN5sMHKJl5plXkwfOXAYOtKxomQzcF18ZONCyomUy8Bl7r3Tm
    94YjTAZW5pld8X05PoUH36zMMw/Hs5w5LTvfLPNMSwY2OC0732wysCUD74Jt4R7hm00Gtmn5rmoTfPlmk4FDtMw8c6O9
    Y/CVgUO0NM+0ZOCa+MrAgZYVLZOBV2WWNqPcknOCycDKPLM8vrQsWna+WZlnLolvei5p2flmmWdaMnBJOC0732wysCUD
    p8No2flmk4FNBlbmmQXx5ZtNBg7RMvPMKTC+2WTgEC3NMy0ZOBe+MnCgZUXLZOAxMBk4XButYMnAd3zWzPjSsmjZ+WZl
    njkERsuiZeeblXnm5cxvzpyWPb4pA1sycB84LTvfbDKwJQOfgl3szPlmk4FNBlbmmZ3x5ZtNBg7RMvPMg/Ye7Mxl4BAt
    zTMtGbg1vjJw6LlfYMnAO+zd0D1Cy4qWMrAyz2yELy2Llp1vVuaZGzJD4kvLzjfLPNOSgavDadn5ZpOBLRl4ZXzec8k3
    mwxsMrAyzyyLL99sMnCIlplnLorHjq0mA4doaZ5pycDF8ZWBw/m5Z2HJwLNhMnCgZUVLGViZZ+bHl5ZFy57fgZlnToLR
    smjZ8zvQPNOSgXP6PFp2vtnyOzAZeBSMlp1vtvwOTAa+lfvGmfPNJgOHaJl55iDfgW82GThEy8wzL9p7lzOXgcPpeW5c
    Twbuha8MHGhZ0TIZ+IS90505LStaysDKPLMjvrQsWvb8Dsw8c7+9+zhzWvb8DjTPtGTgFnBadr7Z8jswGXgbbHV8+WbL
    70AZWJlnNsCXbzYZOETLzDPX2zsnvjJwiJbmmZYMXAVfGTjQsvac8F9QSwMELQAAAAgAAAAhADwIKQ7//////////woA
    FABsYWJlbHMubnB5AQAQANAAAAAAAAAAXwAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2mhrqOgnpZfVFKUmBef
    X5SSChJ3S8wpTgWKF2ckFqQC+RqGBjqaOgq1CuQDLgYoYITSTFCaGUqzQGlWKM0GpdmhNAeU5oTSAFBLAQItAy0AAAAI
    AAAAIQApOSgXHAkAACAQAAAFAAAAAAAAAAAAAACAAQAAAABhLm5weVBLAQItAy0AAAAIAAAAIQA8CCkOXwAAANAAAAAK
    AAAAAAAAAAAAAACAAVMJAABsYWJlbHMubnB5UEsFBgAAAAACAAIAawAAAO4JAAAAAA==
    """)

  /// Python: `np.savez` to a stream that cannot seek (`class Unseekable(io.RawIOBase)` with
  /// `writable()` and `write()` only), of `w=w`: the local header's sizes and CRC are zero, with
  /// flag bit 3, and a data descriptor follows the data.
  static let streamed = base64Block("""
    UEsDBC0ACAAAAAAAIQAAAAAA//////////8FABQAdy5ucHkBABAAAAAAAAAAAAAAAAAAAAAAAJNOVU1QWQEAdgB7J2Rl
    c2NyJzogJzxmNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgyLCAzKSwgfSAgICAgICAgICAgICAg
    ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKAAAAAAAAgD4AAAA/AABAPwAAgD8AAKA/
    UEsHCAqcAKSYAAAAAAAAAJgAAAAAAAAAUEsBAi0DLQAIAAAAAAAhAAqcAKSYAAAAmAAAAAUAAAAAAAAAAAAAAIABAAAA
    AHcubnB5UEsFBgAAAAABAAEAMwAAAOcAAAAAAA==
    """)

  /// Python: `savez(**{"α": np.array([1, 2], np.uint8)})`: a UTF-8 name, flag bit 11.
  static let utf8 = base64Block("""
    UEsDBC0AAAgAAAAAIQBiAmVf//////////8GABQAzrEubnB5AQAQAIIAAAAAAAAAggAAAAAAAACTTlVNUFkBAHYAeydk
    ZXNjcic6ICd8dTEnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAg
    ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgCgECUEsBAi0DLQAACAAAAAAhAGICZV+C
    AAAAggAAAAYAAAAAAAAAAAAAAIABAAAAAM6xLm5weVBLBQYAAAAAAQABADQAAAC6AAAAAAA=
    """)

  /// Python: a hand-made archive with a comment, a directory entry, and a bzip2 member:
  ///   with zipfile.ZipFile(b, "w") as zf:
  ///       zf.comment = b"made by hand"
  ///       zf.mkdir("sub")
  ///       f = io.BytesIO(); np.save(f, np.array([7], np.int32))
  ///       zf.writestr("sub/x.npy", f.getvalue())
  ///       zf.writestr("z.npy", f.getvalue(), compress_type=zipfile.ZIP_BZIP2)
  /// Central directory entries at 358 ("sub/"), 408 ("sub/x.npy") and 463 ("z.npy").
  static let bzip2 = base64Block("""
    UEsDBBQAAAAAAAAAIQAAAAAAAAAAAAAAAAAEAAAAc3ViL1BLAwQUAAAAAAB7Y3ZdfUd5aoQAAACEAAAACQAAAHN1Yi94
    Lm5weZNOVU1QWQEAdgB7J2Rlc2NyJzogJzxpNCcsICdmb3J0cmFuX29yZGVyJzogRmFsc2UsICdzaGFwZSc6ICgxLCks
    IH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAKBwAAAFBL
    AwQuAAAADAB7Y3ZdfUd5anYAAACEAAAABQAAAHoubnB5QlpoOTFBWSZTWTw5DfcAACZfoGCQQOQkVAEDQiCvZd0KCAAg
    AFRFHpNDQBkNGgNPRoRTyj1ANPUaA00Bo9QQl4WBsWcEYAkJJB4moxGh3NbzNKAC77R2sH29qVUUfggfXg8hJpmAnZeQ
    NnkLuSKcKEgeHIb7gFBLAQIUAxQAAAAAAAAAIQAAAAAAAAAAAAAAAAAEAAAAAAAAAAAAEAD/QQAAAABzdWIvUEsBAhQD
    FAAAAAAAe2N2XX1HeWqEAAAAhAAAAAkAAAAAAAAAAAAAAIABIgAAAHN1Yi94Lm5weVBLAQIuAy4AAAAMAHtjdl19R3lq
    dgAAAIQAAAAFAAAAAAAAAAAAAACAAc0AAAB6Lm5weVBLBQYAAAAAAwADAJwAAABmAQAADABtYWRlIGJ5IGhhbmQ=
    """)
}
