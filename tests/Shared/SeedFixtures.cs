namespace AgentSessions.Testing;

/// <summary>Finds the repository and the sample files of the systems we replace (../shared/fixtures/seed-formats).</summary>
public static class SeedFixtures
{
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "AgentSessions.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new DirectoryNotFoundException("repository root (AgentSessions.slnx) not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The seed-formats folder; CI clones the repository with shared/ beside it.</summary>
    public static string Root
    {
        get
        {
            var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepositoryRoot, "..", "shared", "fixtures", "seed-formats"));
            return Directory.Exists(path) ? path : throw new DirectoryNotFoundException($"seed fixtures not found at {path}; clone the repository beside shared/");
        }
    }

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
