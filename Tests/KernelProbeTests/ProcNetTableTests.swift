import KernelProbe
import KernelReference
import Testing

@Suite struct ProcNetTableTests {
    // Lines as /proc/net/udp and udp6 print them (udp4_format_sock, __ip6_dgram_sock_seq_show).
    static let udp4 = """
           sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops            
          123: 0100007F:A1B2 00000000:0000 07 00000000:00001A00 00:00000000 00000000     0        0 45678 2 0000000000000000 3        
        """
    static let udp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
          7: 00000000000000000000000001000000:D431 00000000000000000000000000000000:0000 07 00000000:00083240 00:00000000 00000000  1000        0 991 2 0000000000000000 0
        """
    static let tcp4 = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:1F90 0100007F:C350 01 00000000:00000064 00:00000000 00000000     0        0 777 1 0000000000000000 20 4 30 10 -1
        """

    @Test func parsesUDP4Line() throws {
        let lines = ProcNetTable.parse(Self.udp4)
        #expect(lines.count == 1)
        let l = try #require(lines.first)
        #expect(l.slot == 123)
        #expect(l.localAddressHex == "0100007F")
        #expect(l.localPort == 0xA1B2)
        #expect(l.remotePort == 0)
        #expect(l.state == 7)
        #expect(l.txQueue == 0)
        #expect(l.rxQueue == 0x1A00)
        #expect(l.uid == 0)
        #expect(l.inode == 45678)
        #expect(l.drops == 3)
    }

    @Test func parsesUDP6Line() throws {
        let l = try #require(ProcNetTable.parse(Self.udp6).first)
        #expect(l.localAddressHex.count == 32)
        #expect(l.localPort == 0xD431)
        #expect(l.rxQueue == 0x83240)
        #expect(l.uid == 1000)
        #expect(l.inode == 991)
        #expect(l.drops == 0)
    }

    @Test func tcpLineHasNoDropsColumn() throws {
        let l = try #require(ProcNetTable.parse(Self.tcp4).first)
        #expect(l.localPort == 8080)
        #expect(l.remotePort == 50000)
        #expect(l.state == 1)
        #expect(l.rxQueue == 100)
        #expect(l.drops == nil)
    }

    @Test func rejectsHeaderAndGarbage() {
        #expect(ProcNetTable.parseLine("  sl  local_address rem_address   st tx_queue") == nil)
        #expect(ProcNetTable.parseLine("") == nil)
        #expect(ProcNetTable.parseLine("  1: XYZ:0000 00000000:0000 07 0:0 00:0 0 0 0 1 2 0 0") == nil)
    }
}
