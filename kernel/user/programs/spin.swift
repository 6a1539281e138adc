// spin: runs until it is killed (argument 1: yields between rounds instead of burning the CPU).
import UserSystem

func programMain(argument: UInt64) -> Int {
    var n: UInt64 = 0
    while true {
        n &+= 1
        // Without an instruction it must keep, -Osize drops the empty burning loop and leaves
        // only the yielding one: `spin 0` then yielded for ever, never running in user mode.
        if argument == 1 { Sys.yield() } else { user_pause() }
    }
}
