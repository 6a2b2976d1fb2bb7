// hessian: the curvature of a neural network from the command line. Bring a PyTorch state dict
// and data (or nothing: a built-in model is trained on built-in data), get JSON, plots and a
// report. Parsing, validation, calling the library and writing results is all this target does.

import ArgumentParser

@main
struct Hessian: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hessian",
    abstract: "Measure the curvature of a neural network: Hessian eigenvalues, trace, diagonal, "
      + "spectral density, loss landscapes and reports.",
    discussion: """
      Every subcommand takes the same model, data and analysis options. Without --model and \
      --inputs it trains a small built-in network (an MLP on three interleaved spirals) for a \
      few seconds and analyzes that, so `hessian report` works out of the box.

      Bring a PyTorch model: --model mlp --widths 784,128,10 --activation relu, or \
      --model resnet20, with --weights saved by \
      safetensors.torch.save_file(model.state_dict(), "weights.safetensors"), and --inputs / \
      --labels as .npy, .npz, .safetensors, CIFAR-10 .bin or MNIST IDX files.

      Results are JSON on stdout (or in the --json file); progress goes to stderr.

      Examples:
        hessian report --out report
        hessian eigen --top 5 --model resnet20 --weights w.safetensors \\
          --inputs x.npy --labels y.npy
        hessian trace --per-layer --json trace.json
      """,
    version: "0.1.0",
    subcommands: [
      Eigen.self, Trace.self, Diag.self, Density.self, Landscape.self, Dense.self, HVP.self,
      InputHessian.self, Report.self,
    ])

  /// Parses the arguments and runs the subcommand, after making sure OpenBLAS uses the
  /// kernels this CPU can run (BLASCore.swift), and under an MPI launcher on every rank
  /// (Distributed.swift).
  static func main() {
    BLASCore.runAgainWithNativeKernelsIfNeeded()
    Distributed.start()
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      Distributed.exit(withError: error)
    }
    Distributed.finish()
  }
}
