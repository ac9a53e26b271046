#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// When a background read-ahead thread (`ReadAheadReader`) is worth it.
///
/// Read-ahead overlaps libpcap's parsing with the model on a second core. It
/// pays when that core is free. Reading a pipe, the process writing it
/// (`zcat`, `tcpdump -w -`, `cat`) needs a core too: on two cores the three
/// runnable threads then take turns, and every batch handover waits for a
/// time slice (measured: `cat FILE | skbsim stats -r -` 2.5× slower with the
/// read-ahead thread than without on 2 cores). So:
/// - a regular file (or standard input redirected from one): read-ahead;
/// - standard input that is a pipe, socket or terminal: read-ahead only with
///   at least `minimumCoresForPipe` online CPUs;
/// - the caller turns it off when its own threads use the cores (`--queues`).
public enum ReadAheadPolicy {
    /// Cores a pipe needs for read-ahead: the writer, libpcap's thread, the model's.
    public static let minimumCoresForPipe = 3

    /// The decision for `path` (`-` = standard input) on this machine.
    public static func shouldReadAhead(path: String) -> Bool {
        shouldReadAhead(inputIsStream: path == "-" && standardInputIsStream, cores: onlineCores)
    }

    /// The rule itself (`inputIsStream`: a pipe, socket or terminal).
    public static func shouldReadAhead(inputIsStream: Bool, cores: Int) -> Bool {
        !inputIsStream || cores >= minimumCoresForPipe
    }

    /// Whether standard input is anything but a regular file or block device.
    public static var standardInputIsStream: Bool {
        var st = stat()
        guard fstat(0, &st) == 0 else { return false }
        let type = st.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFBLK
    }

    /// Online CPUs (`sysconf(_SC_NPROCESSORS_ONLN)`).
    public static var onlineCores: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
