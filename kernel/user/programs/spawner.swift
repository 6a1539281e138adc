// spawner: starts `argument` exit0 children (each exiting with its index, at most 8), waits for
// every one, and exits 0 only if each reported its own status. With `argument` 100 + n it
// starts n children, yields n times (so some of them end first) and exits 0 without waiting:
// its ended children must be freed with it and the others when they end.
func programMain(argument: UInt64) -> Int {
    let waits = argument < 100
    var pids: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    let count = Int(min(waits ? argument : argument - 100, 8))
    withUnsafeMutableBytes(of: &pids) { raw in
        let p = raw.bindMemory(to: Int.self)
        for i in 0..<count { p[i] = Sys.spawn("exit0", argument: UInt64(i + 1)) }
    }
    if !waits {
        for _ in 0..<count { Sys.yield() }
        return 0
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
