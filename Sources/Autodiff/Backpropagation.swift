// The reverse pass: adjoints flow from an output to the leaves in reverse topological order.

import TensorCore

/// Runs the reverse pass from `output`, seeded with `seed`, and returns the adjoint of every leaf
/// reached, keyed by node identity. Adjoints are dual numbers: their tangents are the
/// directional derivatives of the gradient, i.e. Hessian-vector products.
@inlinable
func backpropagate<Scalar>(
  from output: Variable<Scalar>, seed: Dual<Scalar>
) -> [ObjectIdentifier: Dual<Scalar>] {
  guard let root = output.node else { return [:] }
  // Iterative depth-first post-order: deep graphs must not overflow the stack.
  var order: [GraphNode<Scalar>] = []
  var visited: Set<ObjectIdentifier> = [ObjectIdentifier(root)]
  var stack: [(GraphNode<Scalar>, Int)] = [(root, 0)]
  while let (node, next) = stack.last {
    if next < node.inputs.count {
      stack[stack.count - 1].1 += 1
      if let input = node.inputs[next], visited.insert(ObjectIdentifier(input)).inserted {
        stack.append((input, 0))
      }
    } else {
      order.append(node)
      stack.removeLast()
    }
  }
  var adjoints: [ObjectIdentifier: Dual<Scalar>] = [ObjectIdentifier(root): seed]
  var leaves: [ObjectIdentifier: Dual<Scalar>] = [:]
  for node in order.reversed() {
    let id = ObjectIdentifier(node)
    guard let adjoint = adjoints.removeValue(forKey: id) else { continue }
    guard let pullback = node.pullback else {
      leaves[id] = adjoint
      continue
    }
    let contributions = pullback(adjoint)
    precondition(
      contributions.count == node.inputs.count,
      "internal: pullback returned \(contributions.count) adjoints for \(node.inputs.count) inputs")
    for (input, contribution) in zip(node.inputs, contributions) {
      guard let input, let contribution else { continue }
      precondition(
        contribution.shape == input.shape,
        "internal: adjoint shape \(contribution.shape) differs from value shape \(input.shape)")
      let key = ObjectIdentifier(input)
      if let existing = adjoints[key] {
        adjoints[key] = existing + contribution
      } else {
        adjoints[key] = contribution
      }
    }
  }
  return leaves
}
