import ArgumentParser
import Trace

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Diagnostics go to standard error, as tcpdump's do ("reading from file …",
/// warnings), so that standard output holds only the packets, the trace or
/// the statistics (`skbsim inspect FILE | wc -l` counts packets).
enum Diagnostics {
    /// One line on standard error, as is.
    static func line(_ text: String) {
        // Whatever standard output holds so far comes first on a shared terminal.
        fflush(nil)
        let body = text + "\n"
        _ = body.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    }

    /// `skbsim: warning: …` on standard error.
    static func warning(_ text: String) { line("skbsim: warning: " + text) }

    /// Standard output is line buffered when `-l` is given or when it is a
    /// pipe or a socket (someone reads the lines as they come: `skbsim
    /// inspect -r - | grep …`); fully buffered into a file or a terminal's
    /// default otherwise.
    static func configureStandardOutput(lineBuffered: Bool) {
        if lineBuffered || standardOutputIsPipe { setvbuf(stdout, nil, _IOLBF, 0) }
    }

    static var standardOutputIsPipe: Bool {
        var st = stat()
        guard fstat(1, &st) == 0 else { return false }
        let type = st.st_mode & S_IFMT
        return type == S_IFIFO || type == S_IFSOCK
    }
}

/// tcpdump's printing habits for the commands that print packets or events
/// (`inspect`, `trace`): `-t` … `-ttttt`, UTC, `-l`.
struct PrintOptions: ParsableArguments {
    @Flag(
        name: .customShort("t"),
        help: ArgumentHelp(
            "Time format, as tcpdump: -t none, -tt seconds since the epoch, -ttt since the previous packet, -tttt date and time, -ttttt since the first packet (default: time of day)."
        ))
    var timeStyleCount: Int

    @Flag(name: .customLong("utc"), help: "Print times of day and dates in UTC instead of local time (TZ).")
    var utc = false

    @Flag(
        name: .customShort("l"),
        help:
            "Line-buffered output: each line is written as soon as it is complete (the default when standard output is a pipe)."
    )
    var lineBuffered = false

    func validate() throws {
        guard TimestampStyle(tCount: timeStyleCount) != nil else {
            throw ValidationError("-t may be given at most 5 times (-ttttt), got \(timeStyleCount)")
        }
    }

    var timestampStyle: TimestampStyle { TimestampStyle(tCount: timeStyleCount) ?? .timeOfDay }

    func makeFormatter() -> TimestampFormatter { TimestampFormatter(style: timestampStyle, utc: utc) }

    /// Applies `-l` (or a pipe) to standard output.
    func configureOutput() { Diagnostics.configureStandardOutput(lineBuffered: lineBuffered) }
}
