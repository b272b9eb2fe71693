#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lets a pipe hold one frame. By default it holds 64 KiB, a twentieth of a 720p frame, so the
/// stages at its two ends take turns instead of running at once. One frame, not more, so a live
/// source behind it still drops stale frames rather than queueing them. Not a pipe, or the
/// kernel refuses: nothing changes (unprivileged pipes stop at 1 MiB by default, tried next).
func letPipeHoldOneFrame(_ fd: Int32, bytes: Int) {
    var st = stat()
    guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFIFO else { return }
    let F_SETPIPE_SZ: Int32 = 1031, F_GETPIPE_SZ: Int32 = 1032
    let current = Int(fcntl(fd, F_GETPIPE_SZ))
    guard current < bytes else { return }
    if fcntl(fd, F_SETPIPE_SZ, Int32(clamping: bytes)) < 0, current < 1 << 20 { _ = fcntl(fd, F_SETPIPE_SZ, Int32(1 << 20)) }
}

/// Buffered reader over a file descriptor. Header lines are read in small blocks, and big
/// payloads straight into their destination: a frame's pixels are copied once, from the kernel
/// into the frame. (With megabyte blocks, most of each frame came in with the line before it and
/// was copied a second time out of the buffer: ~1 MB of memmove per 720p frame.) Syscalls per
/// frame stay at two: the block holding the header, then the rest of the payload.
public final class FileDescriptorReader {
    public let fd: Int32
    public let name: String
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    /// Bytes consumed by the caller so far: the stream offset used in error messages.
    public private(set) var offset: Int64 = 0
    private let ownsDescriptor: Bool

    /// `blockSize` holds a whole Y4M header line (at most 4096 bytes and its newline); the
    /// buffer grows if a longer line is asked for.
    public init(fd: Int32, name: String, ownsDescriptor: Bool = false, blockSize: Int = 8192) {
        self.fd = fd
        self.name = name
        self.ownsDescriptor = ownsDescriptor
        self.buffer = [UInt8](repeating: 0, count: blockSize)
    }

    /// Opens a file for reading, with the error messages a user needs.
    public static func open(path: String) throws(MediaError) -> FileDescriptorReader {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            switch e {
            case ENOENT: throw MediaError(.notFound, "no such file: \(path)")
            case EACCES: throw MediaError(.io, "permission denied reading \(path)")
            default: throw MediaError(.io, "cannot open \(path): \(String(cString: strerror(e)))")
            }
        }
        return FileDescriptorReader(fd: fd, name: path, ownsDescriptor: true)
    }

    deinit {
        if ownsDescriptor { _ = Glibc.close(fd) }
    }

    private func fill() throws(MediaError) -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            // Compact: move the unread tail to the front.
            let n = end - start
            buffer.withUnsafeMutableBufferPointer { p in
                _ = memmove(p.baseAddress!, p.baseAddress! + start, n)
            }
            start = 0
            end = n
            if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        }
        let capacity = buffer.count - end
        let got = buffer.withUnsafeMutableBufferPointer { p in
            rawRead(p.baseAddress! + end, capacity)
        }
        if got < 0 { throw MediaError(.io, "read error on \(name) at byte \(offset): \(String(cString: strerror(errno)))") }
        end += got
        return got > 0
    }

    private func rawRead(_ dst: UnsafeMutableRawPointer, _ count: Int) -> Int {
        while true {
            let r = Glibc.read(fd, dst, count)
            if r < 0 && errno == EINTR { continue }
            return r
        }
    }

    /// Reads up to and excluding `\n`, at most `maxLength` bytes: no more is buffered looking
    /// for the newline.
    public func readLine(maxLength: Int) throws(MediaError) -> HeaderLine {
        var scanned = 0
        while true {
            let found: Int? = buffer.withUnsafeBufferPointer { p in
                let from = start + scanned
                guard from < end else { return nil }
                if let hit = memchr(p.baseAddress! + from, 0x0A, end - from) {
                    return p.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                }
                return nil
            }
            if let nl = found {
                guard nl - start <= maxLength else { break }
                let line = Array(buffer[start..<nl])
                offset += Int64(nl + 1 - start)
                start = nl + 1
                return .line(line)
            }
            scanned = end - start
            if scanned > maxLength { break }
            if try !fill() { return end == start ? .end : .cutShort(end - start) }
        }
        return .tooLong(prefix: Array(buffer[start..<min(end, start + 16)]))
    }

    /// Fills `destination` completely. Returns the number of bytes read, which is less than its
    /// size only when the stream ended.
    public func readFully(into destination: UnsafeMutableRawBufferPointer) throws(MediaError) -> Int {
        var done = 0
        let buffered = min(end - start, destination.count)
        if buffered > 0 {
            buffer.withUnsafeBufferPointer { p in
                destination.baseAddress!.copyMemory(from: p.baseAddress! + start, byteCount: buffered)
            }
            start += buffered
            done = buffered
        }
        while done < destination.count {
            let r = rawRead(destination.baseAddress! + done, destination.count - done)
            if r < 0 { throw MediaError(.io, "read error on \(name) at byte \(offset + Int64(done)): \(String(cString: strerror(errno)))") }
            if r == 0 { break }
            done += r
        }
        offset += Int64(done)
        return done
    }
}

extension FileDescriptorReader: Y4MByteSource {
    /// Unknown ahead for a pipe: a frame is read until the stream ends.
    public var bytesLeft: Int? { nil }
}

/// Writer over a file descriptor that completes partial writes and reports a closed pipe as
/// `.endOfOutput` (the reader went away: `rtd capture testsrc | head -c 1M` is a normal end).
public final class FileDescriptorWriter {
    public let fd: Int32
    public let name: String
    private let ownsDescriptor: Bool

    public init(fd: Int32, name: String, ownsDescriptor: Bool = false) {
        self.fd = fd
        self.name = name
        self.ownsDescriptor = ownsDescriptor
        FileDescriptorWriter.ignoreSIGPIPE()
    }

    public static func create(path: String) throws(MediaError) -> FileDescriptorWriter {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw MediaError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        return FileDescriptorWriter(fd: fd, name: path, ownsDescriptor: true)
    }

    deinit {
        if ownsDescriptor { _ = Glibc.close(fd) }
    }

    /// SIGPIPE would kill the process silently; EPIPE lets us end cleanly instead.
    public static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(MediaError) {
        var done = 0
        while done < bytes.count {
            let r = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if r < 0 {
                let e = errno
                if e == EINTR { continue }
                if e == EPIPE { throw MediaError(.endOfOutput, "\(name): reader closed the pipe") }
                throw MediaError(.io, "write error on \(name): \(String(cString: strerror(e)))")
            }
            done += r
        }
    }

    public func write(_ bytes: [UInt8]) throws(MediaError) {
        try bytes.withUnsafeBufferPointer { (p) throws(MediaError) in try write(UnsafeRawBufferPointer(p)) }
    }

    public var isTerminal: Bool { isatty(fd) == 1 }
}
