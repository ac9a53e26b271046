import ArgumentParser
import KernelMemory
import SkbModel
import Trace

/// Model options shared by the subcommands that build skbs:
/// `[--rx-path PATH] [--max-skb-frags N] [--mtu N]`.
struct SimulationOptions: ParsableArguments {
    @Option(name: .customLong("rx-path"), help: ArgumentHelp(
        "How the driver builds the skb: netdev-alloc-skb, napi-alloc-skb, build-skb, sg-copybreak.", valueName: "PATH"))
    var rxPathName: String = RxPath.netdevAllocSkb.rawValue

    @Option(name: .customLong("max-skb-frags"), help: ArgumentHelp(
        "CONFIG_MAX_SKB_FRAGS (17…45): sizes skb_shared_info and the frags per skb.", valueName: "N"))
    var maxSkbFrags: Int = 17

    @Option(name: .customLong("mtu"), help: ArgumentHelp(
        "Device MTU (68…65535). build-skb and sg-copybreak use 2048-byte RX buffers up to 1500, 3072-byte above (ixgbe).",
        valueName: "N"))
    var mtu: Int = 1500

    func validate() throws {
        guard RxPath(rawValue: rxPathName) != nil else {
            throw ValidationError("--rx-path must be one of \(RxPath.allCases.map(\.rawValue).joined(separator: ", ")), got '\(rxPathName)'")
        }
        try SimulationOptions.validate(maxSkbFrags: maxSkbFrags, mtu: mtu)
    }

    static func validate(maxSkbFrags: Int, mtu: Int) throws {
        guard (17...45).contains(maxSkbFrags) else {
            throw ValidationError("--max-skb-frags must be between 17 and 45, got \(maxSkbFrags)")
        }
        guard (68...65535).contains(mtu) else {
            throw ValidationError("--mtu must be between 68 and 65535, got \(mtu)")
        }
    }

    var rxPath: RxPath { RxPath(rawValue: rxPathName) ?? .netdevAllocSkb }

    func makeSim(sink: (any EventSink)? = nil) -> SkbSim {
        SimulationOptions.makeSim(rxPath: rxPath, maxSkbFrags: maxSkbFrags, mtu: mtu, sink: sink)
    }

    /// A simulation with x86_64 defaults and these knobs. The simulated memory
    /// grows with MAX_SKB_FRAGS so that jumbo frames on scatter-gather paths fit.
    static func makeSim(rxPath: RxPath, maxSkbFrags: Int, mtu: Int, sink: (any EventSink)? = nil) -> SkbSim {
        var config = KernelConfig()
        config.maxSkbFrags = maxSkbFrags
        var options = SkbOptions()
        options.rxPath = rxPath
        options.rxBufferSize = rxBufferSize(mtu: mtu)
        return SkbSim(memory: MemorySystem(config: config), options: options, sink: sink)
    }

    /// The driver's RX buffer for an MTU: half a 4 KiB page up to 1500, 3 KiB
    /// above (ixgbe's IXGBE_RXBUFFER_2K / IXGBE_RXBUFFER_3K).
    static func rxBufferSize(mtu: Int) -> Int { mtu <= 1500 ? 2048 : 3072 }
}
