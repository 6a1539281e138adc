// Glibc offers Swift neither accept4 nor pipe2, so some descriptors are created first and marked
// close-on-exec a moment later. Holding this lock across both steps, and across posix_spawn,
// keeps a QEMU started by another VM's thread from inheriting such a descriptor in between.
import Glibc

final class SpawnLock {
    static let shared = SpawnLock()
    private var mutex = pthread_mutex_t()

    private init() { pthread_mutex_init(&mutex, nil) }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
