using Microsoft.Data.Sqlite;

namespace AgentSessions.Benchmarks.Shared;

/// <summary>A private directory under <see cref="System.IO.Path.GetTempPath"/> that holds every database of a run.</summary>
/// <remarks>
/// All stores of one run live below one root so that a single recursive delete cleans up, even after a failure
/// half-way. Disposing deletes it; callers must dispose their stores and connections first.
/// </remarks>
public sealed class TempRoot : IDisposable
{
    private int _deleted;

    private TempRoot(string path) => Path = path;

    public string Path { get; }

    public static TempRoot Create()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"agentsessions-bench-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(path);
        return new TempRoot(path);
    }

    /// <summary>A fresh sub-directory, for one store or one raw database.</summary>
    public string Directory(string name)
    {
        var path = System.IO.Path.Combine(Path, name);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _deleted, 1) != 0)
        {
            return;
        }

        // Microsoft.Data.Sqlite may keep pooled handles open; release them so the files can go.
        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Path, recursive: true);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"warning: could not delete {Path}: {e.Message}");
        }
        catch (UnauthorizedAccessException e)
        {
            Console.Error.WriteLine($"warning: could not delete {Path}: {e.Message}");
        }
    }
}
