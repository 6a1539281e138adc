enum KernelTests { static func run(glob: CommandLineSlice) -> Bool { true } }
