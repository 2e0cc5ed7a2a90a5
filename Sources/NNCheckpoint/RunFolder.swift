import Foundation
import Glibc

/// A failure to create or write a run folder: one line naming the path.
public struct RunFolderError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// Writes a run folder (`runs/NAME/`) all at once: every file goes into a temporary folder beside
/// the target (`runs/.NAME.tmp-XXXXXX`), each file and the folder are fsynced, then a rename makes
/// it visible. A crash at any moment leaves the previous folder, or the complete new one, or (only
/// while replacing, between two renames) neither under the final name with the previous one kept
/// as `.NAME.old-PID`; never a half-written file under the final name.
///
/// Only run folders (holding a `model.json`) are ever replaced, so `--overwrite` cannot delete a
/// folder of other files by mistake.
public enum RunFolder {
    /// Throws unless `path` can receive a run: it must not exist, be an empty folder, or
    /// `overwrite` must be true (then it must be a folder).
    public static func checkWritable(_ path: String, overwrite: Bool) throws {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        guard (st.st_mode & S_IFMT) == S_IFDIR else {
            throw RunFolderError(path: path, reason: "exists and is not a folder")
        }
        if isEmptyFolder(path) { return }
        guard access("\(path)/model.json", F_OK) == 0 else {
            throw RunFolderError(path: path, reason: "exists and is not a run folder (no model.json); choose another --output")
        }
        if !overwrite {
            throw RunFolderError(path: path, reason: "already holds a run; pass --overwrite to replace it, or --output DIR to write elsewhere")
        }
    }

    /// Writes `files` (name → contents) as the folder `path`, replacing an existing folder only
    /// when `overwrite` is true.
    public static func write(_ files: [(name: String, contents: [UInt8])], to path: String, overwrite: Bool) throws {
        try checkWritable(path, overwrite: overwrite)
        let parent = parentFolder(of: path)
        try makeFolders(parent)
        let base = lastComponent(of: path)
        removeLeftovers(of: base, in: parent)
        var template = Array("\(parent)/.\(base).tmp-XXXXXX".utf8CString)
        guard let tmpPointer = mkdtemp(&template) else {
            throw RunFolderError(path: parent, reason: "cannot create a temporary folder: \(errorText())")
        }
        let tmp = String(cString: tmpPointer)
        // mkdtemp makes the folder 0700; give it the mode a plain mkdir would (0777 less the umask).
        let mask = umask(0)
        umask(mask)
        chmod(tmp, 0o777 & ~mask)
        do {
            // Write every file, then fsync them all: the first fsync commits the file system's
            // journal for all of them, so the later ones find little left to do.
            var written: [(path: String, fd: Int32)] = []
            defer { for w in written { close(w.fd) } }
            for (name, contents) in files {
                written.append(("\(tmp)/\(name)", try writeFile("\(tmp)/\(name)", contents, sync: false)))
            }
            for w in written where fsync(w.fd) != 0 {
                throw RunFolderError(path: w.path, reason: "fsync failed: \(errorText())")
            }
            try syncFolder(tmp)
            var st = stat()
            if stat(path, &st) == 0 {
                try replace(path, with: tmp, parent: parent, base: base)
            } else if rename(tmp, path) != 0 {
                throw RunFolderError(path: path, reason: "cannot create: \(errorText())")
            }
            try syncFolder(parent)
        } catch {
            removeTree(tmp)
            throw error
        }
    }

    /// Puts the complete folder `tmp` in the place of `path`. With Linux's renameat2
    /// (RENAME_EXCHANGE) the two swap in one atomic step, so `path` is at every moment either the
    /// old run or the new one; the old one, now at `tmp`, is then deleted. Where the file system
    /// cannot exchange, the old run is renamed aside first and the new one moved in.
    static func replace(_ path: String, with tmp: String, parent: String, base: String) throws {
        if let exchange = renameExchange, exchange(AT_FDCWD, tmp, AT_FDCWD, path, 2 /* RENAME_EXCHANGE */) == 0 {
            try syncFolder(parent)
            removeTree(tmp)
            return
        }
        let old = "\(parent)/.\(base).old-\(getpid())"
        guard rename(path, old) == 0 else { throw RunFolderError(path: path, reason: "cannot replace: \(errorText())") }
        guard rename(tmp, path) == 0 else {
            _ = rename(old, path)
            throw RunFolderError(path: path, reason: "cannot replace: \(errorText())")
        }
        removeTree(old)
    }

    typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// glibc's renameat2 (2.28+), looked up at run time: Swift's Glibc module does not declare it.
    static let renameExchange: RenameAt2? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()

    /// Writes one file atomically: a temporary file beside it, fsynced, then renamed over `path`.
    public static func writeFileAtomically(_ path: String, _ contents: [UInt8]) throws {
        let tmp = "\(parentFolder(of: path))/.\(lastComponent(of: path)).tmp-\(getpid())"
        do {
            close(try writeFile(tmp, contents, sync: true))
            guard rename(tmp, path) == 0 else { throw RunFolderError(path: path, reason: "cannot write: \(errorText())") }
        } catch {
            unlink(tmp)
            throw error
        }
    }

    /// Creates `path` with `contents` and returns the open descriptor (the caller closes it),
    /// fsynced first when `sync`.
    static func writeFile(_ path: String, _ contents: [UInt8], sync: Bool) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunFolderError(path: path, reason: "cannot create: \(errorText())") }
        var offset = 0
        while offset < contents.count {
            let n = contents[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else {
                close(fd)
                throw RunFolderError(path: path, reason: "write failed: \(errorText())")
            }
            offset += n
        }
        if sync && fsync(fd) != 0 {
            close(fd)
            throw RunFolderError(path: path, reason: "fsync failed: \(errorText())")
        }
        return fd
    }

    static func syncFolder(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw RunFolderError(path: path, reason: "cannot open folder: \(errorText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw RunFolderError(path: path, reason: "fsync failed: \(errorText())") }
    }

    /// Creates `path` and its missing parents.
    public static func makeFolders(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/\(part)"
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw RunFolderError(path: current, reason: "cannot create folder: \(errorText())")
            }
        }
    }

    static func isEmptyFolder(_ path: String) -> Bool {
        guard let dir = opendir(path) else { return false }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            if name != "." && name != ".." { return false }
        }
        return true
    }

    /// Deletes `.NAME.tmp-*` and `.NAME.old-*` folders that an interrupted write left beside the run.
    static func removeLeftovers(of base: String, in parent: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names where name.hasPrefix(".\(base).tmp-") || name.hasPrefix(".\(base).old-") {
            removeTree("\(parent)/\(name)")
        }
    }

    /// Deletes a folder and everything in it.
    static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    public static func parentFolder(of path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    static func lastComponent(of path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        return trimmed.split(separator: "/").last.map(String.init) ?? trimmed
    }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
