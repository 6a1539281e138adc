// json-c, seen from Swift. The QMP module parses QEMU's byte stream with json-c's incremental
// tokener and builds the JSON it sends with json-c's printer.
#include <json-c/json.h>
#include <json-c/json_tokener.h>
