// Renders the API's OpenAPI 3.1 document as a readable page: operations
// with their parameters and responses, then every schema with its fields.
// Text is always set with textContent (never parsed as HTML).
"use strict";

(function () {
  const main = document.getElementById("reference");
  const status = document.getElementById("status");

  function el(tag, text, attrs) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
    return node;
  }

  function refName(ref) {
    return ref.split("/").pop();
  }

  function typeOf(schema) {
    if (!schema) return "";
    if (schema.$ref) return refName(schema.$ref);
    if (schema.oneOf) return schema.oneOf.map(typeOf).join(" or ");
    let type = Array.isArray(schema.type) ? schema.type.join(" or ") : (schema.type || "any");
    if (schema.type === "array") type = "array of " + typeOf(schema.items);
    if (schema.type === "object" && schema.additionalProperties &&
        typeof schema.additionalProperties === "object" && !schema.properties) {
      type = "map of name → " + typeOf(schema.additionalProperties);
    }
    if (schema.enum) type += " (" + schema.enum.join(", ") + ")";
    if (schema.format) type += " (" + schema.format + ")";
    return type;
  }

  function schemaLink(schema) {
    const span = el("span");
    const names = [];
    JSON.stringify(schema, (key, value) => {
      if (key === "$ref") names.push(refName(value));
      return value;
    });
    if (!schema.$ref) span.append(typeOf(schema) + " ");
    for (const name of new Set(names)) {
      span.append(el("a", schema.$ref ? name : "(" + name + ")", { href: "#schema-" + name }),
        " ");
    }
    return span;
  }

  // A wide table scrolls sideways inside a region that the keyboard can
  // reach (tabindex), so nobody needs a mouse to read its last columns.
  function scrolling(child, label) {
    const region = el("div", null, { class: "scroll", tabindex: "0", role: "region",
      "aria-label": label });
    region.append(child);
    return region;
  }

  function table(label, headers, rows) {
    const t = el("table");
    const head = el("tr");
    headers.forEach((h) => head.append(el("th", h, { scope: "col" })));
    t.append(el("thead"));
    t.tHead.append(head);
    const body = el("tbody");
    rows.forEach((cells) => {
      const tr = el("tr");
      cells.forEach((c) => {
        const td = el("td");
        td.append(c instanceof Node ? c : document.createTextNode(c === undefined ? "" : String(c)));
        tr.append(td);
      });
      body.append(tr);
    });
    t.append(body);
    return scrolling(t, label);
  }

  function render(spec) {
    status.remove();
    main.append(el("p", spec.info.description));
    main.append(el("p", "Version " + spec.info.version + " · OpenAPI " + spec.openapi +
      " · base path " + spec.servers[0].url));
    const raw = el("p");
    raw.append("The machine-readable contract: ",
      el("a", "openapi.json", { href: main.dataset.spec }));
    main.append(raw);
    main.append(scrolling(el("pre", "curl -H 'Authorization: Bearer spi_…' " +
      location.origin + spec.servers[0].url + "/campaigns"), "Example request"));

    main.append(el("h2", "Endpoints"));
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const section = el("section", null, { class: "operation", id: op.operationId });
        const title = el("h3");
        title.append(el("span", method.toUpperCase(), { class: "method" }),
          el("code", spec.servers[0].url + path));
        section.append(title, el("p", op.summary));
        if (op.description) section.append(el("p", op.description));
        if (op.parameters && op.parameters.length) {
          section.append(table("Parameters of " + op.operationId, ["Parameter", "In", "Required", "Type", "Description"],
            op.parameters.map((p) => [p.name, p.in, p.required ? "yes" : "no",
              typeOf(p.schema), p.description || ""])));
        }
        section.append(table("Responses of " + op.operationId,
          ["Status", "Description", "Body"],
          Object.entries(op.responses).map(([code, r]) => [code, r.description,
            r.content ? schemaLink(r.content["application/json"].schema) : ""])));
        main.append(section);
      }
    }

    main.append(el("h2", "Schemas"));
    for (const [name, schema] of Object.entries(spec.components.schemas)) {
      const section = el("section", null, { id: "schema-" + name });
      section.append(el("h3", name));
      if (schema.description) section.append(el("p", schema.description));
      if (schema.properties) {
        const required = new Set(schema.required || []);
        section.append(table("Fields of " + name,
          ["Field", "Type", "Always present", "Description"],
          Object.entries(schema.properties).map(([field, s]) => [field, schemaLink(s),
            required.has(field) ? "yes" : "no", s.description || ""])));
      } else {
        section.append(el("p", typeOf(schema)));
      }
      main.append(section);
    }
  }

  fetch(main.dataset.spec, { headers: { Accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(render)
    .catch((error) => {
      status.textContent = "The OpenAPI document could not be read (" + error.message +
        "); open /api/v1/openapi.json directly.";
    });
})();
