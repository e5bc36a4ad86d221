using AgentSessions.Formats.Import;
using Spectre.Console;

namespace AgentSessions.Cli.Output;

/// <summary>A progress bar on a terminal (stderr stays free for errors); nothing when output is redirected.</summary>
internal static class Progress
{
    private static bool Interactive => !Console.IsOutputRedirected && !Console.IsErrorRedirected;

    public static async Task RunAsync<T>(string title, IReadOnlyList<T> items, Func<T, Task> work)
    {
        if (!Interactive)
        {
            foreach (var item in items)
            {
                await work(item);
            }

            return;
        }

        await AnsiConsole.Progress().AutoClear(true).StartAsync(async context =>
        {
            var task = context.AddTask(title, maxValue: Math.Max(1, items.Count));
            foreach (var item in items)
            {
                await work(item);
                task.Increment(1);
            }
        });
    }

    public static async Task<TResult> RunAsync<TResult>(string title, Func<IProgress<ImportProgress>, Task<TResult>> work)
    {
        if (!Interactive)
        {
            return await work(new Progress<ImportProgress>(_ => { }));
        }

        return await AnsiConsole.Progress().AutoClear(true).StartAsync(async context =>
        {
            var task = context.AddTask(title, maxValue: 1);
            // Reported synchronously: Progress<T> would post to the thread pool and race the bar's last refresh.
            return await work(new SyncProgress<ImportProgress>(p =>
            {
                task.MaxValue = Math.Max(1, p.Total);
                task.Value = p.Done;
                task.Description = p.Current.Length == 0 ? title : $"{title} {ConsoleOutput.Escape(Path.GetFileName(p.Current))}";
            }));
        });
    }

    private sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
