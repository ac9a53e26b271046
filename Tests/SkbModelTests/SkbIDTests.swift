import SkbModel
import Testing

@Test func handleDescriptionNamesTheSlot() {
    let handle = SkbID(index: 3, generation: 2)
    #expect(handle.description == "skb#3")
}
