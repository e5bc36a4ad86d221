using System.Runtime.InteropServices;

namespace AgentSessions.Formats.Import;

/// <summary>What a directory entry is, told without opening it.</summary>
public enum FileKind
{
    /// <summary>Nothing is there.</summary>
    Missing,

    /// <summary>A regular file: the only kind an importer reads.</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A symbolic link (not followed).</summary>
    SymbolicLink,

    /// <summary>A FIFO (named pipe): opening one for reading blocks until a writer comes.</summary>
    Fifo,

    /// <summary>A Unix domain socket.</summary>
    Socket,

    /// <summary>A character device (<c>/dev/zero</c>, a terminal): reads may never end.</summary>
    CharacterDevice,

    /// <summary>A block device (a disk).</summary>
    BlockDevice,
}

/// <summary>
/// Tells the kind of a path the way <c>lstat</c> does: without following a final link and without opening it,
/// which for a FIFO would block and for a device could read forever.
/// </summary>
/// <remarks>
/// .NET cannot tell: <see cref="FileSystemInfo.Attributes"/> shows a FIFO, a socket and a device as
/// <see cref="FileAttributes.Normal"/>, like a regular file. On Linux this asks the kernel with <c>statx</c>, whose
/// result layout is the same on every architecture (unlike <c>struct stat</c>). Elsewhere only links and
/// directories can be told apart (from the attributes); other kinds are taken for regular files.
/// Public for importers that open files inside a folder they were given (the Copilot CLI reader in
/// AgentSessions.Import): they refuse links and special files with the same words as the folder walk.
/// </remarks>
public static class FileKinds
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int StatxSize = 256;
    private const int ModeOffset = 28; // stx_mask u32, stx_blksize u32, stx_attributes u64, stx_nlink u32, stx_uid u32, stx_gid u32
    private const int Enoent = 2;
    private const int Enotdir = 20;

    private static bool _noStatx;

    /// <summary>The kind of <paramref name="path"/>; of the link itself when it is one, unless <paramref name="followLinks"/>.</summary>
    public static FileKind Of(string path, bool followLinks = false)
    {
        if (OperatingSystem.IsLinux() && !Volatile.Read(ref _noStatx))
        {
            var buffer = new byte[StatxSize];
            try
            {
                if (Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, StatxType, buffer) == 0)
                {
                    return FromMode(BitConverter.ToUInt16(buffer, ModeOffset));
                }

                var error = Marshal.GetLastPInvokeError();
                if (error is Enoent or Enotdir)
                {
                    return FileKind.Missing;
                }
            }
            catch (EntryPointNotFoundException)
            {
                // A C library older than statx (glibc before 2.28, musl before 1.2.5): fall back for good.
                Volatile.Write(ref _noStatx, true);
            }
        }

        return FromAttributes(path, followLinks);
    }

    /// <summary>How the kind reads in an import summary: "a FIFO (named pipe)".</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.Socket => "a socket",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Directory => "a directory",
        FileKind.Missing => "missing",
        _ => "a regular file",
    };

    /// <summary>Why the link <paramref name="link"/> in <paramref name="folder"/> was not followed, naming where it leads.</summary>
    /// <remarks>
    /// Links in a folder being imported are never followed: one leading out of the folder could pull any file the
    /// user can read (a key, a token) into the store, from where it may later be shared; one leading inside
    /// adds nothing, since its target is imported under its own name, and could make a loop.
    /// </remarks>
    public static string LinkNote(string link, string folder)
    {
        string? written = null;
        string? target = null;
        try
        {
            var info = new FileInfo(link);
            written = info.LinkTarget;
            target = info.ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        }
        catch (IOException)
        {
            // A loop of links, or one that leads nowhere: it is refused all the same.
        }

        // The folder may have been named through a link: inside is inside either spelling of it.
        string? realFolder = null;
        try
        {
            realFolder = new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true)?.FullName;
        }
        catch (IOException)
        {
            // Not a link, or one that cannot be resolved: the folder as named is all there is.
        }

        var inside = target is not null && new[] { folder, realFolder }.Any(f =>
            f is not null && target.StartsWith(Path.TrimEndingDirectorySeparator(f) + Path.DirectorySeparatorChar, StringComparison.Ordinal));
        return inside
            ? $"a symbolic link to '{written}' inside the folder; links are not followed (the file it leads to is imported under its own name)"
            : $"refused: a symbolic link to '{written}', outside the folder being imported; links are not followed, so no file from elsewhere is read";
    }

    private static FileKind FromMode(ushort mode) => (mode & 0xF000) switch
    {
        0x8000 => FileKind.Regular,
        0x4000 => FileKind.Directory,
        0xA000 => FileKind.SymbolicLink,
        0x1000 => FileKind.Fifo,
        0xC000 => FileKind.Socket,
        0x2000 => FileKind.CharacterDevice,
        0x6000 => FileKind.BlockDevice,
        _ => FileKind.CharacterDevice, // no other kind exists; whatever it is, it is not a file to read
    };

    private static FileKind FromAttributes(string path, bool followLinks)
    {
        try
        {
            return FromInfo(new FileInfo(path), followLinks);
        }
        catch (IOException)
        {
            return FileKind.Missing; // a link loop, or a link whose target vanished
        }
    }

    private static FileKind FromInfo(FileSystemInfo info, bool followLinks)
    {
        if (!followLinks && info.LinkTarget is not null)
        {
            return FileKind.SymbolicLink;
        }

        if (followLinks && info.LinkTarget is not null)
        {
            info = info.ResolveLinkTarget(returnFinalTarget: true) ?? info;
        }

        if (Directory.Exists(info.FullName))
        {
            return FileKind.Directory;
        }

        return info.Exists ? FileKind.Regular : FileKind.Missing;
    }

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directoryFd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
