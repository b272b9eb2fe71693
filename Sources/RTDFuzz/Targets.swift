#if canImport(Glibc)
import Glibc
@testable import RTDServer
#elseif canImport(Darwin)
import Darwin
#endif

/// libFuzzer's driver with rtd's parsers. One binary holds every target; `RTD_FUZZ_TARGET` picks
/// one (see `scripts/fuzz`). Each target checks a property of the parser (round-trip, bounds),
/// and a property that fails aborts, so libFuzzer keeps the input as a crash file like any trap.

struct FuzzTarget: Sendable {
    let name: String
    let run: @Sendable ([UInt8]) -> Void
}

let fuzzTargets: [FuzzTarget] = [
    FuzzTarget(name: "sdp", run: fuzzSDP),
    FuzzTarget(name: "candidate", run: fuzzCandidate),
    FuzzTarget(name: "stun", run: fuzzSTUN),
    FuzzTarget(name: "icetcp", run: fuzzICETCP),
    FuzzTarget(name: "turn", run: fuzzTURN),
    FuzzTarget(name: "rtp", run: fuzzRTP),
    FuzzTarget(name: "rtcp", run: fuzzRTCP),
    FuzzTarget(name: "dcep", run: fuzzDCEP),
    FuzzTarget(name: "config", run: fuzzConfig),
    FuzzTarget(name: "json", run: fuzzJSON),
    FuzzTarget(name: "signal", run: fuzzSignal),
    FuzzTarget(name: "control", run: fuzzControl),
    FuzzTarget(name: "y4m", run: fuzzY4M),
]

/// Chosen on first use (a global, so once and thread-safely).
let selectedTarget: FuzzTarget = {
    let names = fuzzTargets.map(\.name).joined(separator: " ")
    guard let raw = getenv("RTD_FUZZ_TARGET") else {
        printError("rtd-fuzz: set RTD_FUZZ_TARGET to one of: \(names)")
        exit(2)
    }
    let name = String(cString: raw)
    guard let target = fuzzTargets.first(where: { $0.name == name }) else {
        printError("rtd-fuzz: unknown target '\(name)' (targets: \(names))")
        exit(2)
    }
    return target
}()

/// libFuzzer's runtime references this symbol even when main.swift starts the driver itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selectedTarget.run(bytes)
    return 0
}

/// A property of the parser failed: say which, and abort so libFuzzer saves the input.
func propertyFailed(_ message: String) -> Never {
    printError("rtd-fuzz: property failed: \(message)")
    abort()
}

func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { propertyFailed(message()) }
}

func printError(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}
