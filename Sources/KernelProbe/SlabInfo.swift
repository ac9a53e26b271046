/// One cache line of /proc/slabinfo (version 2.1):
/// `name active_objs num_objs objsize objperslab pagesperslab : tunables ... : slabdata ...`.
///
/// With SLUB cache merging (CONFIG_SLAB_MERGE_DEFAULT) a cache may be absent because it
/// was merged into another one of equal size and flags; that is why e.g.
/// `skbuff_fclone_cache` can be missing from the list.
public struct SlabCacheInfo: Sendable, Hashable {
    public var name: String
    public var activeObjects: Int
    public var totalObjects: Int
    /// Bytes per object as the allocator hands them out (what `ksize()` reports).
    public var objectSize: Int
    public var objectsPerSlab: Int
    public var pagesPerSlab: Int

    public init(
        name: String, activeObjects: Int, totalObjects: Int, objectSize: Int,
        objectsPerSlab: Int, pagesPerSlab: Int
    ) {
        self.name = name
        self.activeObjects = activeObjects
        self.totalObjects = totalObjects
        self.objectSize = objectSize
        self.objectsPerSlab = objectsPerSlab
        self.pagesPerSlab = pagesPerSlab
    }
}

public enum SlabInfo {
    /// Parses /proc/slabinfo text; header and comment lines are skipped.
    public static func parse(_ text: String) -> [SlabCacheInfo] {
        text.split(separator: "\n").compactMap { line in
            if line.hasPrefix("#") || line.hasPrefix("slabinfo") { return nil }
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 6,
                let active = Int(f[1]), let total = Int(f[2]), let size = Int(f[3]),
                let per = Int(f[4]), let pages = Int(f[5])
            else { return nil }
            return SlabCacheInfo(
                name: String(f[0]), activeObjects: active, totalObjects: total,
                objectSize: size, objectsPerSlab: per, pagesPerSlab: pages)
        }
    }

    /// Reads /proc/slabinfo (root only: the file is mode 0400); nil if unreadable.
    public static func read(_ path: String = "/proc/slabinfo") -> [SlabCacheInfo]? {
        SystemFiles.readText(path).map(parse)
    }
}
