// The page tests check the Markdown sanitizer and the attempt limiter directly, beside the browser tests.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("AgentSessions.Server.Tests")]
