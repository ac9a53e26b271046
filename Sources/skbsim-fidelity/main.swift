// skbsim-fidelity: regenerates docs/fidelity.md (model vs kernel expectations).
//
//   swift run skbsim-fidelity                 write docs/fidelity.md
//   swift run skbsim-fidelity --output FILE   write FILE ("-" = stdout)
//   swift run skbsim-fidelity --check         exit 1 if the file is stale
// Exit 1 also when a row mismatches without a documented reason.
import Fidelity

#if canImport(Glibc)
    import Glibc
#endif

var output = "docs/fidelity.md"
var check = false
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--output": output = args.popFirst() ?? output
    case "--check": check = true
    default:
        print("usage: skbsim-fidelity [--output FILE] [--check]")
        exit(2)
    }
}
do {
    let text = try FidelityDoc.render()
    let unexpected = FidelityTable.profiles.flatMap { FidelityTable.rows($0) }.filter(\.unexpectedMismatch)
    for r in unexpected { print("mismatch: \(r.profile.name) \(r.scenario)") }
    if check {
        if FileIO.read(output) != text {
            print("\(output) is stale: run swift run skbsim-fidelity")
            exit(1)
        }
    } else if output == "-" {
        print(text, terminator: "")
    } else if !FileIO.write(output, text) {
        print("cannot write \(output)")
        exit(1)
    }
    exit(unexpected.isEmpty ? 0 : 1)
} catch {
    print("skbsim-fidelity: \(error)")
    exit(1)
}
