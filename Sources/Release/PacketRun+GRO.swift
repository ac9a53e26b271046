import SkbModel

// MARK: - GRO CALL SITE
//
// With `gro` on, each received skb goes to `napi_gro_receive` instead of
// straight to `netif_receive_skb`, and GRO is flushed at the end of every
// NAPI poll (`napiBudget` packets) and at the end of the capture. Whatever
// GRO sends up (unmerged skbs, flushed held skbs) continues through
// `netif_receive_skb` (hooks → socket → reader → release pipeline).
//
// The built-in engine is SkbModel's (`Napi.napi_gro_receive`,
// `napi_complete_done`, `napi_gro_flush`, Sources/SkbModel/GRO*.swift). The
// run counts each packet as poll work (`Napi.pollWorkDone`, budget
// `napiBudget`) and ends the poll when the budget is used up.
extension PacketRun {
    /// SkbModel's GRO engine.
    public static var defaultGRO: GROEntryPoints? {
        var e = GROEntryPoints(
            receive: { napi, skb, deliver throws(SkbError) in try napi.napi_gro_receive(skb, deliver: deliver) },
            flush: { napi, deliver throws(SkbError) in try napi.napi_gro_flush(deliver: deliver) },
            pollEnd: { napi, deliver throws(SkbError) in try napi.napi_complete_done(deliver: deliver) })
        e.isSkbModelEngine = true
        return e
    }

    /// `napi_gro_receive(napi, skb)`.
    func groReceive(_ skb: SkbID) throws(SkbError) {
        if groIsSkbModel {
            return try napi.napi_gro_receive(skb) { s throws(SkbError) in try self.netif_receive_skb(s) }
        }
        guard let gro = options.groEntryPoints else {
            try netif_receive_skb(skb)
            return
        }
        try gro.receive(napi, skb) { s throws(SkbError) in try self.netif_receive_skb(s) }
    }

    /// End of a NAPI poll (`napi_complete_done` flushes what GRO holds).
    func pollEnd() throws(SkbError) {
        // igb refills its ring before it completes the poll (igb_poll).
        driver.ringPollEnd()
        if groIsSkbModel || !gro {
            return try napi.napi_complete_done { s throws(SkbError) in try self.netif_receive_skb(s) }
        }
        guard let engine = options.groEntryPoints else { return napi.endPoll() }
        try engine.pollEnd(napi) { s throws(SkbError) in try self.netif_receive_skb(s) }
        napi.endPoll()
    }

    /// `napi_gro_flush(napi, false)` at the end of the capture.
    func groFlush() throws(SkbError) {
        guard let gro = options.groEntryPoints else { return }
        try gro.flush(napi) { s throws(SkbError) in try self.netif_receive_skb(s) }
    }
}
