import SkbModel

// MARK: - GRO CALL SITE
//
// With `gro` on, each received skb goes to `napi_gro_receive` instead of
// straight to `netif_receive_skb`, and GRO is flushed at the end of every
// NAPI poll (`napiBudget` packets) and at the end of the capture. Whatever
// GRO sends up (unmerged skbs, flushed held skbs) continues through
// `netifReceive` (hooks → socket → reader → release pipeline).
//
// The built-in engine is SkbModel's (`SkbSim.napiGroReceive`,
// `napiPollEnd`, `napiGroFlush`, Sources/SkbModel/GRO*.swift). The run's own
// packet counter is the NAPI poll clock, so the engine's budget is set to 0
// (caller-driven) and the run calls `napiPollEnd` every `napiBudget` packets.
extension PacketRun {
    /// SkbModel's GRO engine.
    public static var defaultGRO: GROEntryPoints? {
        var e = GROEntryPoints(
            receive: { sim, skb, deliver throws(SkbError) in try sim.napiGroReceive(skb, deliver: deliver) },
            flush: { sim, deliver throws(SkbError) in try sim.napiGroFlush(deliver: deliver) },
            pollEnd: { sim, deliver throws(SkbError) in try sim.napiPollEnd(deliver: deliver) })
        e.isSkbModelEngine = true
        return e
    }

    /// `napi_gro_receive(napi, skb)`.
    func groReceive(_ skb: SkbID) throws(SkbError) {
        if groIsSkbModel { return try sim.napiGroReceive(skb) { s throws(SkbError) in try self.netifReceive(s) } }
        guard let gro = options.groEntryPoints else { try netifReceive(skb); return }
        try gro.receive(sim, skb) { s throws(SkbError) in try self.netifReceive(s) }
    }

    /// End of a NAPI poll (`napi_complete_done` flushes what GRO holds).
    func groPollEnd() throws(SkbError) {
        if groIsSkbModel { return try sim.napiPollEnd { s throws(SkbError) in try self.netifReceive(s) } }
        guard let gro = options.groEntryPoints else { return }
        try gro.pollEnd(sim) { s throws(SkbError) in try self.netifReceive(s) }
    }

    /// `napi_gro_flush(napi, false)` at the end of the capture.
    func groFlush() throws(SkbError) {
        guard let gro = options.groEntryPoints else { return }
        try gro.flush(sim) { s throws(SkbError) in try self.netifReceive(s) }
    }
}
