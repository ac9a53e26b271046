#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The interfaces a pcapng file describes (its Interface Description
/// Blocks), found by walking the blocks with `pread`.
///
/// libpcap 1.10 gives a savefile one link type and one snapshot length: a
/// pcapng file whose interfaces differ in either fails on the first packet
/// after the second interface's description ("an interface has a type …
/// different from the type of the first interface"). Listing the interfaces
/// lets that error say what the file holds and how to split it.
///
/// The walk reads at most `maximumBlocks` blocks and stops at the first
/// block whose length is not a multiple of 4, is below 12 or runs past the
/// end of the file (libpcap reports those itself).
struct PcapngInterfaces: Equatable {
    struct Interface: Equatable {
        /// Index of the section (Section Header Block) it belongs to, from 0.
        var section: Int
        /// Interface ID within its section, as Enhanced Packet Blocks name it.
        var id: Int
        var linkType: LinkType
        var snaplen: UInt32
    }

    var interfaces: [Interface] = []

    static let maximumBlocks = 1_000_000

    /// The interfaces of the pcapng file open on `descriptor`; `nil` when the
    /// file does not start with a Section Header Block.
    init?(descriptor: Int32) {
        var offset: Int64 = 0
        var section = -1
        var nextID = 0
        var swapped = false
        var header = [UInt8](repeating: 0, count: 16)
        var blocks = 0
        while blocks < Self.maximumBlocks {
            blocks += 1
            let got = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 16, off_t(offset)) }
            guard got >= 12 else { break }
            func u32(_ at: Int) -> UInt32 {
                let raw =
                    UInt32(header[at]) | UInt32(header[at + 1]) << 8 | UInt32(header[at + 2]) << 16 | UInt32(
                        header[at + 3]) << 24
                return swapped ? raw.byteSwapped : raw
            }
            func u16(_ at: Int) -> UInt16 {
                let raw = UInt16(header[at]) | UInt16(header[at + 1]) << 8
                return swapped ? raw.byteSwapped : raw
            }
            let blockType =
                UInt32(header[0]) | UInt32(header[1]) << 8 | UInt32(header[2]) << 16 | UInt32(header[3]) << 24
            if blockType == 0x0A0D_0D0A {
                // Byte order from the byte-order magic at offset 8.
                let magic =
                    UInt32(header[8]) | UInt32(header[9]) << 8 | UInt32(header[10]) << 16 | UInt32(header[11]) << 24
                guard magic == 0x1A2B_3C4D || magic == 0x4D3C_2B1A else { break }
                swapped = magic == 0x4D3C_2B1A
                section += 1
                nextID = 0
            } else if offset == 0 {
                return nil
            }
            let length = Int64(u32(4))
            guard length >= 12, length % 4 == 0 else { break }
            if u32(0) == 1 && section >= 0 && got >= 16 {
                interfaces.append(
                    Interface(section: section, id: nextID, linkType: LinkType(dlt: Int32(u16(8))), snaplen: u32(12)))
                nextID += 1
            }
            offset += length
        }
        if section < 0 { return nil }
    }

    /// `0: EN10MB, 1: LINUX_SLL` (`section 1 interface 0: …` when the file
    /// has several sections).
    var listing: String {
        let sections = Set(interfaces.map(\.section)).count
        return interfaces.map { i in
            (sections > 1 ? "section \(i.section + 1) interface \(i.id)" : "interface \(i.id)")
                + ": \(i.linkType.name) snaplen \(i.snaplen)"
        }.joined(separator: ", ")
    }
}

extension CaptureError {
    /// libpcap's refusal of a pcapng file whose interfaces differ in link
    /// type or snapshot length, restated with the file's interfaces and how
    /// to split it; `nil` for any other message.
    static func mixedInterfacesMessage(_ message: String, file: String, descriptor: Int32?) -> String? {
        let linkTypes = message.contains("different from the type of the first interface")
        let snaplens = message.contains("different from the snapshot length of the first interface")
        guard linkTypes || snaplens else { return nil }
        let what = linkTypes ? "link types" : "snapshot lengths"
        var text = "the capture's interfaces have different \(what)"
        if let descriptor, let found = PcapngInterfaces(descriptor: descriptor), !found.interfaces.isEmpty {
            text += " (\(found.listing))"
        }
        text += ", and libpcap reads one \(linkTypes ? "link type" : "snapshot length") per file (libpcap: \(message))"
        text +=
            "; split it by interface and read each part, e.g. tshark -r \(file) -Y 'frame.interface_id == 1' -w interface1.pcapng"
        return text
    }
}
