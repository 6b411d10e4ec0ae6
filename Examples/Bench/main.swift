print("Bench: not implemented yet")
