print("Simulate: not implemented yet")
