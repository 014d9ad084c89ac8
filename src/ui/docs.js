// Renders /api/openapi.json as a readable list of routes, parameters and schemas.
"use strict";

function node(tag, text, cls) {
  const n = document.createElement(tag);
  if (text !== undefined) n.textContent = text;
  if (cls) n.className = cls;
  return n;
}

function schemaName(s) {
  if (!s) return "";
  if (s.$ref) return s.$ref.split("/").pop();
  if (s.type === "array") return `[${schemaName(s.items)}]`;
  return s.type || "";
}

document.addEventListener("DOMContentLoaded", async () => {
  const box = document.getElementById("api-paths");
  try {
    const doc = await (await fetch("/api/openapi.json")).json();
    document.getElementById("api-intro").textContent = doc.info.description || "";
    box.replaceChildren();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const card = node("section", undefined, "hits");
        const h = node("h2", `${method.toUpperCase()} ${path}`);
        card.append(h);
        if (op.summary) card.append(node("p", op.summary));
        if (op.description && op.description !== op.summary) card.append(node("p", op.description, "crumb"));
        if (op.parameters && op.parameters.length) {
          const ul = node("ul");
          for (const p of op.parameters) {
            ul.append(node("li", `${p.name} (${p.in}${p.required ? ", required" : ""}): ${p.description || schemaName(p.schema)}`));
          }
          card.append(ul);
        }
        if (op.requestBody) {
          for (const [type, c] of Object.entries(op.requestBody.content || {})) {
            card.append(node("p", `Body: ${type} ${schemaName(c.schema)}`, "crumb"));
          }
        }
        const codes = node("ul");
        for (const [code, r] of Object.entries(op.responses || {})) {
          const body = r.content ? Object.values(r.content).map((c) => schemaName(c.schema)).join(", ") : "";
          codes.append(node("li", `${code}: ${r.description}${body ? " → " + body : ""}`));
        }
        card.append(codes);
        box.append(card);
      }
    }
    const schemas = (doc.components && doc.components.schemas) || {};
    box.append(node("h2", "Schemas"));
    for (const [name, s] of Object.entries(schemas)) {
      box.append(node("h3", name));
      box.append(node("pre", JSON.stringify(s, null, 2)));
    }
  } catch (err) {
    box.replaceChildren(node("p", `Cannot load the OpenAPI document: ${err.message}`, "status error"));
  }
});
