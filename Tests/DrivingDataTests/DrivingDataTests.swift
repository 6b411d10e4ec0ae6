import Testing
@testable import DrivingData
