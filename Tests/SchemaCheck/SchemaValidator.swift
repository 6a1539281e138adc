// Runs xmllint against Jenkins' JUnit schema. CI has shared/ beside the clone; the schema's
// absence is a failure, never a skip.
import Foundation
import TestSupport

public enum SchemaValidator {
    public static var schemaPath: String {
        if let path = ProcessInfo.processInfo.environment["HARNESS_JUNIT_SCHEMA"] { return path }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../../shared/schemas/jenkins-junit.xsd").standardized.path
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
            "JUnit schema not found at \(path): CI keeps shared/ beside the clone; set HARNESS_JUNIT_SCHEMA to point elsewhere"
        }
    }
}
