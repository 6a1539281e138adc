// Foundation's file errors read as "Error Domain=NSCocoaErrorDomain Code=640 ..."; a person
// needs the system's own words ("No space left on device").
import Foundation

/// The POSIX reason behind a Foundation file error, else the error as it describes itself.
public func fileErrorText(_ error: Error) -> String {
    var current = error as NSError
    while current.domain != NSPOSIXErrorDomain, let underlying = current.userInfo[NSUnderlyingErrorKey] as? NSError {
        current = underlying
    }
    if current.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(current.code))) }
    return "\(error)"
}
