// The command's own errors: one line that says what is wrong and where. Library errors
// (TensorIOError, HessianAnalysisError, StateDictMismatch, ...) already read that way and are
// passed through unchanged; ArgumentParser prints "Error: <description>" and exits with 1.

/// A problem with the user's input that the libraries cannot name by themselves.
struct CLIError: Error, CustomStringConvertible {
  /// The whole message, one line.
  let description: String

  init(_ description: String) { self.description = description }
}
