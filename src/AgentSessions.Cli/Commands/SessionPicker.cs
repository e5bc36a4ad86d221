using System.Globalization;
using System.Text;
using AgentSessions.Cli.Output;
using AgentSessions.Storage;

namespace AgentSessions.Cli.Commands;

/// <summary>
/// <c>chat --resume</c> without an id, on a terminal: every session in the store, newest first (not only this
/// directory's, not only the last few), filtered as the user types by title and by content through the search
/// index; the arrows move, Enter picks, Esc or Ctrl+C cancels.
/// </summary>
/// <remarks>
/// Drawn on the terminal's alternate screen, so the shell's screen comes back as it was. Sessions are read a page at
/// a time as the selection moves down, and a filter reads a bounded number of search hits, so a large store costs
/// no more than what is shown. Every title and snippet is neutralised (<see cref="TerminalText"/>).
/// </remarks>
internal sealed class SessionPicker
{
    private const int PageSize = 200;
    private const int SearchHits = 500;

    private readonly SessionService _service;
    private readonly TerminalKeys _keys;
    private readonly TerminalScreen _screen;
    private readonly List<Row> _rows = [];
    private readonly StringBuilder _filter = new();
    private bool _hasMore;
    private int _selected;
    private int _top;
    private string? _notice;

    private SessionPicker(SessionService service, TerminalKeys keys, TerminalScreen screen)
    {
        _service = service;
        _keys = keys;
        _screen = screen;
    }

    /// <summary>Shows the picker; returns the id picked, or null when the user cancelled.</summary>
    public static async Task<string?> PickAsync(SessionService service, TerminalKeys keys, CancellationToken cancellationToken)
    {
        var picker = new SessionPicker(service, keys, TerminalScreen.Open());
        picker._screen.Control.Write("\u001b[?1049h\u001b[?25l"); // the alternate screen, no cursor
        try
        {
            return await picker.RunAsync(cancellationToken);
        }
        finally
        {
            picker._screen.Control.Write("\u001b[?25h\u001b[?1049l");
        }
    }

    private static int Height => Measure(() => Console.WindowHeight, 24);

    private static int Width => Measure(() => Console.WindowWidth, 80);

    private async Task<string?> RunAsync(CancellationToken ct)
    {
        await LoadAsync(ct);
        while (true)
        {
            Draw();
            var key = await _keys.ReadAsync(ct);
            if (TerminalKeys.IsControlC(key) || key.Key == ConsoleKey.Escape)
            {
                return null;
            }

            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    if (_rows.Count > 0)
                    {
                        return _rows[_selected].Id;
                    }

                    continue;
                case ConsoleKey.UpArrow:
                    _selected = Math.Max(0, _selected - 1);
                    continue;
                case ConsoleKey.DownArrow:
                    await MoveDownAsync(1, ct);
                    continue;
                case ConsoleKey.PageUp:
                    _selected = Math.Max(0, _selected - ListHeight);
                    continue;
                case ConsoleKey.PageDown:
                    await MoveDownAsync(ListHeight, ct);
                    continue;
                case ConsoleKey.Home:
                    _selected = 0;
                    continue;
                case ConsoleKey.Backspace:
                    if (_filter.Length > 0)
                    {
                        _filter.Length -= _filter.Length >= 2 && char.IsLowSurrogate(_filter[^1]) ? 2 : 1;
                        await LoadAsync(ct);
                    }

                    continue;
            }

            if (key.KeyChar is '\r' or '\n' && _rows.Count > 0)
            {
                return _rows[_selected].Id;
            }

            if (PromptLine.IsPrintable(key.KeyChar) && _filter.Length < SearchTerms.MaxTextLength - 1)
            {
                _filter.Append(key.KeyChar);
                await LoadAsync(ct);
            }
        }
    }

    private int ListHeight => Math.Max(3, Height - 4);

    private async Task MoveDownAsync(int by, CancellationToken ct)
    {
        if (_selected + by >= _rows.Count && _hasMore)
        {
            await LoadPageAsync(ct);
        }

        _selected = Math.Max(0, Math.Min(_rows.Count - 1, _selected + by));
    }

    /// <summary>Reads the list again for the filter as it now stands, from the top.</summary>
    private async Task LoadAsync(CancellationToken ct)
    {
        _rows.Clear();
        _selected = 0;
        _top = 0;
        _hasMore = false;
        _notice = null;
        var filter = _filter.ToString().Trim();
        if (filter.Length == 0)
        {
            await LoadPageAsync(ct);
            return;
        }

        // Titles containing the text anywhere, and sessions whose title or messages hold its words (the last one
        // typed as a prefix, so a word half typed matches already); newest first like the unfiltered list.
        var found = new Dictionary<string, Row>(StringComparer.Ordinal);
        foreach (var session in (await _service.ListAsync(new SessionQuery { Limit = PageSize, TitleContains = filter }, ct)).Sessions)
        {
            found[session.Id] = Row.Of(session, snippet: null);
        }

        try
        {
            var snippets = new Dictionary<string, string>(StringComparer.Ordinal);
            await foreach (var hit in _service.SearchAsync(new SearchQuery(PrefixQuery(filter)) { Limit = SearchHits }, ct))
            {
                if (hit.Sequence is not null)
                {
                    snippets.TryAdd(hit.SessionId, hit.Snippet);
                }

                if (!found.ContainsKey(hit.SessionId) && await _service.FindAsync(hit.SessionId, ct) is { } session)
                {
                    found[session.Id] = Row.Of(session, snippet: null);
                }
            }

            foreach (var (id, snippet) in snippets)
            {
                found[id] = found[id] with { Snippet = snippet };
            }
        }
        catch (AgentSessionsException e) when (e.Code is ErrorCode.InvalidArgument or ErrorCode.TooLarge)
        {
            // Too many words, say: the title matches still show, and the reason with them.
            _notice = e.Message;
        }

        _rows.AddRange(found.Values.OrderByDescending(r => r.UpdatedAt).ThenBy(r => r.Id, StringComparer.Ordinal));
    }

    private async Task LoadPageAsync(CancellationToken ct)
    {
        var page = await _service.ListAsync(new SessionQuery { Limit = PageSize, Offset = _rows.Count }, ct);
        _rows.AddRange(page.Sessions.Select(s => Row.Of(s, snippet: null)));
        _hasMore = page.HasMore;
    }

    /// <summary>The filter as a search: its words as typed, the last one a prefix unless it is quoted or ends in a space.</summary>
    private static string PrefixQuery(string filter)
        => filter.EndsWith('"') || filter.EndsWith('*') || char.IsPunctuation(filter[^1]) ? filter : filter + "*";

    private void Draw()
    {
        var width = Width;
        var listHeight = ListHeight;
        if (_selected < _top)
        {
            _top = _selected;
        }
        else if (_selected >= _top + listHeight)
        {
            _top = _selected - listHeight + 1;
        }

        var screen = new StringBuilder("\u001b[H\u001b[2J");
        var count = _rows.Count.ToString(CultureInfo.InvariantCulture) + (_hasMore ? "+" : "");
        Line(screen, $"Resume a session ({count}): type to filter by title and content, arrows move, Enter picks, Esc cancels", width, selected: false);
        Line(screen, "filter: " + TerminalText.NeutralizeLine(_filter.ToString()), width, selected: false);
        Line(screen, _notice is null ? "" : TerminalText.NeutralizeLine(_notice), width, selected: false);
        if (_rows.Count == 0)
        {
            Line(screen, _filter.Length == 0 ? "no sessions in this store" : "no session matches", width, selected: false);
        }

        for (var i = _top; i < _rows.Count && i < _top + listHeight; i++)
        {
            var row = _rows[i];
            var text = $"{(i == _selected ? ">" : " ")} {ConsoleOutput.Time(row.UpdatedAt)}  {row.Id}  {TerminalText.NeutralizeLine(row.Title ?? "(untitled)")}  ({row.MessageCount.ToString(CultureInfo.InvariantCulture)} msgs)";
            if (row.Snippet is not null)
            {
                text += "  … " + TerminalText.NeutralizeLine(row.Snippet);
            }

            Line(screen, text, width, i == _selected);
        }

        // One write: the screen changes at once, not line by line.
        _screen.Control.Write(screen.ToString());
    }

    /// <summary>Appends one line cut to the width; the text is neutralised already, so only our reverse-video codes are raw.</summary>
    private static void Line(StringBuilder screen, string text, int width, bool selected)
    {
        var shown = Columns.Truncate(text, Math.Max(10, width - 1));
        screen.Append(selected ? "\u001b[7m" + shown + "\u001b[0m" : shown).Append("\r\n");
    }

    private static int Measure(Func<int> size, int fallback)
    {
        try
        {
            return size() is > 0 and var value ? value : fallback;
        }
        catch (IOException)
        {
            return fallback;
        }
    }

    private sealed record Row(string Id, string? Title, long MessageCount, DateTimeOffset UpdatedAt, string? Snippet)
    {
        public static Row Of(Session s, string? snippet) => new(s.Id, s.Title, s.MessageCount, s.UpdatedAt, snippet);
    }
}
