import Foundation
import TensorCore

/// The three kinds of worker thread of an `EpochPipeline`.
extension EpochPipeline {
  // MARK: readers

  func readLoop() {
    while true {
      monitor.lock()
      // Wait for a position within the prefetch window and a free buffer for it.
      while !stopped && failure == nil && claimed < chunkOrder.count
        && (claimed >= consumed + loader.prefetchChunks || (spareChunks.isEmpty && heldChunks >= chunkLimit))
      {
        monitor.wait(.readers)
      }
      if stopped || failure != nil || claimed >= chunkOrder.count {
        monitor.unlock()
        return
      }
      let position = claimed
      claimed += 1
      var reused = spareChunks.popLast()
      if reused == nil {
        heldChunks += 1
        reused = loader.chunkPool.take()
        if reused == nil { stats.chunkBuffersAllocated += 1 }
        noteMemoryLocked()
      }
      monitor.unlock()

      let chunk =
        reused ?? ChunkData(capacity: schedule.chunkImages, imageBytes: direct == nil ? imageBytes : 0)
      let begin = DispatchTime.now()
      do {
        try read(chunkOrder[position], into: chunk)
      } catch {
        fail(error)
        return
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - begin.uptimeNanoseconds) / 1e9
      monitor.withLock {
        ready[position] = chunk
        stats.readSeconds += seconds
        monitor.wake(.planner)
      }
    }
  }

  /// Labels and provenance of store chunk `index`; its images too, unless the assemblers read them
  /// directly (then the kernel is only asked to start reading them into its page cache).
  private func read(_ index: Int, into chunk: ChunkData) throws {
    let range = schedule.chunkRange(index)
    chunk.chunk = index
    chunk.count = range.count
    direct?.prefetch(chunk: index)
    try chunk.steering.withUnsafeMutableBytes { steering in
      if direct != nil {
        try store.read(split, range: range, images: nil, steering: steering)
      } else {
        try chunk.images.withUnsafeMutableBytes { images in
          try store.read(split, range: range, images: images, steering: steering)
        }
      }
    }
    chunk.provenance = try store.provenance(of: split, range: range)
  }

  // MARK: planner

  func planLoop() {
    var pages = [ChunkData?](repeating: nil, count: schedule.pages)
    var plan = BatchPlan(sequence: 0, capacity: batchSize)
    var emitted = 0  // samples of the epoch's global order so far
    let inFlight = loader.prefetchBatches + loader.assemblerThreads

    func submit() -> Bool {
      monitor.lock()
      defer { monitor.unlock() }
      while !stopped && failure == nil && planned - delivered >= inFlight { monitor.wait(.planner) }
      if stopped || failure != nil { return false }
      for chunk in plan.chunks { chunk.pendingCopies += 1 }
      var freed = false
      for chunk in plan.emptied {
        chunk.isPage = false
        // Sharded: a page can run empty with none of its samples in this shard's plans.
        if chunk.pendingCopies == 0 {
          spareChunks.append(chunk)
          freed = true
        }
      }
      if freed { monitor.wake(.readers) }
      plans.append(plan)
      planned += 1
      monitor.wake(.assemblers)
      plan = BatchPlan(sequence: planned, capacity: batchSize)
      return true
    }

    let completed = schedule.drive(
      &rng,
      load: { page, position in
        // Waits for the chunk at `position` and makes it `page` (no copy).
        monitor.lock()
        defer { monitor.unlock() }
        while !stopped && failure == nil && ready[position] == nil { monitor.wait(.planner) }
        guard !stopped, failure == nil, let chunk = ready.removeValue(forKey: position) else { return nil }
        consumed += 1
        chunk.isPage = true
        monitor.wake(.readers)  // the prefetch window moved
        pages[page] = chunk
        return chunk.count
      },
      emit: { page, index, pageNowEmpty in
        let chunk = pages[page]!
        // Position in the global batch; only this shard's share of it goes into the plan.
        let offset = emitted % globalBatch
        let size = min(globalBatch, schedule.sampleCount - (emitted - offset))
        emitted += 1
        if sliceRange(count: size, parts: shard.count, index: shard.index).contains(offset) {
          plan.chunks.append(chunk)
          plan.indices.append(index)
        }
        if pageNowEmpty {
          plan.emptied.append(chunk)
          pages[page] = nil
        }
        return offset + 1 < size || submit()
      })
    // Every global batch was submitted when its last sample was emitted.
    guard completed else { return }
    monitor.withLock {
      planningDone = true
      monitor.wake(.assemblers, .consumer)
    }
  }

  // MARK: assemblers

  func assembleLoop() {
    while true {
      monitor.lock()
      while !stopped && failure == nil && plans.isEmpty && !planningDone { monitor.wait(.assemblers) }
      if stopped || failure != nil || plans.isEmpty {
        monitor.unlock()
        return
      }
      let plan = plans.removeFirst()
      // Only full batches use the pool (an epoch's short last one is allocated and not kept).
      let reused = plan.count == batchSize ? loader.batchPool.take(bytes: plan.count * imageBytes) : nil
      batchBytesHeld += batchBytes(plan.count)
      noteMemoryLocked()
      monitor.unlock()

      let begin = DispatchTime.now()
      let batch: SampleBatch
      let arrays: (allocated: Bool, copied: Bool)
      do {
        (batch, arrays) = try assemble(plan, reusing: consume reused)
      } catch {
        fail(error)
        return
      }
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - begin.uptimeNanoseconds) / 1e9
      monitor.lock()
      // Short batches (an epoch's last) would not fit the next full one: not kept. The array moves
      // from "being assembled" to the pool under the lock, or a peak measured in between would
      // count it twice and exceed the bound.
      if batch.count == batchSize { loader.batchPool.keep(batch.images) }
      batchBytesHeld -= batchBytes(plan.count)
      stats.batchArraysAllocated += arrays.allocated ? 1 : 0
      stats.batchArraysCopied += arrays.copied ? 1 : 0
      stats.copySeconds += seconds
      var freed = false
      for chunk in plan.chunks {
        chunk.pendingCopies -= 1
        if chunk.pendingCopies == 0 && !chunk.isPage {
          spareChunks.append(chunk)
          freed = true
        }
      }
      // No reference may stay in this thread: the array must come back to the pool unique.
      finished[plan.sequence] = consume batch
      monitor.wake(.consumer)
      if freed { monitor.wake(.readers) }
      monitor.unlock()
    }
  }

  /// One copy per image, into the batch: from the page cache (direct reads) or the chunk buffer.
  /// Image, label and provenance of a sample come from the same chunk slot. Also says whether the
  /// image array was new, or a reused one the consumer still held (copy-on-write).
  private func assemble(_ plan: BatchPlan, reusing reused: consuming [UInt8]?) throws -> (
    SampleBatch, (allocated: Bool, copied: Bool)
  ) {
    let imageBytes = imageBytes
    let total = plan.count * imageBytes
    let allocated = reused == nil
    // Every byte is overwritten below: skip zeroing.
    var images = (consume reused) ?? [UInt8](unsafeUninitializedCapacity: total) { _, count in count = total }
    let before = images.withUnsafeBytes { $0.baseAddress }
    var copied = false
    var steering: [Float] = []
    var provenance: [SampleProvenance] = []
    steering.reserveCapacity(plan.count)
    provenance.reserveCapacity(plan.count)
    try images.withUnsafeMutableBytes { target in
      copied = !allocated && UnsafeRawPointer(target.baseAddress) != before
      for (chunk, index) in zip(plan.chunks, plan.indices) {
        let slot = target.baseAddress! + steering.count * imageBytes
        if let direct {
          try direct.read(chunk: chunk.chunk, index: index, into: slot)
        } else {
          chunk.images.withUnsafeBytes { source in
            slot.copyMemory(from: source.baseAddress! + index * imageBytes, byteCount: imageBytes)
          }
        }
        steering.append(chunk.steering[index])
        provenance.append(chunk.provenance[index])
      }
    }
    let shape = store.imageShape
    let batch = SampleBatch(
      images: images, labels: steering, provenance: provenance, height: shape[0], width: shape[1],
      channels: shape[2])
    return (batch, (allocated, copied))
  }
}
