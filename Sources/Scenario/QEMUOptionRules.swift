// What a scenario may put on QEMU's command line (`machine.devices`, `machine.cpu`,
// `machine.qemu-args`): allowlists of device models and their properties, of `-machine` and
// `-global` properties and of options and their forms. Anything not listed is refused: a
// property or option that attaches a backend or names a host path (chardev=, drive=, netdev=,
// romfile=, pcap=, file=, firmware=, kernel=, -drive, -chardev, -plugin ...) is simply not
// there. Each value is parsed (OptionValue) and QEMU gets the re-encoded form.
//
// These rules are the scenario's only. The harness adds its own options (sockets, -S,
// -sandbox, -accel, -action panic=none, later -icount from a profile key) in QEMUCommandLine,
// which is not bound by them.

enum QEMUOptionRules {
    /// Placement of a PCI device; not `romfile` (a host file), `rombar` or `x-*` knobs.
    static let pciPlacement: Set<String> = ["bus", "addr", "multifunction", "id"]
    static let usbPlacement: Set<String> = ["bus", "port", "id"]

    /// Device models a scenario may add, and the properties each may set. A NIC gets no
    /// `netdev` (it stays unplugged), a USB device no `pcap` (it writes a host file).
    static let devices: [String: Set<String>] = [
        "virtio-rng-pci": pciPlacement.union(["max-bytes", "period"]),
        "virtio-balloon-pci": pciPlacement,
        "virtio-keyboard-pci": pciPlacement,
        "virtio-mouse-pci": pciPlacement,
        "virtio-tablet-pci": pciPlacement,
        "virtio-net-pci": pciPlacement.union(["mac"]),
        "e1000": pciPlacement.union(["mac"]),
        "e1000e": pciPlacement.union(["mac"]),
        "rtl8139": pciPlacement.union(["mac"]),
        "pci-testdev": pciPlacement.union(["membar"]),
        "edu": pciPlacement.union(["dma_mask"]),
        "pci-bridge": pciPlacement.union(["chassis_nr", "shpc", "msi"]),
        "pcie-root-port": pciPlacement.union(["chassis", "slot", "port"]),
        "i6300esb": pciPlacement,
        // Displays the harness can see through `screendump` (screen steps, the display
        // watchdog): QEMU's standard VGA and the VGA-less Bochs display, both 1234:1111 with the
        // framebuffer at BAR0. No `romfile`.
        "VGA": pciPlacement.union(["vgamem_mb", "edid", "xres", "yres", "xmax", "ymax"]),
        "bochs-display": pciPlacement.union(["vgamem", "edid", "xres", "yres", "xmax", "ymax"]),
        "ib700": ["id"],
        "qemu-xhci": pciPlacement.union(["p2", "p3"]),
        "usb-ehci": pciPlacement,
        "piix3-usb-uhci": pciPlacement,
        "usb-kbd": usbPlacement,
        "usb-mouse": usbPlacement,
        "usb-tablet": usbPlacement,
        "intel-iommu": ["id", "intremap", "caching-mode", "aw-bits", "device-iotlb", "eim"],
        "isa-debug-exit": ["id", "iobase", "iosize"],
        "pvpanic": ["id", "ioport"],
    ]

    /// `-global DRIVER.PROPERTY=VALUE`: the device properties above, and these of built-in devices.
    static let globals: [String: Set<String>] = devices.merging([
        "mc146818rtc": ["lost_tick_policy"],
        "kvm-pit": ["lost_tick_policy"],
        "ICH9-LPC": ["disable_s3", "disable_s4"],
        "PIIX4_PM": ["disable_s3", "disable_s4"],
    ]) { $0.union($1) }

    /// `-machine [TYPE,]key=value,...` (pc and q35): none names a host path (not `firmware`,
    /// `kernel`, `initrd`, `dtb`, `dumpdtb`, `memory-backend`, `accel` ...).
    static let machineProperties: Set<String> = [
        "kernel-irqchip", "smm", "vmport", "sata", "usb", "hpet", "pit", "pic", "acpi", "i8042", "smbus",
        "max-ram-below-4g", "mem-merge", "dump-guest-core", "suppress-vmdesc", "graphics",
        "default-bus-bypass-iommu",
    ]

    /// How an option of `qemu-args` is written.
    enum Form {
        /// No value (`-no-shutdown`).
        case flag
        /// One value: a head word (when `head` is given, from that set; nil: any word) and
        /// key=value pairs, each key from `keys` and, where listed, each value from `values`.
        case value(head: HeadRule, keys: Set<String>, values: [String: Set<String>])
        /// `-global DRIVER.PROPERTY=VALUE` (the long driver=,property=,value= form is refused).
        case global
    }

    enum HeadRule {
        case none
        case optional  // `-machine q35,...` or `-machine hpet=off`
        case required(Set<String>)
    }

    static let onOff: Set<String> = ["on", "off"]

    /// The options a scenario may use, with their forms.
    static let options: [String: Form] = [
        "-machine": .value(head: .optional, keys: machineProperties, values: [:]),
        "-rtc": .value(
            head: .none, keys: ["base", "clock", "driftfix"],
            values: ["clock": ["host", "rt", "vm"], "driftfix": ["none", "slew"]]),
        "-icount": .value(head: .none, keys: ["shift", "align", "sleep"], values: ["align": onOff, "sleep": onOff]),
        "-overcommit": .value(head: .none, keys: ["mem-lock", "cpu-pm"], values: ["mem-lock": onOff, "cpu-pm": onOff]),
        "-numa": .value(
            head: .required(["node", "dist", "cpu"]),
            keys: [
                "nodeid", "cpus", "initiator", "src", "dst", "val", "node-id", "socket-id", "die-id",
                "core-id", "thread-id",
            ], values: [:]),
        "-smbios": .value(
            head: .none,
            keys: [
                "type", "vendor", "version", "date", "release", "uefi", "manufacturer", "product",
                "serial", "uuid", "sku", "family", "asset", "location", "part", "speed",
            ],
            values: ["type": ["0", "1", "2", "3", "4", "17"]]),
        // `panic=` is the harness's (it reads GUEST_PANICKED with -action panic=none).
        "-action": .value(
            head: .none, keys: ["reboot", "shutdown", "watchdog"],
            values: [
                "reboot": ["reset", "shutdown"], "shutdown": ["poweroff", "pause"],
                "watchdog": ["reset", "shutdown", "poweroff", "pause", "debug", "none", "inject-nmi"],
            ]),
        "-global": .global,
        "-no-shutdown": .flag,
    ]

    /// Spellings QEMU also accepts, refused so that one option has one name the rules know.
    static let aliases: [String: String] = [
        "-M": "-machine", "-enable-kvm": "machine.accel: kvm", "-no-hpet": "-machine hpet=off",
        "-no-acpi": "-machine acpi=off",
    ]

    /// `machine.devices`: each value re-encoded, or why it is refused.
    static func device(_ text: String) -> Result<String, IsolationProblem> {
        let what = "machine.devices"
        if text.hasPrefix("-") {
            return .failure(.init("\(what): a value cannot start with '-': '\(IsolationRules.printable(text))'"))
        }
        let value: OptionValue
        switch OptionValue.parse(text, headed: true, what: what) {
        case .failure(let problem): return .failure(problem)
        case .success(let parsed): value = parsed
        }
        let driver = value.head ?? ""
        guard let allowed = devices[driver] else {
            return .failure(
                .init(
                    "\(what): '\(driver)' is not a device model scenarios may add (allowed: \(devices.keys.sorted().joined(separator: ", ")))"
                ))
        }
        for (key, _) in value.pairs where !allowed.contains(key) {
            return .failure(.init("\(what): \(driver) may set only \(allowed.sorted().joined(separator: ", ")); not '\(key)='"))
        }
        return .success(value.encoded)
    }

    /// `machine.cpu`: a model name, then `+feature`, `-feature` or key=value items, re-encoded
    /// with the features as `feature=on`/`feature=off`. CPU properties reach no host resource.
    static func cpu(_ text: String) -> Result<String, IsolationProblem> {
        let what = "machine.cpu"
        if text.hasPrefix("-") {
            return .failure(.init("\(what): a value cannot start with '-': '\(IsolationRules.printable(text))'"))
        }
        var items = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let model = items.removeFirst()
        let rewritten =
            [model]
            + items.map { item -> String in
                if item.hasPrefix("+") { return item.dropFirst() + "=on" }
                if item.hasPrefix("-") { return item.dropFirst() + "=off" }
                return item
            }
        return OptionValue.parse(rewritten.joined(separator: ","), headed: true, what: what).map(\.encoded)
    }

    /// `machine.qemu-args`: the words re-encoded, or why they are refused.
    static func arguments(_ words: [String]) -> Result<[String], IsolationProblem> {
        let what = "machine.qemu-args"
        var output: [String] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            if let problem = IsolationRules.textProblem(word) { return .failure(.init("\(what): \(problem)")) }
            guard word.hasPrefix("-") else {
                // QEMU reads a word that is not an option as a disk image to open read-write.
                return .failure(
                    .init(
                        "\(what): '\(IsolationRules.printable(word))' is not an option, and QEMU would open it as a disk image; every word is an option or the value right after one"
                    ))
            }
            if let canonical = aliases[word] {
                return .failure(.init("\(what): '\(word)' is another spelling; write \(canonical)"))
            }
            guard let form = options[word] else {
                return .failure(
                    .init(
                        "\(what) may only use \(options.keys.sorted().joined(separator: " ")); not '\(IsolationRules.printable(word))' (sockets, monitors, disks, files and devices are the harness's or machine.devices')"
                    ))
            }
            index += 1
            output.append(word)
            if case .flag = form { continue }
            guard index < words.count, !words[index].hasPrefix("-") else {
                return .failure(.init("\(what): \(word) needs a value after it"))
            }
            let value = words[index]
            index += 1
            switch check(value, of: word, form: form) {
            case .failure(let problem): return .failure(problem)
            case .success(let encoded): output.append(encoded)
            }
        }
        return .success(output)
    }

    private static func check(_ text: String, of option: String, form: Form) -> Result<String, IsolationProblem> {
        let what = "machine.qemu-args \(option)"
        switch form {
        case .flag:
            return .success("")
        case .global:
            let parsed: OptionValue
            switch OptionValue.parse(text, headed: false, what: what) {
            case .failure(let problem): return .failure(problem)
            case .success(let value): parsed = value
            }
            guard parsed.pairs.count == 1, let pair = parsed.pairs.first, let dot = pair.key.firstIndex(of: ".") else {
                return .failure(
                    .init(
                        "\(what): write DRIVER.PROPERTY=VALUE (one property; the driver=,property=,value= form is not accepted), not '\(IsolationRules.printable(text))'"
                    ))
            }
            let driver = String(pair.key[..<dot])
            let property = String(pair.key[pair.key.index(after: dot)...])
            guard let allowed = globals[driver], allowed.contains(property) else {
                return .failure(
                    .init(
                        "\(what): '\(IsolationRules.printable(pair.key))' is not a property scenarios may set (drivers and properties of machine.devices, mc146818rtc.lost_tick_policy, ICH9-LPC.disable_s3 ...)"
                    ))
            }
            return .success(parsed.encoded)
        case .value(let headRule, let keys, let values):
            let headed: Bool
            switch headRule {
            case .none: headed = false
            case .required: headed = true
            case .optional: headed = !(text.split(separator: ",").first ?? "").contains("=")
            }
            let parsed: OptionValue
            switch OptionValue.parse(text, headed: headed, what: what) {
            case .failure(let problem): return .failure(problem)
            case .success(let value): parsed = value
            }
            if case .required(let heads) = headRule, let head = parsed.head, !heads.contains(head) {
                return .failure(.init("\(what): must start with one of \(heads.sorted().joined(separator: ", ")), not '\(head)'"))
            }
            for (key, value) in parsed.pairs {
                guard keys.contains(key) else {
                    return .failure(.init("\(what) may set only \(keys.sorted().joined(separator: ", ")); not '\(key)='"))
                }
                if let choices = values[key], !choices.contains(value) {
                    return .failure(
                        .init("\(what): \(key) must be one of \(choices.sorted().joined(separator: ", ")), not '\(value)'"))
                }
            }
            return .success(parsed.encoded)
        }
    }
}
