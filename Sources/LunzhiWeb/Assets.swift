import Hummingbird
import HTTPTypes
import NIOCore

/// The one stylesheet, served by the service itself (no CDN, no web fonts: the system's CJK
/// fonts). No script: every page works with forms and links alone.
enum Assets {
    /// Changes with the stylesheet, so browsers may keep it a year.
    static let version: String = {
        var hash: UInt32 = 2_166_136_261  // FNV-1a: the same in every process
        for byte in stylesheet.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return String(hash, radix: 36)
    }()

    static func css() -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: stylesheet)))
        response.headers[.contentType] = "text/css; charset=utf-8"
        response.headers[.cacheControl] = "public, max-age=31536000, immutable"
        return response
    }

    static func icon() -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: iconSVG)))
        response.headers[.contentType] = "image/svg+xml"
        response.headers[.cacheControl] = "public, max-age=86400"
        return response
    }

    /// 轮: the brand's red square with the character in white (drawn from the system font).
    static let iconSVG = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#8a1c1c"/>\
        <circle cx="16" cy="16" r="9" fill="none" stroke="#fff" stroke-width="3"/><circle cx="16" cy="16" r="3" fill="#f2a900"/></svg>
        """

    static let stylesheet = """
        :root{--ink:#1f2933;--muted:#52606d;--line:#d9dee3;--bg:#f5f7f8;--card:#fff;--brand:#8a1c1c;--brand-ink:#fff;
        --accent:#0b5cad;--ok:#1f7a3d;--warn:#9a5b00;--bad:#b42318;--radius:6px}
        *{box-sizing:border-box}
        html{font-size:16px;-webkit-text-size-adjust:100%}
        body{margin:0;background:var(--bg);color:var(--ink);line-height:1.6;
        font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","Noto Sans",system-ui,sans-serif}
        a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible{outline:3px solid #f2a900;outline-offset:2px}
        .top{background:var(--brand);color:var(--brand-ink)}
        .bar{max-width:1100px;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between}
        .brand{color:#fff;font-weight:700;font-size:1.15rem;text-decoration:none;letter-spacing:.05em}
        .who{display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:center;font-size:.9rem}
        .who .member{opacity:.9}
        .top nav{background:#6f1414}
        .top nav ul{max-width:1100px;margin:0 auto;padding:0 .5rem;list-style:none;display:flex;flex-wrap:wrap}
        .top nav a{display:block;color:#fff;text-decoration:none;padding:.55rem .75rem;font-size:.95rem}
        .top nav a[aria-current=page]{background:var(--bg);color:var(--brand);font-weight:700;border-radius:var(--radius) var(--radius) 0 0}
        form.inline{display:inline;margin:0}
        button.link{background:none;border:0;color:#fff;text-decoration:underline;cursor:pointer;font:inherit;padding:.25rem}
        main{max-width:1100px;margin:0 auto;padding:1.25rem 1rem 3rem}
        h1{font-size:1.5rem;margin:.2rem 0 1rem;line-height:1.3}h2{font-size:1.15rem;margin:1.6rem 0 .6rem}h3{font-size:1.05rem;margin:0 0 .5rem}
        .page-head{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;justify-content:space-between;margin-bottom:.5rem}
        .page-head h1{margin:0;flex:1 1 auto;overflow-wrap:anywhere}
        .lede{color:var(--muted)}
        .notice{background:#e8f4ec;border-left:4px solid var(--ok);padding:.6rem .9rem;border-radius:var(--radius)}
        .error{background:#fdecea;border-left:4px solid var(--bad);padding:.6rem .9rem;border-radius:var(--radius);margin:0 0 1rem}
        .error p{margin:.1rem 0}.error .detail{color:var(--muted);font-size:.9rem;overflow-wrap:anywhere}
        code.name{font-size:.8rem;background:#fff;border:1px solid var(--line);padding:0 .3rem;border-radius:4px}
        .panel,.card{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:1rem;margin:1rem 0}
        .panel>h2:first-child,.callout>h2:first-child{margin-top:0}
        details.panel summary{cursor:pointer;font-weight:600}
        details.panel[open] summary{margin-bottom:.75rem}
        .callout{background:#fff7e6;border:1px solid #f0d49b;border-radius:var(--radius);padding:.5rem 1rem;margin:1rem 0}
        .stack .field{margin:0 0 .9rem}
        .field label{display:block;font-weight:600;margin-bottom:.25rem}
        .req{color:var(--bad)}
        input[type=text],input[type=password],input[type=number],input[type=date],input[type=datetime-local],select,textarea{
        width:100%;max-width:40rem;font:inherit;padding:.5rem .6rem;border:1px solid #9aa5b1;border-radius:var(--radius);background:#fff;color:var(--ink)}
        textarea{min-height:7rem}
        .hint{color:var(--muted);font-size:.85rem;margin:.2rem 0 0}
        .proof{margin:.5rem 0 0}.proof+.hint{margin-bottom:.8rem}
        fieldset{border:1px solid var(--line);border-radius:var(--radius);padding:.5rem .9rem;margin:0 0 .9rem;max-width:40rem}
        legend{font-weight:600;padding:0 .3rem}
        fieldset label{display:block;padding:.25rem 0}
        fieldset.radios label{display:inline-block;margin-right:1.25rem}
        .buttons{margin-top:.5rem}
        .button{display:inline-block;white-space:nowrap;font:inherit;font-weight:600;padding:.5rem 1rem;border-radius:var(--radius);border:1px solid #9aa5b1;
        background:#fff;color:var(--ink);text-decoration:none;cursor:pointer;line-height:1.4}
        .button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
        .button.danger{background:#fff;border-color:var(--bad);color:var(--bad)}
        .button.small{padding:.2rem .6rem;font-size:.85rem}
        .actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:1rem 0}
        form.action{display:inline;margin:0}
        .filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;margin:0 0 1rem}
        .filters .field{margin:0;min-width:10rem}
        .table-wrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:var(--radius)}
        table{border-collapse:collapse;width:100%;font-size:.95rem}
        th,td{text-align:left;padding:.5rem .7rem;border-bottom:1px solid var(--line);vertical-align:top}
        th{background:#eef1f4;font-weight:600;white-space:nowrap}.nowrap{white-space:nowrap}
        tr:last-child td{border-bottom:0}
        .sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
        .badge{display:inline-block;font-size:.8rem;padding:.05rem .5rem;border-radius:999px;background:#e4e7eb;color:var(--ink);white-space:nowrap;margin-right:.25rem}
        .badge.chair{background:#f2a900;color:#1f2933}
        .top .badge{background:rgba(255,255,255,.18);color:#fff}.top .badge.chair{background:#f2a900;color:#1f2933}
        .track-urgent{background:#fde8d7;color:#8a3b00}.track-special{background:#f3e1f7;color:#6b1f7c}
        .state-adopted,.outcome-adopted,.state-approved,.answer-grant,.stance-agree{background:#dcefe2;color:#17572c}
        .state-rejected,.outcome-rejected,.state-denied,.answer-deny,.stance-object,.overdue{background:#fbe0dd;color:#8f1d12}
        .state-returned,.stance-reserve{background:#fff1cc;color:#6b4500}
        .state-open,.state-submitted,.state-tabled{background:#dbe9f8;color:#0b4a8a}
        .facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.25rem 1.5rem;background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:.75rem 1rem;margin:0 0 1rem}
        .facts div{display:flex;gap:.75rem;padding:.2rem 0;border-bottom:1px dashed var(--line)}
        .facts dt{color:var(--muted);flex:0 0 7rem}.facts dd{margin:0;overflow-wrap:anywhere}
        .prose{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:.75rem 1rem}
        .queue{list-style:none;margin:0;padding:0;display:grid;gap:.5rem}
        .queue a{display:grid;grid-template-columns:9rem 1fr auto;gap:.25rem 1rem;align-items:baseline;background:var(--card);
        border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:var(--radius);padding:.7rem 1rem;text-decoration:none;color:var(--ink)}
        .queue .kind{font-weight:700;color:var(--accent)}.queue .title{overflow-wrap:anywhere}.queue .when{color:var(--muted);font-size:.9rem;white-space:nowrap}
        .queue li.overdue{background:none}
        .queue li.overdue a{border-left-color:var(--bad)}.queue li.overdue .when,.queue li.overdue .kind{color:var(--bad);font-weight:700}
        .timeline{list-style:none;padding:0;margin:0;border-left:3px solid var(--line)}
        .timeline li{position:relative;padding:.35rem 0 .35rem 1rem;display:flex;flex-wrap:wrap;gap:.1rem .9rem}
        .timeline li::before{content:"";position:absolute;left:-.45rem;top:.85rem;width:.6rem;height:.6rem;border-radius:50%;background:var(--accent)}
        .timeline time{color:var(--muted);font-size:.9rem}.timeline .what{font-weight:600}.timeline .why{flex-basis:100%;color:var(--muted);overflow-wrap:anywhere}
        .timeline .seq{color:var(--muted);font-size:.8rem}
        .tally{background:#f0f4f8;border-radius:var(--radius);padding:.5rem .8rem;font-size:.92rem}
        .decision{font-weight:700;color:var(--ok)}
        .entry h3 a{overflow-wrap:anywhere}
        .grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:0 1rem}
        .empty{color:var(--muted);background:var(--card);border:1px dashed var(--line);border-radius:var(--radius);padding:1rem}
        .tabs a{margin-right:.75rem}
        .secret{background:#fff7e6;border:2px solid #f2a900;border-radius:var(--radius);padding:.75rem 1rem;margin:0 0 1rem}
        .secret-value{font-size:1.2rem;background:#fff;padding:.2rem .5rem;border:1px solid var(--line);border-radius:4px;user-select:all;overflow-wrap:anywhere}
        main.signin{max-width:28rem;padding-top:3rem}.signin h1{color:var(--brand)}.signin .switch{margin:.5rem 0 0;font-size:.9rem}
        main.narrow{max-width:36rem}
        @media (max-width:640px){
        main{padding:1rem .75rem 2rem}h1{font-size:1.3rem}
        .queue a{grid-template-columns:1fr}.queue .when{white-space:normal}
        .facts{grid-template-columns:1fr}
        .table-wrap{border:0;background:none;overflow:visible}
        .table-wrap table,.table-wrap tbody,.table-wrap tr,.table-wrap td{display:block;width:100%}
        .table-wrap thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
        .table-wrap tr{background:var(--card);border:1px solid var(--line);border-radius:var(--radius);padding:.5rem .75rem;margin:0 0 .5rem}
        .table-wrap td{border:0;padding:.15rem 0;display:grid;grid-template-columns:5.5rem 1fr;gap:.75rem;justify-items:start;overflow-wrap:anywhere}
        .table-wrap td::before{content:attr(data-label);color:var(--muted);font-size:.85rem}
        .table-wrap td:empty{display:none}
        .top nav a{padding:.45rem .55rem;font-size:.9rem}
        .filters .field{min-width:8rem;flex:1 1 8rem}
        }
        """
}
