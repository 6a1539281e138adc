// Conversion between json-c's objects and JSONValue. json-c owns the parsing and the printing
// (escaping included); this file only walks its objects.
import CJSONC

public enum JSONCodec {
    /// Converts a json-c object (borrowed, not released here) to a JSONValue.
    static func value(from object: OpaquePointer?) -> JSONValue {
        guard let object else { return .null }
        switch json_object_get_type(object) {
        case json_type_null: return .null
        case json_type_boolean: return .bool(json_object_get_boolean(object) != 0)
        case json_type_int:
            // json-c keeps integers above Int64.max as unsigned; they do not occur in QMP's
            // schema except as byte counts, where a Double is precise enough.
            let signed = json_object_get_int64(object)
            if signed == Int64.max, json_object_get_uint64(object) > UInt64(Int64.max) {
                return .double(Double(json_object_get_uint64(object)))
            }
            return .int(signed)
        case json_type_double: return .double(json_object_get_double(object))
        case json_type_string:
            let length = Int(json_object_get_string_len(object))
            guard let bytes = json_object_get_string(object) else { return .string("") }
            let buffer = UnsafeRawBufferPointer(start: bytes, count: length)
            return .string(String(decoding: buffer, as: UTF8.self))
        case json_type_array:
            let count = json_object_array_length(object)
            return .array((0..<count).map { value(from: json_object_array_get_idx(object, $0)) })
        case json_type_object:
            var members: [String: JSONValue] = [:]
            var iterator = json_object_iter_begin(object)
            var end = json_object_iter_end(object)
            while json_object_iter_equal(&iterator, &end) == 0 {
                let key = String(cString: json_object_iter_peek_name(&iterator))
                members[key] = value(from: json_object_iter_peek_value(&iterator))
                json_object_iter_next(&iterator)
            }
            return .object(members)
        default:
            return .null
        }
    }

    /// Builds a new json-c object for `value`; the caller owns the reference.
    static func object(for value: JSONValue) -> OpaquePointer? {
        switch value {
        case .null: return nil
        case .bool(let flag): return json_object_new_boolean(flag ? 1 : 0)
        case .int(let number): return json_object_new_int64(number)
        case .double(let number): return json_object_new_double(number)
        case .string(let text):
            return text.withCString { json_object_new_string_len($0, Int32(text.utf8.count)) }
        case .array(let items):
            let array = json_object_new_array()
            for item in items { json_object_array_add(array, object(for: item)) }
            return array
        case .object(let members):
            let result = json_object_new_object()
            for key in members.keys.sorted() {
                json_object_object_add(result, key, object(for: members[key]!))
            }
            return result
        }
    }

    /// Compact JSON text for `value`, escaped by json-c.
    public static func serialize(_ value: JSONValue) -> String {
        let object = object(for: value)
        defer { json_object_put(object) }
        let flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE
        guard let text = json_object_to_json_string_ext(object, Int32(flags)) else { return "null" }
        return String(cString: text)
    }

    /// Parses one complete JSON text (used for scenario values and tests, not for the stream).
    public static func parse(_ text: String) -> JSONValue? {
        let framer = QMPFramer()
        let results = framer.feed(Array(text.utf8)) + framer.finish()
        guard results.count == 1, case .message(let value, _) = results[0] else { return nil }
        return value
    }
}
