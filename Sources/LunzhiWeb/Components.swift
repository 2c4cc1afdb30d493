import Foundation
import LunzhiCore

/// The same few components on every page: fields, choices, action buttons, tables, badges.
enum UI {
    /// A labelled input; `hint` under it; `invalid` marks it for assistive technology.
    static func field(
        _ label: String, name: String, value: String = "", type: String = "text", required: Bool = false,
        hint: String? = nil, attributes: String = "", id: String? = nil
    ) -> HTML {
        // A form repeated on one page (per agenda entry, per request kind) passes its own id.
        let id = id ?? "f-" + name
        var h = HTML(markup: "<div class=\"field\"><label for=\"\(id)\">")
        h.text(label)
        if required { h.markup(" <span class=\"req\" aria-hidden=\"true\">*</span>") }
        h.markup("</label>")
        if type == "textarea" {
            h.markup("<textarea id=\"\(id)\" name=\"\(name)\" rows=\"6\"\(required ? " required" : "") \(attributes)")
            if hint != nil { h.markup(" aria-describedby=\"\(id)-hint\"") }
            h.markup(">")
            h.text(value)
            h.markup("</textarea>")
        } else {
            h.markup("<input id=\"\(id)\" name=\"\(name)\" type=\"\(type)\" value=\"\(HTML.attribute(value))\"")
            h.markup(required ? " required" : "")
            if hint != nil { h.markup(" aria-describedby=\"\(id)-hint\"") }
            h.markup(" \(attributes)>")
        }
        if let hint {
            h.markup("<p class=\"hint\" id=\"\(id)-hint\">")
            h.text(hint)
            h.markup("</p>")
        }
        h.markup("</div>")
        return h
    }

    static func select(
        _ label: String, name: String, options: [(value: String, label: String)], selected: String? = nil,
        required: Bool = false, includeEmpty: String? = nil
    ) -> HTML {
        let id = "f-" + name
        var h = HTML(markup: "<div class=\"field\"><label for=\"\(id)\">")
        h.text(label)
        if required { h.markup(" <span class=\"req\" aria-hidden=\"true\">*</span>") }
        h.markup("</label><select id=\"\(id)\" name=\"\(name)\"\(required ? " required" : "")>")
        if let includeEmpty {
            h.markup("<option value=\"\">")
            h.text(includeEmpty)
            h.markup("</option>")
        }
        for option in options {
            h.markup("<option value=\"\(HTML.attribute(option.value))\"\(option.value == selected ? " selected" : "")>")
            h.text(option.label)
            h.markup("</option>")
        }
        h.markup("</select></div>")
        return h
    }

    /// Radio buttons in a fieldset (positions, answers).
    static func radios(
        _ legend: String, name: String, options: [(value: String, label: String)], selected: String?,
        idPrefix: String? = nil
    ) -> HTML {
        var h = HTML(markup: "<fieldset class=\"radios\"><legend>")
        h.text(legend)
        h.markup("</legend>")
        for option in options {
            let id = "\(idPrefix ?? "r-" + name)-\(option.value)"
            h.markup("<label for=\"\(id)\"><input type=\"radio\" id=\"\(id)\" name=\"\(name)\" value=\"\(HTML.attribute(option.value))\"")
            h.markup(option.value == selected ? " checked" : "")
            h.markup("> ")
            h.text(option.label)
            h.markup("</label>")
        }
        h.markup("</fieldset>")
        return h
    }

    /// A form that posts one action: its button, and any fields given.
    static func action(
        _ viewer: Viewer, _ path: String, _ label: String, style: String = "", fields: HTML = HTML()
    ) -> HTML {
        var h = HTML(markup: "<form method=\"post\" action=\"\(HTML.attribute(path))\" class=\"action\">")
        h.append(Layout.csrfField(viewer))
        h.append(fields)
        h.markup("<button type=\"submit\" class=\"button \(style)\">")
        h.text(label)
        h.markup("</button></form>")
        return h
    }

    /// A form's start with its CSRF field.
    static func formStart(_ viewer: Viewer, _ path: String, classes: String = "stack") -> HTML {
        var h = HTML(markup: "<form method=\"post\" action=\"\(HTML.attribute(path))\" class=\"\(classes)\" novalidate>")
        h.append(Layout.csrfField(viewer))
        return h
    }

    static func submit(_ label: String, style: String = "primary") -> HTML {
        var h = HTML(markup: "<div class=\"buttons\"><button type=\"submit\" class=\"button \(style)\">")
        h.text(label)
        h.markup("</button></div>")
        return h
    }

    static func badge(_ text: String, kind: String) -> HTML {
        var h = HTML(markup: "<span class=\"badge \(HTML.attribute(kind))\">")
        h.text(text)
        h.markup("</span>")
        return h
    }

    static func link(_ href: String, _ text: String) -> HTML {
        var h = HTML(markup: "<a href=\"\(HTML.attribute(href))\">")
        h.text(text)
        h.markup("</a>")
        return h
    }

    /// A table; on a phone each row is a card of label/value lines (the labels are the headers).
    /// A cell's content is one element, so that on a phone all of it sits in the value column.
    static func table(_ caption: String, headers: [String], rows: [[HTML]], empty: String) -> HTML {
        guard !rows.isEmpty else {
            var h = HTML(markup: "<p class=\"empty\">")
            h.text(empty)
            h.markup("</p>")
            return h
        }
        var h = HTML(markup: "<div class=\"table-wrap\"><table><caption class=\"sr-only\">")
        h.text(caption)
        h.markup("</caption><thead><tr>")
        for header in headers {
            h.markup("<th scope=\"col\">")
            h.text(header)
            h.markup("</th>")
        }
        h.markup("</tr></thead><tbody>")
        for row in rows {
            h.markup("<tr>")
            for (index, cell) in row.enumerated() {
                h.markup("<td data-label=\"\(HTML.attribute(headers[min(index, headers.count - 1)]))\">")
                if !cell.raw.isEmpty {  // an empty cell stays empty: a phone hides it
                    h.markup("<div class=\"cell\">")
                    h.append(cell)
                    h.markup("</div>")
                }
                h.markup("</td>")
            }
            h.markup("</tr>")
        }
        h.markup("</tbody></table></div>")
        return h
    }

    /// The start of a long text for a list (its page shows it whole): the first line, at most 40
    /// characters, with "…" when cut.
    static func gist(_ text: String, limit: Int = 40) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > limit || line.count < text.trimmingCharacters(in: .whitespacesAndNewlines).count
            ? String(line.prefix(limit)) + "…" : line
    }

    static func text(_ s: String) -> HTML {
        var h = HTML()
        h.text(s)
        return h
    }

    static func heading(_ s: String, level: Int = 1) -> HTML {
        var h = HTML()
        h.element("h\(level)", text: s)
        return h
    }

    /// A definition list of facts (label → value).
    static func facts(_ pairs: [(String, HTML)]) -> HTML {
        var h = HTML(markup: "<dl class=\"facts\">")
        for (label, value) in pairs {
            h.markup("<div><dt>")
            h.text(label)
            h.markup("</dt><dd>")
            h.append(value)
            h.markup("</dd></div>")
        }
        h.markup("</dl>")
        return h
    }

    /// Multi-line text kept as written, escaped.
    static func prose(_ s: String) -> HTML {
        var h = HTML(markup: "<div class=\"prose\">")
        h.text(s)
        h.markup("</div>")
        return h
    }
}
