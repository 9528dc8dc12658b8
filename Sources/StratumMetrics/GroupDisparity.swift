/// A metric across the groups of one attribute, and the spread between them — what fairlearn's
/// `MetricFrame(...).by_group`, `.difference()` and `.ratio()` report (both "between groups").
///
/// Unlike fairlearn, a group whose rate has no denominator (a true positive rate in a group
/// with no positives) is *undefined* there and left out of the difference and ratio; fairlearn
/// counts it as 0.
public struct GroupDisparity: Sendable, Equatable {
    public var byGroup: [(group: String, value: MetricValue)]
    /// Largest minus smallest defined group value.
    public var difference: MetricValue
    /// Smallest over largest defined group value.
    public var ratio: MetricValue

    public static func == (a: Self, b: Self) -> Bool {
        a.byGroup.map(\.group) == b.byGroup.map(\.group) && a.byGroup.map(\.value) == b.byGroup.map(\.value)
            && a.difference == b.difference && a.ratio == b.ratio
    }

    public init(_ byGroup: [(group: String, value: MetricValue)]) {
        self.byGroup = byGroup
        let values = byGroup.compactMap { $0.value.number }
        guard let low = values.min(), let high = values.max() else {
            difference = .undefined("no group has a value")
            ratio = .undefined("no group has a value")
            return
        }
        difference = .value(high - low)
        ratio = high == 0 ? .undefined("every group's value is 0") : .value(low / high)
    }

    /// Per group (sorted by name): `metric` of the confusion matrix of the group's samples.
    public static func compute(labels: [String], truth: [Int], predicted: [Int], groups: [String],
                               metric: (ClassificationMetrics) -> MetricValue) -> GroupDisparity {
        var members: [String: [Int]] = [:]
        for (i, group) in groups.enumerated() { members[group, default: []].append(i) }
        return GroupDisparity(members.keys.sorted().map { group in
            let indices = members[group]!
            let confusion = ConfusionMatrix(labels: labels, trueIndices: indices.map { truth[$0] }, predictedIndices: indices.map { predicted[$0] })
            return (group, metric(ClassificationMetrics(confusion: confusion)))
        })
    }
}
