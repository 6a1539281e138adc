// The object the churn workloads allocate and release: a class instance (so each goes through
// the Swift runtime's allocator) linked to another. Used by `storm=churn` and the runtime tests.

final class ChurnNode {
    var value: Int
    var next: ChurnNode?
    init(_ value: Int) { self.value = value }
}
