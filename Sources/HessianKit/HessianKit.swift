// One import for the whole library: `import HessianKit` re-exports every public module, so a
// package that depends on the HessianKit product needs no other import.

@_exported import Autodiff
@_exported import HessianAnalysis
@_exported import MatrixFree
@_exported import NeuralNetworks
@_exported import ONNXImport
@_exported import Plots
@_exported import TensorCore
@_exported import TensorIO
