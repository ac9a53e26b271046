#if canImport(Glibc)
    import Glibc
#endif

/// Facts about the kernel this process runs on, read from `uname(2)`.
public struct RunningKernel: Sendable, Hashable {
    /// `uname -r`, e.g. "6.18.44".
    public var release: String
    /// `uname -m`, e.g. "x86_64".
    public var machine: String

    public init(release: String, machine: String) {
        self.release = release
        self.machine = machine
    }

    public static func current() -> RunningKernel {
        var info = utsname()
        uname(&info)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
        }
        return RunningKernel(release: field(info.release), machine: field(info.machine))
    }
}
