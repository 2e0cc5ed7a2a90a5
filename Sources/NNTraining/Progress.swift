import Foundation
import NNTensor

/// Receives training events to show progress.
public protocol ProgressReporter: AnyObject {
    func epochBegin(_ epoch: Int, of epochs: Int, steps: Int)
    func batchEnd(_ step: Int, of steps: Int, logs: [(String, Double)])
    func epochEnd(_ epoch: Int, of epochs: Int, steps: Int, logs: [(String, Double)], seconds: Double)
}

/// How progress is shown: Keras' redrawn bar (`bar`), exactly one line per epoch (`epoch`, the
/// default when standard output is not a terminal, so logs never fill with redraws), or nothing.
public enum ProgressStyle: String, CaseIterable, Sendable {
    case bar, epoch, none

    /// `bar` on a terminal (unless TERM=dumb), else `epoch`.
    public static var automatic: ProgressStyle {
        isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb" ? .bar : .epoch
    }

    public func makeReporter(write: @escaping (String) -> Void = { try? FileHandle.standardOutput.write(contentsOf: Data($0.utf8)) }) -> any ProgressReporter {
        switch self {
        case .bar: return KerasProgressBar(write: write)
        case .epoch: return EpochLines(write: write)
        case .none: return SilentProgress()
        }
    }
}

public final class SilentProgress: ProgressReporter {
    public init() {}
    public func epochBegin(_ epoch: Int, of epochs: Int, steps: Int) {}
    public func batchEnd(_ step: Int, of steps: Int, logs: [(String, Double)]) {}
    public func epochEnd(_ epoch: Int, of epochs: Int, steps: Int, logs: [(String, Double)], seconds: Double) {}
}

/// One line per epoch: `Epoch 3/100 - 27/27 - 0s - 2ms/step - accuracy: 0.9421 - loss: 0.2113 - ...`.
public final class EpochLines: ProgressReporter {
    let write: (String) -> Void

    public init(write: @escaping (String) -> Void) { self.write = write }

    public func epochBegin(_ epoch: Int, of epochs: Int, steps: Int) {}
    public func batchEnd(_ step: Int, of steps: Int, logs: [(String, Double)]) {}

    public func epochEnd(_ epoch: Int, of epochs: Int, steps: Int, logs: [(String, Double)], seconds: Double) {
        write("Epoch \(epoch)/\(epochs) - \(steps)/\(steps) - \(Int(seconds.rounded()))s - \(perStep(seconds, steps))\(metricsText(logs))\n")
    }
}

/// Keras' progress bar, redrawn in place at most every 0.05 s:
///
///     Epoch 3/100
///     27/27 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - accuracy: 0.9421 - loss: 0.2113 - val_accuracy: ...
public final class KerasProgressBar: ProgressReporter {
    let write: (String) -> Void
    private var started = 0.0
    private var lastDraw = 0.0

    public init(write: @escaping (String) -> Void) { self.write = write }

    public func epochBegin(_ epoch: Int, of epochs: Int, steps: Int) {
        write("Epoch \(epoch)/\(epochs)\n")
        started = WallClock.now()
        lastDraw = 0
    }

    public func batchEnd(_ step: Int, of steps: Int, logs: [(String, Double)]) {
        let now = WallClock.now()
        guard step < steps, now - lastDraw >= 0.05 else { return }
        lastDraw = now
        let elapsed = now - started
        let eta = elapsed / Double(step) * Double(steps - step)
        draw(step, steps, "\(timeText(eta)) \(perStep(elapsed, step))", logs, newline: false)
    }

    public func epochEnd(_ epoch: Int, of epochs: Int, steps: Int, logs: [(String, Double)], seconds: Double) {
        draw(steps, steps, "\(Int(seconds.rounded()))s \(perStep(seconds, steps))", logs, newline: true)
    }

    private func draw(_ step: Int, _ steps: Int, _ timing: String, _ logs: [(String, Double)], newline: Bool) {
        let width = 20
        let done = steps > 0 ? width * step / steps : width
        let digits = String(steps).count
        let counter = String(repeating: " ", count: max(0, digits - String(step).count)) + "\(step)/\(steps)"
        // Colours as Keras draws them, unless NO_COLOR is set (no-color.org).
        let color = ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let (green, dim, bold, reset) = color ? ("\u{1b}[32m", "\u{1b}[2m", "\u{1b}[1m", "\u{1b}[0m") : ("", "", "", "")
        let bar = green + String(repeating: "━", count: done) + reset + dim + String(repeating: "━", count: width - done) + reset
        write("\r\(bold)\(counter)\(reset) \(bar) \(timing)\(metricsText(logs))\u{1b}[K" + (newline ? "\n" : ""))
    }
}

/// ` - accuracy: 0.9421 - loss: 0.2113`: four decimals, or exponent form below 1e-3 (as Keras).
func metricsText(_ logs: [(String, Double)]) -> String {
    logs.map { name, v in
        " - \(name): " + (abs(v) >= 1e-3 || v == 0 ? String(format: "%.4f", v) : String(format: "%.4e", v))
    }.joined()
}

/// `2ms/step`, `350us/step` or `1s/step`.
func perStep(_ seconds: Double, _ steps: Int) -> String {
    let t = seconds / Double(max(steps, 1))
    if t >= 1 { return "\(Int(t.rounded()))s/step" }
    if t >= 1e-3 { return "\(Int((t * 1e3).rounded()))ms/step" }
    return "\(Int((t * 1e6).rounded()))us/step"
}

/// `5s`, `1:05` or `1:02:05`.
func timeText(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s < 60 { return "\(s)s" }
    if s < 3600 { return String(format: "%d:%02d", s / 60, s % 60) }
    return String(format: "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60)
}
