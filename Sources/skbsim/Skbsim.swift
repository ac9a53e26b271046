import ArgumentParser

@main
struct Skbsim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skbsim",
        abstract: "Simulate the Linux kernel's sk_buff and page_frag allocator over a capture."
    )
}
