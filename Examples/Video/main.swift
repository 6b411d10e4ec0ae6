print("Video: not implemented yet")
