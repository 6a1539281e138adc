print("harness: not built yet")
