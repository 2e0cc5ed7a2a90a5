import NNConfig

/// The `data.augmentation:` section: random image transformations applied on the fly to each
/// training batch (never to validation or test data), seeded, see `Augmenter`.
///
/// ```yaml
/// data:
///   shape: [8, 8, 1]            # required: augmentation needs image samples [height, width, channels]
///   augmentation: {shift: 2, rotation: 10, zoom: 0.1, horizontal_flip: false, noise: 0.05}
/// ```
///
/// - `shift`: translation in pixels, each axis uniform in [−shift, shift] (sub-pixel, interpolated);
/// - `rotation`: degrees, uniform in [−rotation, rotation] (positive: counter-clockwise);
/// - `zoom`: fraction, magnification uniform in [1 − zoom, 1 + zoom] (> 1 enlarges the content);
/// - `horizontal_flip`: mirror left–right with probability 1/2 (off by default: a flipped digit is
///   another digit, or none);
/// - `noise`: standard deviation of gaussian noise added to every value, on the scaled features.
///
/// All default to 0 / false (no augmentation). Values must be ≥ 0; rotation at most 180, zoom
/// below 1.
public struct Augmentation: Sendable, Equatable {
    public var shift: Double
    public var rotation: Double
    public var zoom: Double
    public var horizontalFlip: Bool
    public var noise: Double

    public init(shift: Double = 0, rotation: Double = 0, zoom: Double = 0, horizontalFlip: Bool = false, noise: Double = 0) {
        self.shift = shift
        self.rotation = rotation
        self.zoom = zoom
        self.horizontalFlip = horizontalFlip
        self.noise = noise
    }

    /// True when every option is off: the batch would come out unchanged.
    public var isIdentity: Bool { shift == 0 && rotation == 0 && zoom == 0 && !horizontalFlip && noise == 0 }

    /// True when a geometric transformation (not only noise) is on.
    public var isGeometric: Bool { shift != 0 || rotation != 0 || zoom != 0 || horizontalFlip }

    /// Decodes the mapping; problems (negative or too large values, unknown keys) go to the reader's
    /// diagnostics.
    public init(_ r: MappingReader) {
        let big = Double.greatestFiniteMagnitude
        shift = r.double("shift", default: 0, in: 0...big)
        rotation = r.double("rotation", default: 0, in: 0...180)
        zoom = r.double("zoom", default: 0, in: 0...1, exclusiveMax: true)
        horizontalFlip = r.bool("horizontal_flip", default: false)
        noise = r.double("noise", default: 0, in: 0...big)
        r.finish()
    }

    /// Every option, defaults written out; decodes back to an equal value.
    public func encode() -> ConfigNode {
        .map([("shift", .double(shift)), ("rotation", .double(rotation)), ("zoom", .double(zoom)),
              ("horizontal_flip", .bool(horizontalFlip)), ("noise", .double(noise))])
    }
}
