import Testing

@testable import Capture

@Test func linkTypeNamesMatchLibpcap() {
    #expect(LinkType.ethernet.name == "EN10MB")
    #expect(LinkType.linuxSLL2.name == "LINUX_SLL2")
}
