// exit0: exits at once with status 0 (or with its argument, for tests of exit statuses).
func programMain(argument: UInt64) -> Int { Int(truncatingIfNeeded: argument) }
