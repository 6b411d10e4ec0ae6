import Testing
@testable import H5Store
