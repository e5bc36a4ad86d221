using System.Globalization;

namespace AgentSessions.Benchmarks.Quick;

/// <summary>Quick-mode arguments: <c>--scale N</c> (messages in the search store) and <c>full-scale</c> (2,000,000).</summary>
public sealed record QuickOptions
{
    public const int DefaultSearchMessages = 200_000;
    public const int FullScaleSearchMessages = 2_000_000;

    /// <summary>Messages in the full-text search store.</summary>
    public int SearchMessages { get; init; } = DefaultSearchMessages;

    /// <summary>Where the .dat series go and the PNGs are rendered (docs/plots when run from the repository).</summary>
    public string? PlotDirectory { get; init; }

    /// <summary>Skip the CLI cold-start measurement (it needs a Release build of src/AgentSessions.Cli).</summary>
    public bool SkipCli { get; init; }

    /// <summary>Run only the measurements whose names are listed (append, concurrency, load, list, search, transfer, copy, cli, rpc-append, long, mcp, fork, resume, chat, size).</summary>
    public IReadOnlySet<string>? Only { get; init; }

    public bool Runs(string name) => Only is null || Only.Contains(name);

    public static QuickOptions Parse(IReadOnlyList<string> args)
    {
        var options = new QuickOptions { PlotDirectory = FindRepositoryRoot() is { } root ? Path.Combine(root, "docs", "plots") : null };
        for (var i = 0; i < args.Count; i++)
        {
            options = args[i] switch
            {
                "full-scale" or "--full-scale" => options with { SearchMessages = FullScaleSearchMessages },
                "--scale" when i + 1 < args.Count => options with { SearchMessages = int.Parse(args[++i], NumberStyles.AllowThousands, CultureInfo.InvariantCulture) },
                "--plots" when i + 1 < args.Count => options with { PlotDirectory = args[++i] },
                "--no-plots" => options with { PlotDirectory = null },
                "--no-cli" => options with { SkipCli = true },
                "--only" when i + 1 < args.Count => options with { Only = args[++i].Split(',').ToHashSet(StringComparer.OrdinalIgnoreCase) },
                _ => throw new ArgumentException($"unknown quick-mode argument '{args[i]}'"),
            };
        }

        return options;
    }

    /// <summary>The repository root above the running binary, or null when the bench runs elsewhere.</summary>
    public static string? FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "src", "AgentSessions.Cli", "AgentSessions.Cli.csproj")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
