import ArgumentParser
import CPcap
import Capture
import SkbModel

#if canImport(Glibc)
    import Glibc
#endif

/// The `skbsim` command: subcommands share tcpdump's habits for reading a
/// capture (`-r FILE` or a positional file, `-` for stdin, `-c COUNT`, a
/// trailing BPF expression).
///
/// Exit status: 0 success, 1 bad input (the capture, the filter, the model
/// reporting a memory bug), 2 usage errors — like tcpdump, not ArgumentParser's
/// default 64.
@main
struct Skbsim: ParsableCommand {
    /// skbsim's own version; `--version` adds libpcap's (`pcap_lib_version`).
    static let version = "0.9.0"

    static let configuration = CommandConfiguration(
        commandName: "skbsim",
        abstract: "Simulate the Linux kernel's sk_buff and page_frag allocator over a capture.",
        usage: """
            skbsim [inspect options] (-r FILE | FILE) [EXPRESSION ...]
              skbsim <subcommand> [options] (-r FILE | FILE) [EXPRESSION ...]
            """,
        discussion: """
            Each packet of a pcap or pcapng capture, read through libpcap, becomes an \
            sk_buff built the way a driver's receive path builds it. Without a \
            subcommand skbsim runs inspect, as tcpdump reads a file: skbsim -r FILE \
            [EXPRESSION], or skbsim FILE. Shell completion: skbsim \
            --generate-completion-script bash|zsh|fish (docs/cli.md).
            """,
        version: "skbsim version \(version)\n" + String(cString: pcap_lib_version()),
        subcommands: [
            Inspect.self, Stats.self, Compare.self, TraceCommand.self, Layout.self, PageMap.self, Export.self,
            Verify.self,
        ],
        defaultSubcommand: Inspect.self
    )

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CaptureError {
            fail(error.description, status: 1)
        } catch let error as InputError {
            if error.report { failReport(error.description) }
            fail(error.description, status: 1)
        } catch let error as SkbError {
            fail("the model hit a kernel BUG: " + error.message, status: 1)
        } catch {
            let status = exitCode(for: error)
            if status == .success {
                // --help, --version: ArgumentParser prints them.
                exit(withError: error)
            }
            if status == .validationFailure {
                fail(message(for: error), status: 2)
            }
            exit(withError: error)
        }
    }

    /// Prints a multi-line report (kmemleak, KASAN) to stderr and exits 1.
    static func failReport(_ text: String) -> Never {
        let body = "skbsim: " + text + "\n"
        _ = body.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        Glibc.exit(1)
    }

    /// Prints one line to stderr and exits.
    static func fail(_ message: String, status: Int32) -> Never {
        let line = "skbsim: " + message.split(separator: "\n").joined(separator: "; ") + "\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
        Glibc.exit(status)
    }
}

/// A problem with the input that is not the capture reader's own error.
/// `report` = a multi-line model report (kmemleak, KASAN) printed whole.
struct InputError: Error, CustomStringConvertible {
    var description: String
    var report = false
}
