/// A metric that is either a number or explicitly undefined, with the reason.
///
/// Follows scikit-learn's `zero_division=np.nan` policy, but never silently: a precision
/// with no predicted positives is `.undefined("no predictions of class 'x'")`, not 0.
public enum MetricValue: Sendable, Equatable, CustomStringConvertible {
    case value(Double)
    case undefined(String)

    /// The number, or nil when undefined.
    public var number: Double? {
        if case .value(let v) = self { return v }
        return nil
    }

    /// Why it is undefined, or nil when defined.
    public var undefinedReason: String? {
        if case .undefined(let reason) = self { return reason }
        return nil
    }

    public var description: String {
        switch self {
        case .value(let v): return String(v)
        case .undefined(let reason): return "undefined (\(reason))"
        }
    }
}

/// A two-sided confidence interval.
public struct ConfidenceInterval: Sendable, Equatable {
    public var low: Double
    public var high: Double
    public init(low: Double, high: Double) {
        self.low = low
        self.high = high
    }
}
