// The user programs linked into the kernel (see arch/x86_64/include/user_images.h), by name.
import Hardware

enum UserImages {
    /// The image named by the `count` bytes at `name`, as (start, length).
    static func find(_ name: UnsafeRawBufferPointer) -> (start: UInt64, length: Int)? {
        func match(_ s: StaticString) -> Bool {
            s.utf8CodeUnitCount == name.count && (0..<name.count).allSatisfy { s.utf8Start[$0] == name[$0] }
        }
        if match("exit0") { return image(user_image_exit0_start(), user_image_exit0_end()) }
        if match("spin") { return image(user_image_spin_start(), user_image_spin_end()) }
        if match("spawner") { return image(user_image_spawner_start(), user_image_spawner_end()) }
        if match("hog") { return image(user_image_hog_start(), user_image_hog_end()) }
        if match("faulter") { return image(user_image_faulter_start(), user_image_faulter_end()) }
        if match("fuzzer") { return image(user_image_fuzzer_start(), user_image_fuzzer_end()) }
        return nil
    }

    static func find(_ name: StaticString) -> (start: UInt64, length: Int)? {
        find(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    private static func image(_ start: UInt64, _ end: UInt64) -> (start: UInt64, length: Int) { (start, Int(end - start)) }
}
