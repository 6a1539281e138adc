print("heap-bench: not built yet")
