import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import NNReport
import Testing

@Suite struct ScatterSVGTests {
    @Test func wellFormedWithLegendAndOneDotPerRow() {
        let svg = ScatterSVG.render(x: [0, 1, 2, .nan], y: [0, 1, 4, 1], classes: [0, 1, 1, 0],
                                    classNames: ["a<b", "\"q\" & 'r'"], title: "t-SNE <digits>")
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "not well-formed: \(String(describing: parser.parserError))")
        #expect(svg.components(separatedBy: "r=\"2.4\"").count - 1 == 3)   // the NaN row is not drawn
        #expect(svg.contains("a&lt;b (1)") && svg.contains("&quot;q&quot; &amp; &#39;r&#39; (2)"))
        #expect(svg.contains("t-SNE &lt;digits&gt;"))
    }
}
