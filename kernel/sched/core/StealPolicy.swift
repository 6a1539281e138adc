// Which CPU an idle CPU steals from (redox's and hermit's idea: read the others' published queue
// lengths, take from the longest). Plain Swift, built for the host as KernelSchedCore.

public enum StealPolicy {
    /// The other online CPU with the longest queue holding at least `minimumLength` tasks, the
    /// lowest index among equals; nil when none does. `length` reads a CPU's published length.
    public static func victim(
        cpus: Int, me: Int, minimumLength: Int, isOnline: (Int) -> Bool,
        length: (Int) -> Int
    ) -> Int? {
        var victim: Int? = nil
        var longest = minimumLength - 1
        for cpu in 0..<cpus where cpu != me && isOnline(cpu) {
            let n = length(cpu)
            if n > longest {
                longest = n
                victim = cpu
            }
        }
        return victim
    }
}
