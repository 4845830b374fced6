// Draws a flow's DAG as SVG: dagre (vendor/dagre.min.js) lays it out, this
// file only turns the layout into <g class="node"> and <path class="edge">.
"use strict";
var pgflowDag = (function () {
  var NS = "http://www.w3.org/2000/svg";
  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function draw(container, graph, statuses) {
    if (!graph || !graph.nodes) return;
    var g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "TB", nodesep: 24, ranksep: 40, marginx: 12, marginy: 12 });
    g.setDefaultEdgeLabel(function () { return {}; });
    graph.nodes.forEach(function (n) {
      var longest = n.id.length;
      n.badges.forEach(function (b) { longest = Math.max(longest, b.length * 0.8); });
      g.setNode(n.id, { data: n, width: Math.max(90, 16 + longest * 7.5), height: 30 + 14 * n.badges.length });
    });
    graph.edges.forEach(function (e) { g.setEdge(e.from, e.to); });
    dagre.layout(g);
    var size = g.graph();
    container.innerHTML = "";
    var svg = el("svg", { "class": "dag-svg", viewBox: "0 0 " + size.width + " " + size.height,
                          width: size.width, height: size.height, role: "img" }, container);
    var defs = el("defs", {}, svg);
    var marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
                                markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
    el("path", { d: "M 0 0 L 10 5 L 0 10 z", "class": "arrow" }, marker);
    g.edges().forEach(function (e) {
      var pts = g.edge(e).points;
      var d = "M " + pts.map(function (p) { return p.x + " " + p.y; }).join(" L ");
      el("path", { d: d, "class": "edge", "data-from": e.v, "data-to": e.w, "marker-end": "url(#arrow)" }, svg);
    });
    g.nodes().forEach(function (id) {
      var n = g.node(id);
      var group = el("g", { "class": "node" + (n.data.type === "map" ? " map" : "") + (n.data.changed ? " changed" : ""),
                            "data-step": id, transform: "translate(" + (n.x - n.width / 2) + "," + (n.y - n.height / 2) + ")" }, svg);
      el("title", {}, group).textContent = id + (n.data.badges.length ? " — " + n.data.badges.join(", ") : "");
      el("rect", { width: n.width, height: n.height, rx: 6, ry: 6 }, group);
      if (n.data.type === "map") el("rect", { "class": "map-shadow", x: 3, y: 3, width: n.width - 6, height: n.height - 6, rx: 4, ry: 4 }, group);
      var label = el("text", { x: n.width / 2, y: 19, "class": "label" }, group);
      label.textContent = id;
      n.data.badges.forEach(function (b, i) {
        var t = el("text", { x: n.width / 2, y: 33 + 14 * i, "class": "badge-text" }, group);
        t.textContent = b.length > 40 ? b.slice(0, 39) + "…" : b;
      });
    });
    if (statuses) colour(container, statuses);
  }
  function colour(container, statuses) {
    container.querySelectorAll("g.node").forEach(function (node) {
      var status = statuses[node.getAttribute("data-step")] || "created";
      node.setAttribute("data-status", status);
      node.classList.forEach(function (c) { if (c.indexOf("st-") === 0) node.classList.remove(c); });
      node.classList.add("st-" + status);
    });
  }
  return { draw: draw, colour: colour };
})();
