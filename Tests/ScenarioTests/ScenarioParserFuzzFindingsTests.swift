import QEMUMachine
import Testing

@testable import Scenario

/// Inputs the scenario fuzz target (Tests/Fuzz/ScenarioFuzz) found, cut down.
@Suite struct ScenarioParserFuzzFindingsTests {
    private func refusal(_ text: String) -> ScenarioError? {
        var machine = MachineProfile()
        machine.kernel = "/k/kernel.img"
        let profiles = ProfileLibrary(profiles: ["default": .init(machine: machine, never: [])], file: nil)
        do {
            _ = try ScenarioParser.parseText(text, file: "s.yaml", profiles: profiles)
            return nil
        } catch {
            return error as? ScenarioError
        }
    }

    @Test func aYAMLErrorAtTheEndIsOnTheLastLineNotPastIt() {
        // A last line without its newline: libyaml put the error on line 5 of a 4-line file.
        let error = refusal("expect: running\nwatchdogs:\n  silence: 5s\ncall needs it")
        #expect(error?.line == 4)
        #expect(error?.reason.contains("not valid YAML") == true)
    }
}

extension ScenarioParserFuzzFindingsTests {
    @Test func linesAreCountedAsYAMLCountsThem() {
        // `\rm`: a carriage return ends a line in YAML, so the error on line 2 is right.
        #expect(refusal("\rm")?.line == 2)
        #expect(ScenarioError.lineCount("a\r\nb\rc\nd\u{2028}e") == 5)
    }
}

extension ScenarioParserFuzzFindingsTests {
    @Test func anEmptyDocumentIsRefusedOnItsOwnLine() {
        // `---` alone: Yams put the empty document on line 2 of a 1-line file.
        let error = refusal("---")
        #expect(error?.line == 1)
        #expect(error?.reason == "a scenario must be a mapping of keys to values")
    }
}
