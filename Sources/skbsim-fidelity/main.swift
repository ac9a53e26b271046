import Fidelity
import KernelMemory
import KernelReference
for p in FidelityTable.profiles {
    let rows = FidelityTable.rows(p)
    print(p.name, rows.count, rows.filter { !$0.ok }.count)
    for r in rows where !r.ok { print("  ✗", r.scenario, "\n    kernel", r.expected.facts, "\n    model ", r.model.map { "\($0)" } ?? r.error!) }
    for f in [IPFamily.ipv4, .ipv6] { let u = try FidelityTable.udpRows(p, family: f); for r in u where !r.ok { print("  udp ✗", f, r.payload, r.kernel, r.model) } }
    for r in try FidelityTable.tcpRows(p) where !r.ok { print("  tcp ✗", r.size, r.kernel, r.model) }
}
