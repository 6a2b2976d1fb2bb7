// Two "hosts" joined by a network: network namespaces with a veth pair between them, mpirun in
// one, the other rank started in the other through an rsh agent that enters its namespace
// (where a cluster would use ssh), and Open MPI's TCP transport only. What crosses between
// hosts (the launch, the gathers and broadcasts) crosses the veth. Needs root, as in CI.

import Foundation
import Testing

@Suite("mpirun over TCP between two network namespaces", .serialized)
struct MPINetworkTests {
  /// Runs `ip arguments...`, throwing with its stderr on failure.
  @discardableResult
  static func ip(_ arguments: [String]) throws -> String {
    let run = try CLI.run(URL(fileURLWithPath: "/usr/sbin/ip"), arguments, timeout: 30)
    guard run.status == 0 else {
      throw CLITestError("ip \(arguments.joined(separator: " ")): \(run.stderr)")
    }
    return run.stdout
  }

  static func receivedBytes(namespace: String, device: String) throws -> Int {
    let text = try ip(["netns", "exec", namespace, "cat", "/sys/class/net/\(device)/statistics/rx_bytes"])
    return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
  }

  @Test(.enabled(if: getuid() == 0, "network namespaces need root"))
  func twoHostsGiveTheSingleProcessResults() throws {
    let tag = String(getpid() % 100_000)
    let (a, b) = ("hka\(tag)", "hkb\(tag)")
    let (va, vb) = ("hkva\(tag)", "hkvb\(tag)")
    let (addressA, addressB) = ("10.77.0.1", "10.77.0.2")
    let scratch = try Scratch()
    defer {
      _ = try? Self.ip(["netns", "delete", a])
      _ = try? Self.ip(["netns", "delete", b])
      scratch.remove()
    }
    try Self.ip(["netns", "add", a])
    try Self.ip(["netns", "add", b])
    try Self.ip(["link", "add", va, "type", "veth", "peer", "name", vb])
    for (namespace, device, address) in [(a, va, addressA), (b, vb, addressB)] {
      try Self.ip(["link", "set", device, "netns", namespace])
      try Self.ip(["netns", "exec", namespace, "ip", "addr", "add", "\(address)/24", "dev", device])
      try Self.ip(["netns", "exec", namespace, "ip", "link", "set", device, "up"])
      try Self.ip(["netns", "exec", namespace, "ip", "link", "set", "lo", "up"])
    }
    let agent = scratch.path("netns-agent.sh")
    try """
      #!/bin/sh
      # mpirun's rsh agent: "host command..." runs the command in that host's namespace.
      host="$1"; shift
      case "$host" in
        \(addressA)) exec ip netns exec \(a) /bin/sh -c "$*" ;;
        \(addressB)) exec ip netns exec \(b) /bin/sh -c "$*" ;;
        *) echo "unknown host $host" >&2; exit 1 ;;
      esac
      """.write(toFile: agent, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: agent)
    try "\(addressA) slots=1\n\(addressB) slots=1\n".write(
      toFile: scratch.path("hosts"), atomically: true, encoding: .utf8)

    let arguments = [
      "eigen", "--top", "3", "--precision", "double", "--train-steps", "30", "--samples", "301",
      "--batch-size", "64", "--quiet",
    ]
    let single = try CLI.run(arguments)
    #expect(single.status == 0, "\(single.stderr)")
    let before = try Self.receivedBytes(namespace: b, device: vb)
    let run = try CLI.run(
      URL(fileURLWithPath: "/usr/sbin/ip"),
      [
        "netns", "exec", a, MPIRun.mpirun.path, "--hostfile", scratch.path("hosts"), "-np", "2",
        "--mca", "plm_rsh_agent", agent, "--mca", "oob_tcp_if_include", "10.77.0.0/24",
        "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "10.77.0.0/24",
        CLI.executable.path,
      ] + arguments, environment: MPIRun.environment, timeout: 180)
    #expect(run.status == 0, "\(run.stderr)")
    let received = try Self.receivedBytes(namespace: b, device: vb) - before
    let expected = try single.json().numbers("eigenvalues")
    let got = try run.json().numbers("eigenvalues")
    #expect(close(got, expected, rtol: 1e-12, atol: 0), "\(got) vs \(expected)")
    // Each of the 24+ products broadcasts 8 * 1,251 bytes of products to the other host.
    #expect(received > 24 * 8 * 1251, "only \(received) bytes reached the second namespace")
  }
}
