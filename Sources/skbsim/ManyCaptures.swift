import Capture
import Release

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Several capture files in one command (`stats`, `compare`): the words
/// naming them, directories expanded, and the worker threads that run them.
extension CaptureOptions {
    /// File name endings taken as captures after the first word, and when
    /// walking a directory.
    static let captureExtensions = [".pcap", ".pcapng", ".cap"]

    /// How many leading words name captures: the first word (unless `-r`),
    /// then each word that names an existing directory or an existing file
    /// ending in .pcap, .pcapng or .cap. The first other word starts the
    /// filter expression.
    var captureWordCount: Int {
        guard readFile == nil, !words.isEmpty else { return 0 }
        return 1 + words.dropFirst().prefix { CaptureOptions.isCaptureWord($0) }.count
    }

    static func isCaptureWord(_ word: String) -> Bool {
        if CaptureFiles.isDirectory(word) { return true }
        let lower = word.lowercased()
        return captureExtensions.contains { lower.hasSuffix($0) } && CaptureFiles.exists(word)
    }

    /// The capture words as given (`-r FILE`, or the leading words).
    var captureWords: [String] { readFile.map { [$0] } ?? Array(words.prefix(captureWordCount)) }

    /// The filter expression after all the capture words.
    var manyFilter: String? {
        let rest = readFile == nil ? Array(words.dropFirst(captureWordCount)) : words
        return rest.isEmpty ? nil : rest.joined(separator: " ")
    }

    /// More than one capture, or a directory: the many-capture output.
    var isMany: Bool { captureWords.count > 1 || captureWords.first.map(CaptureFiles.isDirectory) == true }
}

/// Capture files named on the command line.
enum CaptureFiles {
    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    /// The files of `words`: files as given (in the given order), each
    /// directory replaced by the pcap/pcapng files under it, recursively,
    /// sorted by path (byte order). Symbolic links to directories are not
    /// followed. A directory without capture files is an error naming it.
    static func expand(_ words: [String]) throws -> [String] {
        var out: [String] = []
        for word in words {
            if isDirectory(word) {
                var found: [String] = []
                walk(word, into: &found)
                guard !found.isEmpty else {
                    throw InputError(
                        description:
                            "\(word): no capture files in this directory (looked for \(CaptureOptions.captureExtensions.joined(separator: ", ")))"
                    )
                }
                out += found.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            } else {
                out.append(word)
            }
        }
        return out
    }

    private static func walk(_ directory: String, into found: inout [String]) {
        guard let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            let path = base + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: walk(path, into: &found)
            case S_IFREG, S_IFLNK:
                let lower = name.lowercased()
                if CaptureOptions.captureExtensions.contains(where: { lower.hasSuffix($0) }) && !isDirectory(path) {
                    found.append(path)
                }
            default: break
            }
        }
    }

    /// Online cores (`sysconf(_SC_NPROCESSORS_ONLN)`), the default `--jobs`.
    static var coreCount: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

/// Independent jobs (one capture file and configuration each) on up to
/// `jobs` threads. Each job's result goes to its own slot, so the results
/// come back in job order whatever the threads' timing. While the threads
/// run, the calling thread draws the progress bar from the bytes each job
/// has read (`CaptureFileRun`'s progress callback) out of `totalBytes`.
final class WorkerPool<Result>: @unchecked Sendable {
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var next = 0
    private var done = 0
    private var results: [Result?]
    /// Per job: bytes read so far (a finished job: its size).
    private var bytesRead: [Int64]
    private let sizes: [Int64]
    private let body: (Int, @escaping CaptureFileRun.Progress) -> Result

    /// `sizes`: each job's input size in bytes (0 when unknown).
    init(sizes: [Int64], body: @escaping (Int, @escaping CaptureFileRun.Progress) -> Result) {
        pthread_mutex_init(lock, nil)
        self.sizes = sizes
        self.body = body
        results = Array(repeating: nil, count: sizes.count)
        bytesRead = Array(repeating: 0, count: sizes.count)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    private func locked<T>(_ f: () -> T) -> T {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return f()
    }

    /// Runs every job and returns their results in job order.
    func run(jobs: Int, progress: ProgressBar?) -> [Result] {
        let count = sizes.count
        let threads = min(max(1, jobs), count)
        if threads <= 1 {
            // On this thread: the bar is drawn from the progress callback.
            for i in 0..<count {
                let r = body(i) { [self] offset in
                    bytesRead[i] = offset
                    progress?.update(bytes: bytesRead.reduce(0, +), files: (i, count))
                }
                results[i] = r
                bytesRead[i] = sizes[i]
            }
            progress?.finish()
            return results.map { $0! }
        }
        let ids = Threads.start(threads) { [self] in work() }
        if ids.isEmpty { work() }
        if let progress {
            while true {
                let (finished, bytes) = locked { (done, bytesRead.reduce(0, +)) }
                if finished == count { break }
                progress.update(bytes: bytes, files: (finished, count))
                usleep(100_000)
            }
            progress.finish()
        }
        for id in ids { pthread_join(id, nil) }
        return results.map { $0! }
    }

    private func work() {
        while true {
            let i: Int = locked {
                defer { next += 1 }
                return next
            }
            guard i < sizes.count else { return }
            let r = body(i) { [self] offset in locked { bytesRead[i] = offset } }
            locked {
                results[i] = r
                bytesRead[i] = sizes[i]
                done += 1
            }
        }
    }

}

/// Plain POSIX threads: no task executor between the workers and the cores.
enum Threads {
    final class Body: @unchecked Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `count` threads running `body`; fewer when the system refuses some.
    static func start(_ count: Int, _ body: @escaping @Sendable () -> Void) -> [pthread_t] {
        var ids: [pthread_t] = []
        for _ in 0..<count {
            let context = Unmanaged.passRetained(Body(body)).toOpaque()
            var id = pthread_t()
            let rc = pthread_create(&id, nil, threadMain, context)
            if rc == 0 {
                ids.append(id)
            } else {
                Unmanaged<Body>.fromOpaque(context).release()
            }
        }
        return ids
    }
}

private func threadMain(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    Unmanaged<Threads.Body>.fromOpaque(raw!).takeRetainedValue().run()
    return nil
}
