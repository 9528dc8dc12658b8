import Foundation

extension Double {
    var exponential: Double { Foundation.exp(self) }
    var logarithm: Double { Foundation.log(self) }
    /// log(1 + self), accurate for small values.
    var onePlusLog: Double { Foundation.log1p(self) }
}
