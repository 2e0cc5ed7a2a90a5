import Foundation
import NNConfig
import NNTensor
import Testing
@testable import NNCheckpoint

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// A safetensors file from a header text and data bytes: the 8-byte length, the header, the data.
private func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
    let h = Array(header.utf8)
    let n = length ?? UInt64(h.count)
    return (0..<8).map { UInt8((n >> (8 * UInt64($0))) & 0xFF) } + h + data
}

private func reason(_ bytes: [UInt8]) -> String {
    do {
        _ = try SafeTensorsArchive(contents: bytes, file: "w.safetensors")
        return "accepted"
    } catch {
        return error.description
    }
}

@Suite struct SafeTensorsTests {
    @Test func roundTripIsByteExactAndValueExact() throws {
        var rng = RNG(seed: 7)
        let a = Tensor(shape: [3, 5], values: (0..<15).map { _ in Float(rng.nextDouble() * 2 - 1) })
        let b = Tensor(shape: [4], doubles: [0.1, -2.5, 1e-300, 3], dtype: .float64)
        let empty = Tensor(zeros: [0, 3])
        let bytes = SafeTensorsArchive.encode([("dense.kernel", a), ("x.b", b), ("e", empty)], metadata: [("k", "v")])
        #expect((bytes.count - 8 - 3 * 5 * 4 - 4 * 8) % 8 == 0)   // header padded to 8 bytes
        let archive = try SafeTensorsArchive(contents: bytes, file: "t")
        #expect(archive.entries.map(\.name) == ["dense.kernel", "x.b", "e"])
        #expect(archive.entries.map(\.dtype) == ["F32", "F64", "F32"])
        #expect(archive.metadata.map(\.key) == ["k"] && archive.metadata.map(\.value) == ["v"])
        let a2 = Tensor(zeros: [3, 5]), b2 = Tensor(zeros: [4], dtype: .float64)
        archive.copy(archive.entries[0], into: a2)
        archive.copy(archive.entries[1], into: b2)
        #expect((0..<15).allSatisfy { a2.f32[$0].bitPattern == a.f32[$0].bitPattern })
        #expect((0..<4).allSatisfy { b2.f64[$0].bitPattern == b.f64[$0].bitPattern })
        // Writing what was read gives the same bytes.
        #expect(SafeTensorsArchive.encode([("dense.kernel", a2), ("x.b", b2), ("e", empty)], metadata: [("k", "v")]) == bytes)
    }

    /// A file written by the reference implementation (Fixtures/generate.py).
    @Test func readsAFileWrittenByPythonSafetensors() throws {
        let bytes = [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("python_written.safetensors")))
        let archive = try SafeTensorsArchive(contents: bytes, file: "python_written.safetensors")
        #expect(archive.metadata.map(\.key) == ["source"] && archive.metadata.map(\.value) == ["python"])
        let a = try #require(archive.entry("layer.a")), b = try #require(archive.entry("layer.b"))
        #expect(a.dtype == "F32" && a.shape == [3, 4] && b.dtype == "F64" && b.shape == [5])
        #expect(archive.entry("empty")?.shape == [0])
        let ta = Tensor(zeros: [3, 4]), tb = Tensor(zeros: [5], dtype: .float64)
        archive.copy(a, into: ta)
        archive.copy(b, into: tb)
        for i in 0..<3 { for j in 0..<4 { #expect(ta.f32[i * 4 + j] == Float(i) - 0.5 * Float(j)) } }
        for k in 0..<5 { #expect(tb.f64[k] == 1.0 / Double(k + 1)) }
    }

    @Test func rejectsMalformedFilesWithOneLineNamingFileAndTensor() {
        let t = #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        #expect(reason(file(t, data: Array(repeating: 0, count: 8))) == "accepted")
        #expect(reason([1, 2, 3]).contains("too short"))
        #expect(reason(file(t, length: 200_000_000)).contains("over the 100 MB limit"))
        #expect(reason(file(t, length: 1000)).contains("runs past the end of the file"))
        #expect(reason(file("[1, 2]")).contains("not a JSON object"))
        #expect(reason(file(#"{"t": nul}"#)).contains("invalid JSON header"))
        #expect(reason(file("{\"t\": \"\u{1}\"}")).contains("control character"))
        #expect(reason(file(#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
                            data: Array(repeating: 0, count: 8))).contains("duplicate key \"t\""))
        #expect(reason(file(#"{"t":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)))
                == "w.safetensors: tensor \"t\": unknown dtype \"F31\" (expected one of BF16, BOOL, F16, F32, F64, F8_E4M3, F8_E5M2, I16, I32, I64, I8, U16, U32, U64, U8)")
        #expect(reason(file(#"{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#)).contains("shape is not a list of non-negative"))
        #expect(reason(file(#"{"t":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#)).contains("overflows"))
        #expect(reason(file(#"{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)))
                .contains("hold 8 bytes, but F32 [3] needs 12"))
        #expect(reason(file(#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 4)))
                .contains("truncated"))
        #expect(reason(file(#"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 9)))
                .contains("1 bytes after the last tensor"))
        #expect(reason(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                            data: Array(repeating: 0, count: 12))).contains("tensor \"b\": its data overlaps"))
        #expect(reason(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: Array(repeating: 0, count: 8)))
                .contains("a gap of 4 bytes"))
        #expect(reason(file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}"#, data: Array(repeating: 0, count: 4)))
                .contains("expected exactly the fields"))
        #expect(reason(file(#"{"__metadata__":{"k":1}}"#)).contains("__metadata__ \"k\" is not a string"))
        #expect(reason(file(String(repeating: "[", count: 100) + String(repeating: "]", count: 100))).contains("not a JSON object"))
        #expect(reason(file("{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}")).contains("nested deeper"))
        #expect(reason(file(#"{"a":"x"}"#)) == "w.safetensors: tensor \"a\": not an object")
    }

    @Test func headerStringsMustBeValidUTF8() {
        var bytes = file(#"{"ab":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#)
        bytes[8 + 2] = 0xFF   // the "a" of the tensor name
        #expect(reason(bytes).contains("not valid UTF-8"))
    }
}

/// Both directions against Python's reference implementation, when a Python with numpy and
/// safetensors is at hand (`NNRUN_PYTHON`, else python3). `.ci/run` installs them and sets
/// NNRUN_REQUIRE_PYTHON_INTEROP=1, which turns a missing module into a failure instead of a skip.
@Suite struct PythonInteropTests {
    static let python: String? = {
        let env = ProcessInfo.processInfo.environment
        let candidate = env["NNRUN_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        if run(candidate, ["-c", "import numpy, safetensors.numpy"]).status == 0 { return candidate }
        return env["NNRUN_REQUIRE_PYTHON_INTEROP"] == "1" ? candidate : nil
    }()

    static func run(_ python: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(.enabled(if: python != nil, "no python3 with numpy and safetensors"))
    func pythonReadsOurFileAndWeReadPythons() throws {
        let python = try #require(Self.python)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("nnrun-st-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let ours = folder.appendingPathComponent("ours.safetensors").path
        let theirs = folder.appendingPathComponent("theirs.safetensors").path
        let kernel = Tensor(shape: [2, 3], values: [0.5, -1, 3.25, 1e-8, -0, 7])
        let bias = Tensor(shape: [3], doubles: [0.1, 0.2, 0.3], dtype: .float64)
        try Data(SafeTensorsArchive.encode([("dense.kernel", kernel), ("dense.bias", bias)], metadata: [("format", "nnrun")]))
            .write(to: URL(fileURLWithPath: ours))
        // Python loads our file, checks every value bit for bit, and writes its own from them (x2).
        let script = """
        import numpy as np, sys
        from safetensors.numpy import load_file, save_file
        from safetensors import safe_open
        d = load_file(sys.argv[1])
        assert d["dense.kernel"].dtype == np.float32 and d["dense.kernel"].shape == (2, 3), d
        assert d["dense.kernel"].tolist() == np.array([[0.5, -1, 3.25], [1e-8, -0.0, 7]], dtype=np.float32).tolist()
        assert d["dense.bias"].dtype == np.float64 and d["dense.bias"].tolist() == [0.1, 0.2, 0.3]
        with safe_open(sys.argv[1], "np") as f: assert f.metadata() == {"format": "nnrun"}, f.metadata()
        save_file({"w": d["dense.kernel"] * 2, "b": d["dense.bias"][::-1].copy()}, sys.argv[2], metadata={"by": "python"})
        print("ok")
        """
        let result = Self.run(python, ["-c", script, ours, theirs])
        #expect(result.status == 0 && result.output.contains("ok"), "\(result.output)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: theirs)))
        let archive = try SafeTensorsArchive(contents: bytes, file: theirs)
        let w = Tensor(zeros: [2, 3]), b = Tensor(zeros: [3], dtype: .float64)
        archive.copy(try #require(archive.entry("w")), into: w)
        archive.copy(try #require(archive.entry("b")), into: b)
        #expect(w.floats == kernel.floats.map { $0 * 2 })
        #expect(b.doubles == [0.3, 0.2, 0.1])
        #expect(archive.metadata.map(\.value) == ["python"])
    }
}
