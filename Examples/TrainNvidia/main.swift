print("TrainNvidia: not implemented yet")
