import Testing
@testable import Drive
