using System.Text;

namespace AgentSessions.Server.Http;

/// <summary>Small files only their owner may read (the API token, server.json), written atomically.</summary>
internal static class PrivateFile
{
    /// <summary>Owner read and write: the token is a password, and server.json says where to knock.</summary>
    public const UnixFileMode Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Writes a temporary file created 0600 (never briefly wider), flushes it to disk, then moves it into place.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="text">Its content.</param>
    /// <param name="overwrite">Replace an existing file; when <see langword="false"/>, an existing file wins and this returns <see langword="false"/>.</param>
    public static bool Write(string path, string text, bool overwrite)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = Mode;
        }

        try
        {
            using (var stream = new FileStream(temp, options))
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
                stream.Flush(flushToDisk: true);
            }

            if (overwrite)
            {
                File.Move(temp, path, overwrite: true);
                return true;
            }

            // Without overwrite the move is a link-then-unlink on Unix: of two servers starting at once, exactly one wins.
            try
            {
                File.Move(temp, path, overwrite: false);
                return true;
            }
            catch (IOException) when (File.Exists(path))
            {
                return false;
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Whether a file can be read by anyone but its owner (always <see langword="false"/> on Windows).</summary>
    public static bool IsReadableByOthers(string path)
        => !OperatingSystem.IsWindows()
           && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0;
}
