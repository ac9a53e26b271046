import Foundation
import SampleKit

// Generates skbsim's sample captures. Usage: skbsim-samples [OUTPUT-DIR]
let output = CommandLine.arguments.dropFirst().first ?? "samples"
do {
    try SampleCatalog.writeAll(to: output)
    for sample in SampleCatalog.samples() {
        print("\(output)/\(sample.name): \(sample.packetCount) packets, \(sample.bytes.count) bytes")
    }
} catch {
    print("skbsim-samples: cannot write to \(output): \(error)")
    exit(1)
}
