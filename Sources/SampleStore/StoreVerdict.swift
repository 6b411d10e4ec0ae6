import Foundation
import HDF5

/// What the child found in a sample store (`IsolatedRead.storeVerdict`).
public enum StoreVerdict: Sendable, Equatable {
  /// Complete, and every sample matches the checksums the writer committed.
  case verified(SampleStoreMetadata)
  /// Not marked complete: the writer may resume it. Its structure was read without trouble.
  case incomplete
  /// Not a usable store, with why.
  case damaged(String)
}

extension IsolatedRead {
  /// The child task `storeVerdict` runs: pass to `serveIfChild(tasks:)` in commands that check stores.
  public static let sampleStoreTasks: [String: @Sendable (String) -> H5SnapshotGroup] = [
    "store": storeCheck
  ]

  /// Opens and fully verifies the store at `path` in a child (or here when not `isolated`), and
  /// returns the verdict with the file's identity before the check. Throws only when the child
  /// crashed, hung or answered nonsense.
  public static func storeVerdict(path: String, isolated: Bool) throws -> (StoreVerdict, FileIdentity?) {
    let identity = FileIdentity(path: path)
    let answer = isolated ? try runChild(task: "store", path: path) : .snapshot(storeCheck(path))
    guard case .snapshot(let group) = answer, let verdict = verdict(group) else {
      throw H5StoreError.corrupt(path: path, detail: "the store check answered nonsense")
    }
    return (verdict, identity)
  }

  // MARK: the store check

  private static func storeCheck(_ path: String) -> H5SnapshotGroup {
    var out = H5SnapshotGroup(path: "/")
    do {
      let store = try SampleStore(path: path)
      defer { try? store.close() }
      try store.verify()
      out.attributes["status"] = .strings(["verified"])
      out.attributes["preprocessing"] = .strings([store.metadata.preprocessingJSON])
      out.attributes["seed"] = .unsigned([store.metadata.seed])
      out.attributes["fingerprint"] = .strings([store.metadata.sourceFingerprint])
    } catch H5StoreError.incomplete {
      // The writer will open it to resume: read its whole structure here first.
      if let error = Result(catching: { try H5Snapshot.take(path: path, data: false) }).failure {
        out.attributes["status"] = .strings(["damaged"])
        out.attributes["detail"] = .strings(["\(error)"])
      } else {
        out.attributes["status"] = .strings(["incomplete"])
      }
    } catch {
      out.attributes["status"] = .strings(["damaged"])
      out.attributes["detail"] = .strings(["\(error)"])
    }
    return out
  }

  private static func verdict(_ g: H5SnapshotGroup) -> StoreVerdict? {
    switch try? g.stringAttribute("status") {
    case "verified":
      guard let p = try? g.stringAttribute("preprocessing"),
        let s = try? g.attribute("seed", as: UInt64.self),
        let f = try? g.stringAttribute("fingerprint")
      else { return nil }
      return .verified(SampleStoreMetadata(preprocessingJSON: p, seed: s, sourceFingerprint: f))
    case "incomplete": return .incomplete
    case "damaged": return .damaged((try? g.stringAttribute("detail")) ?? "unreadable")
    default: return nil
    }
  }
}
