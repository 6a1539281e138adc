// spawner: starts `argument` exit0 children (each exiting with its index), waits for every
// one, and exits 0 only if each reported its own status.
func programMain(argument: UInt64) -> Int {
    var pids: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    let count = Int(min(argument, 8))
    withUnsafeMutableBytes(of: &pids) { raw in
        let p = raw.bindMemory(to: Int.self)
        for i in 0..<count { p[i] = Sys.spawn("exit0", argument: UInt64(i + 1)) }
    }
    var failures = 0
    withUnsafeMutableBytes(of: &pids) { raw in
        let p = raw.bindMemory(to: Int.self)
        for i in 0..<count {
            if p[i] <= 0 || Sys.wait(p[i]) != i + 1 { failures += 1 }
        }
    }
    return failures
}
