// Build-tool plugin: embeds every Tracks/*.json of the package into the Simulator module as Swift
// string literals, so built-in tracks defined only by their JSON need no resource bundle at run
// time (the binary works wherever it is copied or linked).
import Foundation
import PackagePlugin

@main
struct EmbedTracks: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    let folder = context.package.directoryURL.appending(path: "Tracks")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".json") }.sorted()
    let inputs = names.map { folder.appending(path: $0) }
    let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedTracks.swift")
    return [
      .buildCommand(
        displayName: "Embedding \(names.count) track files from Tracks/",
        executable: try context.tool(named: "EmbedTracksTool").url,
        arguments: [output.path] + inputs.map(\.path),
        inputFiles: inputs,
        outputFiles: [output])
    ]
  }
}
