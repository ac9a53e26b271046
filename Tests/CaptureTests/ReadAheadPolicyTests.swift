import Capture
import Testing

/// When the CLI starts a read-ahead thread: always for a file, for a pipe
/// only with a core to spare for the process writing it.
@Suite("Read-ahead policy")
struct ReadAheadPolicyTests {
    @Test func fileAlwaysPipeWithThreeCores() {
        for cores in 1...8 {
            #expect(ReadAheadPolicy.shouldReadAhead(inputIsStream: false, cores: cores))
            #expect(
                ReadAheadPolicy.shouldReadAhead(inputIsStream: true, cores: cores) == (cores >= 3), "\(cores) cores")
        }
    }

    /// A named file is never a stream, whatever standard input is.
    @Test func namedFileReadsAhead() {
        #expect(ReadAheadPolicy.shouldReadAhead(path: "samples/tcp-bulk.pcap"))
        #expect(ReadAheadPolicy.onlineCores >= 1)
    }
}
