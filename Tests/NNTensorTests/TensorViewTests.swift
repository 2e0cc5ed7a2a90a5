import Testing
import NNTensor

/// `Tensor.view`: Flatten and Reshape return their input without copying.
struct TensorViewTests {
    @Test("a view shares the buffer in its own shape; writes show through both ways")
    func sharesTheBuffer() {
        let base = Tensor(shape: [2, 2, 3], values: (0..<12).map(Float.init))
        let view = Tensor(zeros: [5])
        view.view(base, as: [2, 6])
        #expect(view.shape == [2, 6] && view.count == 12)
        #expect(view.floats == base.floats)
        #expect(view.f32 == base.f32)
        view.f32[7] = 70
        #expect(base[7] == 70)
        base.f32[0] = -1
        #expect(view[0] == -1)
    }

    @Test("made again after the base grows, it follows the new buffer; grown itself, it owns one again")
    func followsAndDetaches() {
        let base = Tensor(shape: [1, 4], values: [1, 2, 3, 4])
        let view = Tensor(zeros: [0])
        view.view(base, as: [4])
        base.reshape([3, 4])  // beyond capacity: a new buffer
        for i in 0..<12 { base.f32[i] = Float(i) }
        view.view(base, as: [12])
        #expect(view.floats == (0..<12).map(Float.init))
        view.reshape([20])  // beyond the viewed elements: its own (zeroed) buffer, base untouched
        #expect(view.f32 != base.f32)
        view.f32[0] = 99
        #expect(base[0] == 0)
    }
}
