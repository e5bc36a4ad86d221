namespace AgentSessions.Server.Pages;

/// <summary>The pages' one stylesheet, kept in the assembly so the server needs no files beside it.</summary>
/// <remarks>The CSP allows styles only from the server itself (no inline styles), so this is served as a file.</remarks>
internal static class Stylesheet
{
    public const string Css = """
        :root{--bg:#f6f7f9;--card:#fff;--fg:#1d1f23;--muted:#667085;--line:#e3e6ea;--accent:#0b5cad;--mark:#fff2a8;
          --user:#0b5cad;--assistant:#1a7f37;--system:#9a6700;--tool:#8250df;--code:#f2f4f7;--bad:#cf222e}
        @media (prefers-color-scheme:dark){:root{--bg:#111418;--card:#1a1e24;--fg:#e6e8eb;--muted:#98a2b3;--line:#2c323a;
          --accent:#6cb6ff;--mark:#5c4b00;--user:#6cb6ff;--assistant:#56d364;--system:#e3b341;--tool:#d2a8ff;--code:#22272e;--bad:#ff7b72}}
        *{box-sizing:border-box}
        html{-webkit-text-size-adjust:100%}
        body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
        a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
        .wrap{max-width:58rem;margin:0 auto;padding:0 1rem}
        header.top{background:var(--card);border-bottom:1px solid var(--line)}
        header.top .wrap{display:flex;align-items:center;gap:1.5rem;height:3rem}
        .brand{font-weight:700;color:var(--fg)}nav{display:flex;gap:1rem}nav a{color:var(--muted)}
        main{padding:1.25rem 1rem 2rem}
        h1{font-size:1.45rem;margin:.5rem 0 .25rem;overflow-wrap:anywhere}h2{font-size:1.1rem;margin:1.75rem 0 .5rem}
        .meta{color:var(--muted);font-size:.85rem}.meta span+span::before{content:" · "}
        .tag{display:inline-block;background:var(--code);border:1px solid var(--line);border-radius:999px;padding:0 .5rem;font-size:.78rem;margin-right:.25rem;color:var(--fg)}
        form.search{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 1rem}
        input,button{font:inherit;color:inherit}
        input[type=search],input[type=text],input[type=password]{flex:1 1 14rem;padding:.45rem .65rem;border:1px solid var(--line);border-radius:6px;background:var(--card)}
        input.tag-filter{flex:0 1 10rem}
        button{padding:.45rem 1rem;border:1px solid var(--accent);border-radius:6px;background:var(--accent);color:#fff;cursor:pointer}
        button.secondary{background:transparent;color:var(--accent)}
        ul.list{list-style:none;margin:0;padding:0}
        ul.list li{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .9rem;margin:.5rem 0}
        ul.list .title{font-weight:600;overflow-wrap:anywhere}
        .snippet{margin:.25rem 0 0;color:var(--fg);overflow-wrap:anywhere}
        mark{background:var(--mark);color:inherit;border-radius:2px;padding:0 1px}
        .pager{display:flex;justify-content:space-between;margin:1rem 0}
        .empty{color:var(--muted);padding:1rem 0}
        article.msg{background:var(--card);border:1px solid var(--line);border-left:4px solid var(--line);border-radius:8px;margin:.9rem 0;padding:.7rem 1rem}
        article.user{border-left-color:var(--user)}article.assistant{border-left-color:var(--assistant)}
        article.system{border-left-color:var(--system)}article.tool{border-left-color:var(--tool)}
        article.msg>header{font-size:.8rem;color:var(--muted);margin-bottom:.35rem}
        .role{font-weight:700;text-transform:capitalize}
        .user .role{color:var(--user)}.assistant .role{color:var(--assistant)}.system .role{color:var(--system)}.tool .role{color:var(--tool)}
        .md{overflow-wrap:anywhere}.md>:first-child{margin-top:0}.md>:last-child{margin-bottom:0}
        .md img{max-width:100%}.md .plain{white-space:pre-wrap}.md blockquote{margin:.5rem 0;padding:0 .9rem;border-left:3px solid var(--line);color:var(--muted)}
        .md table{border-collapse:collapse;display:block;overflow:auto}.md td,.md th{border:1px solid var(--line);padding:.25rem .55rem}
        code{font:.88em/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);border-radius:4px;padding:.1em .3em}
        pre{background:var(--code);border-radius:6px;padding:.6rem .8rem;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere}
        pre code{background:none;padding:0}
        details{margin:.4rem 0;border:1px solid var(--line);border-radius:6px;padding:.3rem .6rem}
        details>summary{cursor:pointer;color:var(--muted);font-size:.88rem}
        details[open]>summary{margin-bottom:.35rem}
        details.error>summary{color:var(--bad)}
        .reasoning{color:var(--muted);font-style:italic}
        img.inline{max-width:100%;border-radius:6px}
        table.grid{border-collapse:collapse;width:100%;background:var(--card)}
        table.grid td,table.grid th{border:1px solid var(--line);padding:.3rem .6rem;text-align:left;font-size:.9rem}
        section.notice,section.box{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem 1.2rem;margin:1rem 0}
        section.notice p{margin:.5rem 0}section.box h2{margin-top:0}
        form.search a{align-self:center}
        .error-text{color:var(--bad);font-weight:600}
        form.password{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.75rem}
        .foot{color:var(--muted);font-size:.8rem;padding-bottom:2rem}
        """;
}
