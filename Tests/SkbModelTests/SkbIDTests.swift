import Testing
import SkbModel

@Test func handleDescriptionNamesTheSlot() {
    let handle = SkbID(index: 3, generation: 2)
    #expect(handle.description == "skb#3")
}
