import Drive
import Foundation
import Testing

/// `ProcessMemory.heap()` reads glibc's `malloc_info`: the memory test's leak measure must see an
/// allocation come and go. 512 MB, mmapped by malloc and never touched, so it costs no RAM, and far
/// above what the tests running beside this one allocate and free meanwhile.
@Suite struct ProcessMemoryTests {
  @Test func heapInUseSeesAnAllocationComeAndGo() throws {
    let size = 512 << 20
    let margin = 128 << 20
    let before = try #require(ProcessMemory.heap(), "malloc_info unavailable or unparsed")
    #expect(before.arenas >= 1)
    let block = try #require(malloc(size))
    let during = try #require(ProcessMemory.heap())
    free(block)
    let after = try #require(ProcessMemory.heap())
    #expect(abs(during.inUse - before.inUse - size) < margin, "\(before) -> \(during)")
    #expect(abs(during.inUse - after.inUse - size) < margin, "\(during) -> \(after)")
  }

  @Test func mallocInfoTotalsAreReadAfterTheLastHeap() throws {
    let xml = """
      <malloc version="1">
      <heap nr="0">
      <total type="fast" count="1" size="7"/>
      <total type="rest" count="2" size="9"/>
      <system type="current" size="11"/>
      </heap>
      <heap nr="1">
      <total type="fast" count="0" size="0"/>
      <total type="rest" count="1" size="5"/>
      <system type="current" size="13"/>
      </heap>
      <total type="fast" count="1" size="100"/>
      <total type="rest" count="3" size="2000"/>
      <total type="mmap" count="1" size="40000"/>
      <system type="current" size="300000"/>
      <system type="max" size="900000"/>
      </malloc>
      """
    let heap = try #require(ProcessMemory.parseMallocInfo(xml))
    #expect(heap == ProcessMemory.Heap(inUse: 300_000 - 100 - 2000 + 40_000, arenas: 2))
    #expect(ProcessMemory.parseMallocInfo("<malloc version=\"1\"></malloc>") == nil)
  }
}
