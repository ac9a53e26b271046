import KernelMemory
import KernelReference
import SkbModel

/// One scenario: the kernel's expectation next to the model's skb.
public struct FidelityRow: Sendable {
    public var profile: KernelProfile
    public var scenario: AllocScenario
    public var expected: Expectation
    /// nil when the model failed (`error` says why).
    public var model: SkbFacts?
    public var error: String?
    public var ok: Bool { model.map { expected.facts.matches($0) } ?? false }
}

/// One UDP payload: kernel rule (KernelProbe's derivation) vs the model's send path.
public struct UDPRow: Sendable {
    public var payload: Int
    public var family: IPFamily
    public var kernel: Int
    public var model: Int
    public var ok: Bool { kernel == model }
}

public struct TCPRow: Sendable {
    public var size: Int
    public var kernel: Int
    public var model: Int
    public var ok: Bool { kernel == model }
}

/// One GRO-on scenario: the kernel's outcome next to the model's.
public struct GRORow: Sendable {
    public var profile: KernelProfile
    public var scenario: GROScenario
    public var expected: GROFacts
    public var sources: [Citation]
    public var model: GROFacts?
    public var error: String?
    public var ok: Bool { model == expected }
}

/// One drop reason of one release's list: the model's number vs the kernel's.
public struct DropReasonRow: Sendable {
    public var release: String
    public var name: String
    public var kernel: Int
    public var model: Int
    public var ok: Bool { kernel == model }
}

public enum FidelityTable {
    /// Every named profile, then page-size variants: 6.18 and 6.1 (MAX_SKB_FRAGS
    /// 16 there) on 16 KiB and 64 KiB pages.
    public static let profiles =
        KernelProfile.all + [
            KernelProfile.distroX86_64.withPageSize(16384), KernelProfile.distroX86_64.withPageSize(65536),
            KernelProfile.distroX86_64_v6_1.withPageSize(16384), KernelProfile.distroX86_64_v6_1.withPageSize(65536),
        ]

    /// Every GRO-off scenario: `KernelExpectations(profile)` against the model
    /// of `model` (default: the same profile; tests pass a deliberately wrong
    /// one to show the table sees it).
    public static func rows(
        _ profile: KernelProfile, driver: DriverModel = DriverModel(), model: KernelProfile? = nil
    ) -> [FidelityRow] {
        let reference = KernelExpectations(profile, driver: driver)
        return AllocScenario.groOff.map { s in
            let e = reference.expect(s)
            do {
                return FidelityRow(
                    profile: profile, scenario: s, expected: e,
                    model: try ModelObserver.observe(s, model ?? profile, driver: driver), error: nil)
            } catch {
                return FidelityRow(profile: profile, scenario: s, expected: e, model: nil, error: "\(error)")
            }
        }
    }

    /// GRO on: every `GROScenario` on a fresh model of `profile`.
    public static func groRows(
        _ profile: KernelProfile, driver: DriverModel = DriverModel(), model: KernelProfile? = nil
    ) -> [GRORow] {
        let reference = KernelExpectations(profile, driver: driver)
        return GROScenario.all.map { s in
            let e = reference.expectGRO(s)
            do {
                return GRORow(
                    profile: profile, scenario: s, expected: e.facts, sources: e.sources,
                    model: try ModelObserver.observeGRO(s, model ?? profile, driver: driver), error: nil)
            } catch {
                return GRORow(
                    profile: profile, scenario: s, expected: e.facts, sources: e.sources, model: nil, error: "\(error)")
            }
        }
    }

    /// Every stored drop-reason list (`KernelProfile.dropReasonReleases`):
    /// the numbers a simulation with it gives, against `DropReasonReference`.
    public static func dropReasonRows() -> [DropReasonRow] {
        KernelProfile.dropReasonReleases.map(\.description).flatMap { release in
            let model = ModelObserver.dropReasons(table: release)
            return (DropReasonReference.values(release: release) ?? []).map {
                DropReasonRow(release: release, name: $0.name, kernel: $0.value, model: model[$0.name] ?? -1)
            }
        }
    }

    /// UDP payloads of the live table: the probe's standard sizes and each boundary
    /// the derivation predicts (small head, linear/paged, IPv6 fragmentation).
    public static func udpPayloads(_ family: IPFamily) -> [Int] {
        let standard = [
            0, 1, 18, 64, 100, 200, 256, 300, 500, 512, 1000, 1024, 1400, 1472, 2000, 3000,
            4000, 8000, 9000, 16000, 32000, 60000, 65507, 65527,
        ]
        let boundaries = family == .ipv4 ? [197, 198, 16004, 16005] : [184, 185, 15991, 15992, 65488, 65489]
        return Set(standard + boundaries).filter { $0 <= family.maxUDPPayload }.sorted()
    }

    public static func udpRows(_ profile: KernelProfile, family: IPFamily, payloads: [Int]? = nil) throws -> [UDPRow] {
        let reference = KernelExpectations(profile)
        let sizes = payloads ?? udpPayloads(family)
        let model = try ModelObserver.udpCharges(profile, family: family == .ipv4 ? .ipv4 : .ipv6, payloads: sizes)
        return sizes.map {
            UDPRow(
                payload: $0, family: family, kernel: reference.udpLoopback(payload: $0, family: family).charge,
                model: model[$0] ?? -1)
        }
    }

    public static let tcpSizes = [1, 100, 1000, 1448, 4000, 16000, 32000]

    public static func tcpRows(_ profile: KernelProfile) throws -> [TCPRow] {
        let reference = KernelExpectations(profile)
        return try tcpSizes.map {
            TCPRow(
                size: $0, kernel: reference.tcpFirstSkbTruesize(size: $0),
                model: try ModelObserver.tcpFirstSkbTruesize(profile, size: $0))
        }
    }
}

/// Measurements recorded on the machine of docs/live-kernel.md with
/// `UDPTruesizeProbe` (sk_rmem_alloc per datagram over loopback). The live test
/// re-measures; when it runs on the same release it also checks these numbers.
public enum LiveRecord {
    public static let release = "6.18.44-fc-v782"
    public static let udp: [IPFamily: [Int: Int]] = {
        func fill(_ groups: [([Int], Int)]) -> [Int: Int] {
            var d: [Int: Int] = [:]
            for (sizes, v) in groups { for s in sizes { d[s] = v } }
            return d
        }
        let common: [([Int], Int)] = [
            ([0, 1, 18, 64, 100], 832), ([200, 256, 300, 500, 512], 1280),
            ([1000, 1024, 1400, 1472], 2304), ([2000, 3000], 4352), ([4000], 8448),
            ([8000, 9000], 16640), ([32000], 32832), ([60000], 60832),
        ]
        return [
            .ipv4: fill(
                common + [
                    ([16000], 16640), ([65507], 66339), ([197], 832), ([198], 1280),
                    ([16004], 16640), ([16005], 16837),
                ]),
            .ipv6: fill(
                common + [
                    ([16000], 16832), ([65507, 65527], 67144), ([184], 832), ([185], 1280),
                    ([15991], 16640), ([15992], 16824), ([65488], 66320), ([65489], 67144),
                ]),
        ]
    }()
    /// TCP: growth of sk_rmem_alloc on the first send of S bytes on a fresh connection.
    public static let tcpFirstSendOverhead = 832
}
