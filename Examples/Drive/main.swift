print("Drive: not implemented yet")
