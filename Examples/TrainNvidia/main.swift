TrainNvidia.main()
