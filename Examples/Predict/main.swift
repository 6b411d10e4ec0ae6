print("Predict: not implemented yet")
