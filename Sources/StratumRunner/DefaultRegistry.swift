import StratumCore
import StratumModelLogistic
import StratumModelProcess
import StratumModelTFJS
import StratumModelONNX

extension ModelRegistry {
    /// Every model kind Stratum ships, registered in one place.
    public static var standard: ModelRegistry {
        ModelRegistry([LogisticLoader(), ProcessLoader(), TFJSLoader(), ONNXLoader()])
    }
}
