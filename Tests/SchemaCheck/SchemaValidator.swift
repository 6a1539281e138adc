// Runs xmllint against the project's own JUnit schema (junit.xsd beside this file, written from
// the Ant/Jenkins JUnit format), so any clone checks its reports; the schema's absence is a
// failure, never a skip.
import Foundation
import TestSupport

public enum SchemaValidator {
    public static var schemaPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("junit.xsd").path
    }

    /// xmllint's verdict on `file`: nil when valid, its complaint otherwise.
    public static func problems(in file: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: schemaPath) else {
            throw SchemaMissing(path: schemaPath)
        }
        let lint = try Tool.run(["xmllint", "--noout", "--schema", schemaPath, file])
        return lint.status == 0 ? nil : lint.errors
    }

    /// Evaluates an XPath expression with xmllint (e.g. `count(//testcase)`).
    public static func xpath(_ expression: String, in file: String) throws -> String {
        try Tool.run(["xmllint", "--xpath", expression, file]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct SchemaMissing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "JUnit schema not found at \(path): it is part of the repository (Tests/SchemaCheck/junit.xsd)"
        }
    }
}
