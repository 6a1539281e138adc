// A process's threads as the host's scheduler saw them: /proc/PID/task/TID/comm for the name,
// /proc/PID/task/TID/schedstat for nanoseconds run on a CPU and nanoseconds spent waiting on a
// run queue. A vCPU thread that waits on the run queue is, to its guest, a CPU that stopped.
import Glibc

public struct ThreadSchedStat: Equatable {
    public let tid: Int32
    public let name: String
    public let runNanoseconds: UInt64
    public let waitNanoseconds: UInt64

    public init(tid: Int32, name: String, runNanoseconds: UInt64, waitNanoseconds: UInt64) {
        self.tid = tid
        self.name = name
        self.runNanoseconds = runNanoseconds
        self.waitNanoseconds = waitNanoseconds
    }

    /// The threads of `pid` whose name `isWanted` accepts; empty once the process is gone.
    public static func threads(of pid: pid_t, where isWanted: (String) -> Bool) -> [ThreadSchedStat] {
        guard let dir = opendir("/proc/\(pid)/task") else { return [] }
        defer { closedir(dir) }
        var list: [ThreadSchedStat] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let tid = Int32(name) else { continue }
            let base = "/proc/\(pid)/task/\(tid)"
            guard let comm = smallFile(base + "/comm")?.split(separator: "\n").first.map(String.init), isWanted(comm),
                let fields = smallFile(base + "/schedstat")?.split(separator: " "), fields.count >= 2,
                let run = UInt64(fields[0]), let wait = UInt64(fields[1])
            else { continue }
            list.append(ThreadSchedStat(tid: tid, name: comm, runNanoseconds: run, waitNanoseconds: wait))
        }
        return list.sorted { $0.tid < $1.tid }
    }

    /// The first 256 bytes of a /proc file.
    private static func smallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }
}
