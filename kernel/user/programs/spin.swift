// spin: runs until it is killed (argument 1: yields between rounds instead of burning the CPU).
func programMain(argument: UInt64) -> Int {
    var n: UInt64 = 0
    while true {
        n &+= 1
        if argument == 1 { Sys.yield() }
    }
}
