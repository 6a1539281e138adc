// Runs xmllint against the project's own JUnit schema (junit.xsd beside this file, written from
// the Ant/Jenkins JUnit format), so any clone checks its reports; the schema's absence is a
// failure, never a skip.
import Foundation

public enum SchemaValidator {
    public static var schemaPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("junit.xsd").path
    }

    /// xmllint's verdict on `file`: nil when valid, its complaint otherwise.
    public static func problems(in file: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: schemaPath) else {
            throw SchemaMissing(path: schemaPath)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["xmllint", "--noout", "--schema", schemaPath, file]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : text
    }

    /// Evaluates an XPath expression with xmllint (e.g. `count(//testcase)`).
    public static func xpath(_ expression: String, in file: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["xmllint", "--xpath", expression, file]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    struct SchemaMissing: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "JUnit schema not found at \(path): it is part of the repository (Tests/SchemaCheck/junit.xsd)"
        }
    }
}
