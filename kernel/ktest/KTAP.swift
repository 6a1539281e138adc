// KTAP version 1 output (Linux Documentation/dev-tools/ktap.rst): one top-level test per suite,
// each suite a nested document indented four spaces.

enum KTAP {
    static func header(indent: Bool) {
        Console.line {
            if indent { $0.text("    ") }
            $0.text("KTAP version 1")
        }
    }

    static func plan(_ count: Int, indent: Bool) {
        Console.line {
            if indent { $0.text("    ") }
            $0.text("1..")
            $0.dec(count)
        }
    }

    static func subtest(_ suite: StaticString) {
        Console.line {
            $0.text("    # Subtest: ")
            $0.text(suite)
        }
    }

    static func result(_ ok: Bool, number: Int, name: StaticString, indent: Bool, skipReason: StaticString? = nil) {
        Console.line { l in
            if indent { l.text("    ") }
            l.text(ok ? "ok " : "not ok ")
            l.dec(number)
            l.text(" ")
            l.text(name)
            if let skipReason {
                l.text(" # SKIP ")
                l.text(skipReason)
            }
        }
    }
}
