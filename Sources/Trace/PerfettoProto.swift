/// The field numbers and enum values of Perfetto's trace protos that
/// `PerfettoProtobufEventSink` writes, as declared in google/perfetto
/// `protos/perfetto/trace/` (proto2; read from the main branch, the files
/// named on each enum). Renumbering a field there would break every trace
/// ever written, so these are stable.
enum PerfettoProto {
    /// `trace.proto`: `message Trace { repeated TracePacket packet = 1; }`.
    enum Trace {
        static let packet: UInt32 = 1
    }

    /// `trace_packet.proto`, `message TracePacket`.
    enum TracePacket {
        /// `optional uint64 timestamp = 8` (ns, BOOTTIME unless a clock is set).
        static let timestamp: UInt32 = 8
        /// `ClockSnapshot clock_snapshot = 6`.
        static let clockSnapshot: UInt32 = 6
        /// `optional TracePacketDefaults trace_packet_defaults = 59`.
        static let tracePacketDefaults: UInt32 = 59
        /// `uint32 trusted_packet_sequence_id = 10`.
        static let trustedPacketSequenceID: UInt32 = 10
        /// `TrackEvent track_event = 11`.
        static let trackEvent: UInt32 = 11
        /// `optional InternedData interned_data = 12`.
        static let internedData: UInt32 = 12
        /// `optional uint32 sequence_flags = 13`.
        static let sequenceFlags: UInt32 = 13
        /// `TrackDescriptor track_descriptor = 60`.
        static let trackDescriptor: UInt32 = 60
        /// `SequenceFlags.SEQ_INCREMENTAL_STATE_CLEARED = 1`.
        static let seqIncrementalStateCleared: UInt64 = 1
        /// `SequenceFlags.SEQ_NEEDS_INCREMENTAL_STATE = 2`.
        static let seqNeedsIncrementalState: UInt64 = 2
    }

    /// `clock_snapshot.proto`: `ClockSnapshot { repeated Clock clocks = 1; }`,
    /// `Clock { clock_id = 1; timestamp = 2; is_incremental = 3; }`; ids
    /// 64...127 are sequence-scoped user clocks, 6 is BOOTTIME
    /// (`common/builtin_clock.proto`).
    enum ClockSnapshot {
        static let clocks: UInt32 = 1
        static let clockID: UInt32 = 1
        static let timestamp: UInt32 = 2
        static let isIncremental: UInt32 = 3
        static let boottime: UInt64 = 6
        /// The sink's own clock: ns, each packet's timestamp a delta from the previous one.
        static let incrementalClock: UInt64 = 64
    }

    /// `trace_packet_defaults.proto`: `optional uint32 timestamp_clock_id = 58`.
    enum TracePacketDefaults {
        static let timestampClockID: UInt32 = 58
    }

    /// `track_event/track_descriptor.proto`, `message TrackDescriptor`.
    enum TrackDescriptor {
        static let uuid: UInt32 = 1
        static let name: UInt32 = 2
        static let process: UInt32 = 3
        static let thread: UInt32 = 4
        static let parentUUID: UInt32 = 5
        static let counter: UInt32 = 8
    }

    /// `track_event/process_descriptor.proto`: `pid = 1`, `process_name = 6`.
    enum ProcessDescriptor {
        static let pid: UInt32 = 1
        static let processName: UInt32 = 6
    }

    /// `track_event/thread_descriptor.proto`: `pid = 1`, `tid = 2`, `thread_name = 5`.
    enum ThreadDescriptor {
        static let pid: UInt32 = 1
        static let tid: UInt32 = 2
        static let threadName: UInt32 = 5
    }

    /// `track_event/counter_descriptor.proto`, `message CounterDescriptor`.
    enum CounterDescriptor {
        /// `optional Unit unit = 3`.
        static let unit: UInt32 = 3
        /// `Unit.UNIT_COUNT = 2`.
        static let unitCount: UInt64 = 2
        /// `Unit.UNIT_SIZE_BYTES = 3`.
        static let unitSizeBytes: UInt64 = 3
    }

    /// `track_event/track_event.proto`, `message TrackEvent`.
    enum TrackEvent {
        /// `repeated uint64 category_iids = 3` (interned EventCategory).
        static let categoryIIDs: UInt32 = 3
        /// `repeated DebugAnnotation debug_annotations = 4`.
        static let debugAnnotations: UInt32 = 4
        /// `optional Type type = 9`.
        static let type: UInt32 = 9
        /// `uint64 name_iid = 10` (interned EventName).
        static let nameIID: UInt32 = 10
        /// `optional uint64 track_uuid = 11`.
        static let trackUUID: UInt32 = 11
        /// `repeated int64 extra_counter_values = 12`.
        static let extraCounterValues: UInt32 = 12
        /// `int64 counter_value = 30`.
        static let counterValue: UInt32 = 30
        /// `repeated uint64 extra_counter_track_uuids = 31`.
        static let extraCounterTrackUUIDs: UInt32 = 31
        /// `Type`: `TYPE_SLICE_BEGIN = 1`, `TYPE_SLICE_END = 2`,
        /// `TYPE_INSTANT = 3`, `TYPE_COUNTER = 4`.
        static let typeSliceBegin: UInt64 = 1
        static let typeSliceEnd: UInt64 = 2
        static let typeInstant: UInt64 = 3
        static let typeCounter: UInt64 = 4
    }

    /// `track_event/debug_annotation.proto`, `message DebugAnnotation`.
    enum DebugAnnotation {
        /// `uint64 name_iid = 1` (interned DebugAnnotationName).
        static let nameIID: UInt32 = 1
        static let boolValue: UInt32 = 2
        static let uintValue: UInt32 = 3
        static let intValue: UInt32 = 4
        static let stringValue: UInt32 = 6
        static let pointerValue: UInt32 = 7
        /// `uint64 string_value_iid = 17` (interned InternedString).
        static let stringValueIID: UInt32 = 17
    }

    /// `interned_data/interned_data.proto`, `message InternedData`; each
    /// entry is `{ optional uint64 iid = 1; optional string name = 2; }`
    /// (EventCategory, EventName in `track_event.proto`; DebugAnnotationName
    /// in `debug_annotation.proto`).
    enum InternedData {
        static let eventCategories: UInt32 = 1
        static let eventNames: UInt32 = 2
        static let debugAnnotationNames: UInt32 = 3
        /// `repeated InternedString debug_annotation_string_values = 29`
        /// (`{iid = 1, str = 2}`).
        static let debugAnnotationStringValues: UInt32 = 29
    }
}
