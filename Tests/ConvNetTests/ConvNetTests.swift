import Testing
@testable import ConvNet
