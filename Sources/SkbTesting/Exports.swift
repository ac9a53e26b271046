// What `import SkbTesting` brings into a test file: the types a test names,
// re-exported one by one from the modules that declare them.
//
// The library modules (SkbModel, KernelMemory, Release, Capture, Trace,
// SampleKit) re-export nothing: a program that uses the model imports what it
// uses. The testing product is the exception, on purpose: a user's test should
// need one import. The list is curated rather than a whole-module re-export so
// that a test file does not see every internal-looking public helper (slab
// caches, page_frag internals, decoder plumbing), and so that adding a public
// type to a library module never changes what a test file sees. A test that
// needs more imports that module as well (`import KernelMemory`); both work
// side by side. Members (methods, properties, extensions in the declaring
// module) come with their type, also under the MemberImportVisibility
// upcoming feature (the Examples package's tests build with it).

@_exported import struct Capture.CaptureError
@_exported import class Capture.CaptureReader
@_exported import struct Capture.CapturedPacket
// Captures.
@_exported import struct Capture.LinkType
@_exported import struct KernelMemory.GFP
@_exported import struct KernelMemory.KasanReport
@_exported import struct KernelMemory.KernelAddress
@_exported import struct KernelMemory.KernelConfig
@_exported import struct KernelMemory.KernelProfile
@_exported import struct KernelMemory.LeakReport
@_exported import struct KernelMemory.LeakedObject
@_exported import struct KernelMemory.MemoryLeakError
// Simulated memory and the checker's reports.
@_exported import class KernelMemory.MemorySystem
@_exported import struct Release.CheckerVerdict
@_exported import struct Release.CustomReleaseStage
@_exported import enum Release.NFHookPoint
@_exported import struct Release.NFHookState
@_exported import enum Release.NFProto
@_exported import enum Release.NFVerdict
@_exported import struct Release.NetfilterHook
// Whole runs: the packet-run driver, release pipeline, netfilter hooks, statistics.
@_exported import class Release.PacketRun
@_exported import enum Release.PacketRunError
@_exported import struct Release.PacketRunOptions
@_exported import enum Release.ReleaseOrder
@_exported import class Release.ReleasePipeline
@_exported import enum Release.ReleaseStage
@_exported import struct Release.ReleaseStageContext
@_exported import enum Release.ReleaseStageResult
@_exported import struct Release.RunStatistics
@_exported import enum SampleKit.EtherType
@_exported import struct SampleKit.EthernetHeader
@_exported import struct SampleKit.ICMPEcho
@_exported import enum SampleKit.IPAddress
@_exported import struct SampleKit.IPv4Address
@_exported import struct SampleKit.IPv4Header
@_exported import struct SampleKit.IPv6Address
@_exported import struct SampleKit.IPv6Header
@_exported import enum SampleKit.LinkHeader
@_exported import struct SampleKit.MACAddress
@_exported import enum SampleKit.NetworkHeader
// Frame builders.
@_exported import struct SampleKit.Packet
@_exported import struct SampleKit.PcapWriter
@_exported import struct SampleKit.TCPFlags
@_exported import struct SampleKit.TCPFlow
@_exported import struct SampleKit.TCPHeader
@_exported import enum SampleKit.TCPOption
@_exported import enum SampleKit.TransportHeader
@_exported import struct SampleKit.UDPHeader
@_exported import struct SampleKit.VLANTag
@_exported import struct SkbModel.GROEngine
@_exported import enum SkbModel.GROFlushCause
@_exported import struct SkbModel.GROOptions
@_exported import class SkbModel.Napi
@_exported import class SkbModel.RxDriver
@_exported import struct SkbModel.RxDriverOptions
@_exported import struct SkbModel.RxDriverStatistics
@_exported import enum SkbModel.RxPath
@_exported import struct SkbModel.SharedInfo
@_exported import struct SkbModel.SkBuff
@_exported import enum SkbModel.SkbDestructor
@_exported import struct SkbModel.SkbError
@_exported import struct SkbModel.SkbFrag
@_exported import struct SkbModel.SkbID
@_exported import struct SkbModel.SkbOptions
// The model: the simulation, skb handles and snapshots, rx paths and NAPI/GRO.
@_exported import class SkbModel.SkbSim
@_exported import class SkbModel.Sockets
@_exported import protocol Trace.EventSink
@_exported import struct Trace.SkbDropReason
@_exported import struct Trace.SkbDropReasonTable
// Events and drop reasons.
@_exported import struct Trace.SkbEvent
@_exported import enum Trace.SkbEventKind
