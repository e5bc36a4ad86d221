using System.Runtime.CompilerServices;

namespace AgentSessions.Testing;

/// <summary>A fresh directory per test, named after the calling test and removed afterwards.</summary>
public sealed class TempDirectory : IDisposable
{
    private TempDirectory(string path) => Path = path;

    public string Path { get; }

    public static TempDirectory ForCaller([CallerMemberName] string caller = "", [CallerFilePath] string file = "")
    {
        var name = $"{System.IO.Path.GetFileNameWithoutExtension(file)}-{caller}";
        if (name.Length > 80)
        {
            name = name[..80];
        }

        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "agent-sessions-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return new TempDirectory(path);
    }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A killed child may still hold a file for a moment; the OS temp cleaner will get it.
        }
    }
}
