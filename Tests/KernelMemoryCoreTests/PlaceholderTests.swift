import Testing
@testable import KernelMemoryCore
@Test func placeholder() { #expect(1 + 1 == 2) }
