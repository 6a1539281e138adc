// hog: maps memory in 1 MiB pieces, touching every page, until the kernel refuses; exits with
// the number of MiB it got.
func programMain(argument: UInt64) -> Int {
    var mebibytes = 0
    while true {
        let address = Sys.map(1 << 20)
        if address <= 0 { return mebibytes }
        var page = 0
        while page < 256 {
            UnsafeMutablePointer<UInt64>(bitPattern: UInt(address) + UInt(page * 4096))!.pointee = UInt64(page)
            page += 1
        }
        mebibytes += 1
    }
}
