import SkbModel

// MARK: - GRO CALL SITE
//
// With `gro` on, each received skb goes to `napi_gro_receive` instead of
// straight to `netif_receive_skb`, and GRO is flushed at the end of every
// NAPI poll (`napiBudget` packets) and at the end of the capture. Whatever
// GRO sends up (unmerged skbs, flushed held skbs) continues through
// `netifReceive` (hooks → socket → reader → release pipeline).
//
// The GRO engine (`SkbSim.napiGroReceive(_:deliver:)` /
// `SkbSim.napiGroFlush(deliver:)`, Sources/SkbModel/GRO*.swift) is merged
// from its own branch. Until then `PacketRun.defaultGRO` is nil and
// `gro = true` throws `PacketRunError.groUnavailable`. Once it is merged,
// `defaultGRO` becomes:
//
//     GROEntryPoints(
//         receive: { sim, skb, deliver throws(SkbError) in try sim.napiGroReceive(skb, deliver: deliver) },
//         flush: { sim, deliver throws(SkbError) in try sim.napiGroFlush(deliver: deliver) })
extension PacketRun {
    /// The GRO engine used when `PacketRunOptions.gro` is on (nil until the GRO branch is merged).
    public static var defaultGRO: GROEntryPoints? { nil }

    /// `napi_gro_receive(napi, skb)`.
    func groReceive(_ skb: SkbID) throws(SkbError) {
        guard let gro = options.groEntryPoints else { try netifReceive(skb); return }
        try gro.receive(sim, skb) { s throws(SkbError) in try self.netifReceive(s) }
    }

    /// `napi_gro_flush(napi, false)` at NAPI poll end / end of capture.
    func groFlush() throws(SkbError) {
        guard let gro = options.groEntryPoints else { return }
        try gro.flush(sim) { s throws(SkbError) in try self.netifReceive(s) }
    }
}
