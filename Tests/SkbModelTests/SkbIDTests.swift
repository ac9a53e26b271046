import Testing
import SkbModel

@Test func staleHandleDiffersFromNewOccupant() {
    let old = SkbID(index: 3, generation: 1)
    let new = SkbID(index: 3, generation: 2)
    #expect(old != new)
    #expect(old.description == "skb#3")
}
