import SampleKit

// Generates skbsim's sample captures. Usage: skbsim-samples [OUTPUT-DIR]
let output = CommandLine.arguments.dropFirst().first ?? "samples"
print("skbsim-samples: nothing to write to \(output) yet")
