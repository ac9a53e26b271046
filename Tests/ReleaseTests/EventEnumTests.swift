import Release
import SkbModel
import Testing
import Trace

/// The names the sinks write for enumeration arguments (`SkbEventEnum`, in
/// Trace, below the model) against the model's own enums: a value added or
/// renumbered in the model without its name fails here.
@Suite struct EventEnumTests {
    @Test func flushCausesMatchTheModel() {
        #expect(SkbEventEnum.cause.names.count == GROFlushCause.allCases.count)
        for cause in GROFlushCause.allCases {
            #expect(SkbEventEnum.cause.name(of: UInt64(cause.rawValue))?.description == cause.description)
        }
    }

    @Test func mergeStrategiesMatchTheModelAndRunStatistics() {
        // Every strategy plus `held` (gro_member's first member).
        #expect(SkbEventEnum.strategy.names.count == GROMergeStrategy.allCases.count + 1)
        for m in GROMergeStrategy.allCases {
            #expect(SkbEventEnum.strategy.name(of: UInt64(m.rawValue))?.description == RunStatistics.name(m))
        }
    }

    @Test func hookPointsMatchNetfilter() {
        #expect(SkbEventEnum.hook.names.count == NFHookPoint.allCases.count)
        for point in NFHookPoint.allCases {
            #expect(SkbEventEnum.hook.name(of: UInt64(point.rawValue))?.description == point.description)
        }
    }

    @Test func destructorCodesAndFcloneStatesMatchTheModel() {
        let destructors: [(SkbDestructor, String)] = [
            (.none, "none"), (.sockRfree(socket: 1), "sock_rfree"), (.sockWfree(socket: 1), "sock_wfree"),
            (.tcpWfree(socket: 1), "tcp_wfree"), (.sockEdemux, "sock_edemux"), (.custom(tag: 9), "custom"),
        ]
        #expect(SkbEventEnum.destructor.names.count == destructors.count)
        for (d, name) in destructors { #expect(SkbEventEnum.destructor.name(of: d.code)?.description == name) }
        let states: [(SkbFclone, String)] = [
            (.unavailable, "SKB_FCLONE_UNAVAILABLE"), (.orig, "SKB_FCLONE_ORIG"), (.clone, "SKB_FCLONE_CLONE"),
        ]
        for (state, name) in states {
            #expect(SkbEventEnum.fclone.name(of: UInt64(state.rawValue))?.description == name)
        }
    }
}
