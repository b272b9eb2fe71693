#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libFuzzer entry points. One binary holds every target; `RTD_FUZZ_TARGET` picks one (see
/// `scripts/fuzz`). Each target checks a property of the parser (round-trip, bounds), and a
/// property that fails aborts, so libFuzzer keeps the input as a crash file like any trap.

struct FuzzTarget {
    let name: String
    let run: ([UInt8]) -> Void
}

let fuzzTargets: [FuzzTarget] = [
    FuzzTarget(name: "sdp", run: fuzzSDP),
    FuzzTarget(name: "candidate", run: fuzzCandidate),
    FuzzTarget(name: "stun", run: fuzzSTUN),
    FuzzTarget(name: "rtp", run: fuzzRTP),
    FuzzTarget(name: "rtcp", run: fuzzRTCP),
    FuzzTarget(name: "dcep", run: fuzzDCEP),
    FuzzTarget(name: "config", run: fuzzConfig),
]

/// Chosen once in LLVMFuzzerInitialize, before libFuzzer calls any input (it runs inputs on one thread).
nonisolated(unsafe) var selectedTarget: (([UInt8]) -> Void)?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let names = fuzzTargets.map(\.name).joined(separator: " ")
    guard let raw = getenv("RTD_FUZZ_TARGET") else {
        fputs("rtd-fuzz: set RTD_FUZZ_TARGET to one of: \(names)\n", stderr)
        exit(2)
    }
    let name = String(cString: raw)
    guard let target = fuzzTargets.first(where: { $0.name == name }) else {
        fputs("rtd-fuzz: unknown target '\(name)' (targets: \(names))\n", stderr)
        exit(2)
    }
    selectedTarget = target.run
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget?(bytes)
    return 0
}

/// A property of the parser failed: say which, and abort so libFuzzer saves the input.
func propertyFailed(_ message: String) -> Never {
    fputs("rtd-fuzz: property failed: \(message)\n", stderr)
    abort()
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { propertyFailed(message()) }
}
